// Builds the parameter-efficient modules of a method and hooks them into the ViT and the text
// transformers: UniAdapter modules shared per layer index (registered once, on the task model, under
// the official names), key/value adapters per text encoder, and the baselines inside their hosts.
#pragma once
#include <string>
#include <vector>

#include "uniadapter/runtime/config.h"
#include "uniadapter/nn/med.h"
#include "uniadapter/petl/parameter_registry.h"
#include "uniadapter/runtime/torch_all.h"
#include "uniadapter/nn/vit.h"

namespace ua {

struct PetlHosts {
  VisionTransformer vit{nullptr};
  std::vector<BertModel> texts;  // encoders and decoders that share the adapters of each layer index
};

// Registers `list_name` (e.g. "adapters" or "adapters_m") on owner, and, when the ViT's width or depth
// differs from the text transformer's, `visual_list_name` with width-specific visual adapters.
// Each attach function declares what it attaches in `registry` (group and PETL role).
void attach_uniadapters(torch::nn::Module& owner, const std::string& list_name, const std::string& visual_list_name,
                        const PetlConfig& petl, const TaskConfig& task, PetlHosts hosts, ParameterRegistry& registry);

// Key/value low-rank adapters of one text transformer (video_key_adapter, video_value_adapter).
void attach_kv_adapters(const PetlConfig& petl, const TextConfig& text, BertModel& bert, ParameterRegistry& registry);

// Houlsby-style, parallel, LoRA and prefix modules, registered inside their host modules.
void attach_baselines(const PetlConfig& petl, PetlHosts hosts, ParameterRegistry& registry);

// All UniAdapter modules registered under `list_name` (and the visual list) of owner.
std::vector<UniAdapter> uniadapters_of(torch::nn::Module& owner, const std::string& list_name);

}  // namespace ua
