#include "uniadapter/runtime/op_options.h"

#include <map>
#include <set>
#include <vector>

#include "uniadapter/runtime/error.h"

namespace ua {
namespace {

using Keys = std::vector<std::string>;

Keys join(std::initializer_list<Keys> parts) {
  Keys out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Keys kStep = {"lr", "weightDecay", "beta1", "beta2", "eps", "exemptBiasNorm", "clipGradNorm", "update", "train", "capture", "backward"};
const Keys kGeneration = {"numBeams", "maxLength", "minLength", "repetitionPenalty", "lengthPenalty"};

// "*" holds the operations every task model has.
const std::map<std::string, std::map<std::string, Keys>>& table() {
  static const std::map<std::string, std::map<std::string, Keys>> t = {
      {"*",
       {{"config", {}},
        {"state_dict", {"which", "names", "dtype"}},
        {"load_state", {"dropMismatched"}},
        {"finish_load", {"loaded"}},
        {"param_info", {}},
        {"grads", {}},
        {"fingerprint", {"adapter"}},
        {"seed", {"seed"}},
        {"set_training", {"training"}},
        {"zero_grad", {}},
        {"init_distributed", {"rank", "worldSize", "masterAddr", "masterPort", "backend", "timeoutMs"}},
        {"optimizer_state", {}},
        {"load_optimizer_state", {}},
        {"rng_state", {}},
        {"set_rng_state", {}},
        {"scaler_state", {}},
        {"load_scaler_state", {"scale", "growthTracker"}}}},
      {"retrieval",
       {{"encode_image", {"tokens", "momentum", "grad"}},
        {"encode_text", {"hidden", "momentum"}},
        {"similarity", {}},
        {"itm", {"pfa", "replaceFirstToken", "hidden"}},
        {"train_step", join({kStep, {"alpha", "hardNegatives", "pfa"}})}}},
      {"pretrain",
       {{"encode_image", {"tokens", "momentum", "grad"}},
        {"encode_text", {"hidden", "momentum"}},
        {"similarity", {}},
        {"itm", {"pfa", "replaceFirstToken", "hidden"}},
        {"train_step", join({kStep, {"alpha", "hardNegatives"}})}}},
      {"vqa",
       {{"forward", {"capture", "train", "replaceFirstToken"}},
        {"train_step", join({kStep, {"replaceFirstToken"}})},
        {"rank", {"k", "capture", "replaceFirstToken", "score"}},
        {"generate", join({kGeneration, {"replaceFirstToken"}})}}},
      {"caption",
       {{"forward", {"capture", "train", "replaceFirstToken", "promptLength"}},
        {"train_step", join({kStep, {"replaceFirstToken", "promptLength"}})},
        {"generate", join({kGeneration, {"capture", "tokens"}})}}},
      {"utility",
       {{"info", {}},
        {"set_threads", {"threads"}},
        {"identity", {}},
        {"resize", {"height", "width", "filter"}},
        {"interpolate_pos_embed", {"grid", "extraTokens"}},
        {"gemm", {"n", "iterations", "dtype", "device"}},
        {"resolve_config", {}}}},
  };
  return t;
}

const Keys* keys_of(const std::string& group, const std::string& op) {
  auto g = table().find(group);
  if (g == table().end()) return nullptr;
  auto k = g->second.find(op);
  return k == g->second.end() ? nullptr : &k->second;
}

}  // namespace

void check_op_options(const std::string& task, const std::string& op, const Options& o) {
  const Keys* keys = keys_of(task, op);
  if (!keys && task != "utility") keys = keys_of("*", op);
  if (!keys) return;  // unknown operations are reported by the dispatch
  if (task == "utility" && op == "resolve_config") return;  // its options are a model configuration
  const std::set<std::string> known(keys->begin(), keys->end());
  for (const auto& kv : o.values()) {
    if (known.count(kv.first)) continue;
    std::string list;
    for (const auto& k : *keys) list += (list.empty() ? "" : ", ") + k;
    fail(kErrArg, "operation '" + op + "' has no option '" + kv.first + "' (" +
                      (list.empty() ? std::string("it takes no options") : "it takes: " + list) + ")");
  }
}

}  // namespace ua
