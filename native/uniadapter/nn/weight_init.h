// Initial values as the official constructors leave them: timm init for the ViT, BERT init for the
// text transformers, and the adapter schemes of the training scripts (code-retrieval, code-vqa) or
// of the paper.
#pragma once
#include "uniadapter/runtime/config.h"
#include "uniadapter/runtime/torch_all.h"
#include "uniadapter/petl/uniadapter_module.h"

namespace ua {

// Linear weights N(0, 0.02), biases 0, LayerNorms 1/0, embeddings N(0, 0.02); cls_token and pos_embed
// N(0, 0.02). (timm's truncation at +-2 is 100 standard deviations away.) Convolutions keep PyTorch's
// default init, as in timm.
void init_transformer_weights(torch::nn::Module& m);
// The [CLS] token and position embeddings, N(0, 0.02) as in BLIP; with pos_scheme 'sincos' the patch
// rows of pos_embed are then overwritten by the 2-D sine-cosine table of a grid x grid image (MAE's:
// half the channels code the row, half the column) and the [CLS] row by zeros.
void init_vit_tokens(torch::Tensor& cls_token, torch::Tensor& pos_embed, const std::string& pos_scheme, int64_t grid);

// MAE's 2-D sine-cosine position table: [grid * grid, width], width a multiple of 4 (checked by the config).
torch::Tensor sincos_2d_table(int64_t grid, int64_t width);

// Linear and convolution weights N(0, 1/fan_in), embeddings N(0, 1), LayerNorms 1/0: a random
// backbone whose token representations stay distinguishable through the layers.
void init_variance_preserving(torch::nn::Module& m);

// The backbone init a configuration asks for (BLIP's, or variance-preserving).
void init_backbone(torch::nn::Module& m, const std::string& scheme);

// After the generic init (which leaves every adapter Linear at N(0, 0.02)), the scheme's changes:
// code-retrieval: down Kaiming-uniform(a=sqrt 5), down bias 0, textual up 0; code-vqa: nothing;
// paper: down Kaiming-normal, all ups 0.
void apply_adapter_init(UniAdapterImpl& a, InitScheme scheme);

}  // namespace ua
