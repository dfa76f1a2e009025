#include "uniadapter/nn/weight_init.h"

#include <cmath>

#include "uniadapter/petl/petl_baselines.h"

namespace ua {

namespace nn = torch::nn;

void init_transformer_weights(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/true)) {
    if (auto* lin = dynamic_cast<nn::LinearImpl*>(m.get())) {
      lin->weight.normal_(0.0, 0.02);
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* ln = dynamic_cast<nn::LayerNormImpl*>(m.get())) {
      if (ln->weight.defined()) ln->weight.fill_(1.0);
      if (ln->bias.defined()) ln->bias.zero_();
    } else if (auto* emb = dynamic_cast<nn::EmbeddingImpl*>(m.get())) {
      emb->weight.normal_(0.0, 0.02);
      if (emb->options.padding_idx()) emb->weight[*emb->options.padding_idx()].zero_();
    }
  }
}

void init_variance_preserving(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/true)) {
    if (auto* lin = dynamic_cast<nn::LinearImpl*>(m.get())) {
      lin->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(lin->weight.size(1))));
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* conv = dynamic_cast<nn::Conv2dImpl*>(m.get())) {
      const double fan_in = static_cast<double>(conv->weight[0].numel());
      conv->weight.normal_(0.0, 1.0 / std::sqrt(fan_in));
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* ln = dynamic_cast<nn::LayerNormImpl*>(m.get())) {
      if (ln->weight.defined()) ln->weight.fill_(1.0);
      if (ln->bias.defined()) ln->bias.zero_();
    } else if (auto* emb = dynamic_cast<nn::EmbeddingImpl*>(m.get())) {
      // N(0, 1/d): BERT's embedding LayerNorm makes the input side indifferent to the scale, and the
      // LM head tied to the word embeddings then starts with unit-variance logits instead of sqrt(d).
      emb->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(emb->weight.size(1))));
    }
  }
}

void init_backbone(torch::nn::Module& m, const std::string& scheme) {
  if (scheme != "variance-preserving") {
    init_transformer_weights(m);
    return;
  }
  init_variance_preserving(m);
  // PETL modules registered inside the backbone keep BLIP's init whatever the backbone's.
  for (auto& child : m.modules(/*include_self=*/false)) {
    if (dynamic_cast<KvAdapterImpl*>(child.get()) || dynamic_cast<BottleneckAdapterImpl*>(child.get()))
      init_transformer_weights(*child);
  }
}

torch::Tensor sincos_2d_table(int64_t grid, int64_t width) {
  const int64_t quarter = width / 4;
  torch::Tensor omega = 1.0 / torch::pow(10000.0, torch::arange(quarter, torch::kDouble) / static_cast<double>(quarter));
  torch::Tensor pos = torch::arange(grid, torch::kDouble);
  torch::Tensor angles = torch::outer(pos, omega);                        // [grid, quarter]
  torch::Tensor axis = torch::cat({torch::sin(angles), torch::cos(angles)}, 1);  // [grid, width / 2]
  torch::Tensor rows = axis.unsqueeze(1).expand({grid, grid, width / 2});  // row index of each patch
  torch::Tensor cols = axis.unsqueeze(0).expand({grid, grid, width / 2});  // column index of each patch
  // MAE puts the column (its grid's first coordinate, w) in the first half of the channels.
  return torch::cat({cols, rows}, 2).reshape({grid * grid, width}).to(torch::kFloat);
}

void init_vit_tokens(torch::Tensor& cls_token, torch::Tensor& pos_embed, const std::string& pos_scheme, int64_t grid) {
  torch::NoGradGuard no_grad;
  cls_token.normal_(0.0, 0.02);
  pos_embed.normal_(0.0, 0.02);
  if (pos_scheme != "sincos") return;
  const int64_t width = pos_embed.size(2);
  pos_embed[0][0].zero_();
  pos_embed[0].slice(0, 1, 1 + grid * grid).copy_(sincos_2d_table(grid, width).to(pos_embed.options()));
}

void apply_adapter_init(UniAdapterImpl& a, InitScheme scheme) {
  torch::NoGradGuard no_grad;
  auto downs = {a.down_proj, a.visual_down_proj, a.multi_down_proj};
  auto ups = {a.up_proj, a.visual_up_proj, a.multi_up_proj};
  switch (scheme) {
    case InitScheme::CodeVqa:
      return;
    case InitScheme::CodeRetrieval:
      for (auto d : downs) {
        if (!d) continue;
        nn::init::kaiming_uniform_(d->weight, std::sqrt(5.0));
        d->bias.zero_();
      }
      if (a.up_proj) {
        a.up_proj->weight.zero_();
        a.up_proj->bias.zero_();
      }
      return;
    case InitScheme::Paper:
      for (auto d : downs) {
        if (!d) continue;
        nn::init::kaiming_normal_(d->weight);
        d->bias.zero_();
      }
      for (auto u : ups) {
        if (!u) continue;
        u->weight.zero_();
        u->bias.zero_();
      }
      return;
  }
}

}  // namespace ua
