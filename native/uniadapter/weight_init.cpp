#include "uniadapter/weight_init.h"

#include <cmath>

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

void init_vit_tokens(torch::Tensor& cls_token, torch::Tensor& pos_embed) {
  torch::NoGradGuard no_grad;
  cls_token.normal_(0.0, 0.02);
  pos_embed.normal_(0.0, 0.02);
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
