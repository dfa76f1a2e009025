// Model configurations as plain data: the ViT, the MED/BERT text transformer, the parameter-efficient
// method with its ablation switches, and the task model around them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "uniadapter/runtime/options.h"

namespace ua {

struct VisionConfig {
  int64_t image_size = 384;
  int64_t patch_size = 16;
  int64_t in_chans = 3;
  int64_t width = 768;
  int64_t depth = 12;
  int64_t heads = 12;
  int64_t mlp_hidden = 3072;
  bool qkv_bias = true;
  double ln_eps = 1e-6;
  double drop_path = 0.0;          // maximum stochastic-depth rate (linearly spread over the blocks)
  int64_t grad_ckpt_layers = 0;    // gradient checkpointing of the last N blocks

  int64_t grid() const { return image_size / patch_size; }
  int64_t tokens() const { return grid() * grid() + 1; }
};

struct TextConfig {
  int64_t vocab_size = 30524;
  int64_t hidden = 768;
  int64_t layers = 12;
  int64_t heads = 12;
  int64_t intermediate = 3072;
  int64_t max_position = 512;
  double ln_eps = 1e-12;
  double hidden_dropout = 0.1;
  double attn_dropout = 0.1;
  int64_t encoder_width = 768;
};

enum class Method { UniAdapter, LinearProbe, Adapter, Parallel, Mam, Lora, Full, Frozen };
enum class Share { Down, None, Up, Both };
enum class InitScheme { CodeRetrieval, CodeVqa, Paper };
enum class PfaMode { Code, Paper, Off };
enum class TrainableRule { Official, Corrected };

std::string method_name(Method m);

struct PetlConfig {
  Method method = Method::UniAdapter;
  int64_t bottleneck = 512;
  double scale = 0.1;
  Share share = Share::Down;
  bool query_residual = true;
  bool visual = true;
  bool textual = true;
  bool multimodal = true;
  int64_t layer_from = 1;  // 1-based, inclusive
  int64_t layer_to = 0;    // 0 = last layer
  InitScheme init = InitScheme::CodeRetrieval;
  bool kv_adapter = true;
  int64_t kv_bottleneck = 64;
  PfaMode pfa = PfaMode::Code;
  TrainableRule trainable_rule = TrainableRule::Official;
  int64_t lora_rank = 8;
  double lora_alpha = 16.0;
  int64_t prefix_length = 30;
  // Regular expressions (ECMAScript, searched in the name): a parameter one of them matches stays
  // frozen under any method, e.g. a full fine-tuning that keeps the word embeddings as they were.
  std::vector<std::string> freeze;

  bool uses_uniadapter() const { return method == Method::UniAdapter; }
  bool layer_enabled(int64_t index0, int64_t num_layers) const;
};

enum class MomentumUpdate { Official, Single };

struct TaskConfig {
  std::string task = "retrieval";  // retrieval | vqa | caption
  VisionConfig vision;
  TextConfig text;
  TextConfig decoder;              // vqa / caption text decoder
  PetlConfig petl;
  int64_t embed_dim = 256;
  int64_t queue_size = 57600;
  double momentum = 0.995;
  MomentumUpdate momentum_update = MomentumUpdate::Official;
  bool momentum_shares_backbone = false;
  bool negative_all_rank = false;
  bool video = false;
  int64_t enc_token_id = 30523;
  int64_t bos_token_id = 30522;
  int64_t sep_token_id = 102;
  int64_t pad_token_id = 0;
  int64_t cls_token_id = 101;
  double label_smoothing = 0.1;
  int64_t seed = 42;
  std::string device = "cpu";
  std::string precision = "fp32";     // fp32 | bf16 | fp16
  std::string frozen_dtype = "auto";  // auto | float32 | bfloat16 | float16
  // Initial values of the backbone before any checkpoint is loaded: BLIP's (N(0, 0.02)), or
  // variance-preserving (N(0, 1/fan_in)) so that a random backbone's features carry information.
  std::string backbone_init = "blip";
  // Initial ViT position embeddings: BLIP's N(0, 0.02) ('blip'), or the fixed 2-D sine-cosine table
  // of MAE ('sincos', still trained), whose rows have norm sqrt(width / 2) instead of about
  // 0.02 * sqrt(width): for a ViT trained from scratch, where BLIP's start left position unlearned.
  std::string pos_embed_init = "blip";
  // Dynamic loss scaling: 'auto' (on for fp16), 'dynamic' (always), 'off'.
  std::string loss_scaling = "auto";
  double loss_scale_init = 65536.0;
  int64_t loss_scale_growth_interval = 2000;
};

// Builds a configuration from options (dotted keys, the TypeScript names); a key it does not know is
// an ERR_CONFIG naming it.
TaskConfig task_config_from_options(const Options& o);

// The configuration with every setting, in the same keys: what a model was built with. petl.layers is
// [from, to] with the real last layer; frozenDtype is resolved from 'auto'.
Options task_config_to_options(const TaskConfig& c);

// The storage dtype of the frozen weights: frozenDtype, with 'auto' resolved (bf16/fp16 on CUDA with
// mixed precision, else float32).
std::string effective_frozen_dtype(const TaskConfig& c);

}  // namespace ua
