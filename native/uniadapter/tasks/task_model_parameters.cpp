// The parameter side of a task model: the trainable set, state dicts, loading, parameter reports and gradients.
#include "uniadapter/tasks/task_model.h"

#include <regex>

#include "uniadapter/runtime/error.h"
#include "uniadapter/runtime/name_util.h"
#include "uniadapter/nn/pos_embed.h"
#include "uniadapter/runtime/tensor_util.h"

namespace ua {
namespace {

std::string join_shape(const torch::Tensor& t) {
  std::string s;
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s;
}

}  // namespace

bool TaskModel::trainable_by_rule(const std::string& name) const {
  const Method m = cfg_.petl.method;
  if (is_momentum(name)) return false;
  if (m == Method::Full) return true;
  if (m == Method::Frozen) return false;
  const bool head = is_head(name);
  bool yes = m == Method::LinearProbe ? head : (is_petl(name) || (head && heads_train_with_petl()));
  // The official rule is a rule on names: 'adapter' in the name and no '_m' (meant for momentum
  // modules, but it also freezes adapter_layer_norm_cross_modal). It is reproduced as written.
  if (cfg_.petl.trainable_rule == TrainableRule::Official && contains(name, "_m")) yes = false;
  return yes;
}

void TaskModel::compute_trainable() {
  trainable_names_.clear();
  trainable_.clear();
  // petl.freeze holds a tensor if any of its names matches, so a tied tensor is frozen under all of them.
  std::vector<std::regex> freeze;
  for (const auto& pattern : cfg_.petl.freeze) freeze.emplace_back(pattern);
  std::set<const void*> frozen;
  for (auto& kv : root_->named_parameters()) {
    for (const auto& re : freeze) {
      if (std::regex_search(kv.key(), re)) frozen.insert(kv.value().unsafeGetTensorImpl());
    }
  }
  std::set<const void*> seen;  // a tensor tied under two names (pretraining) trains once
  for (auto& kv : root_->named_parameters()) {
    const bool t = trainable_by_rule(kv.key()) && !frozen.count(kv.value().unsafeGetTensorImpl());
    kv.value().set_requires_grad(t);
    if (t && seen.insert(kv.value().unsafeGetTensorImpl()).second) {
      trainable_names_.push_back(kv.key());
      trainable_.push_back(kv.value());
    }
  }
  optimizer_.reset(trainable_names_, trainable_);
}

std::map<std::string, torch::Tensor> TaskModel::params_by_name() const {
  std::map<std::string, torch::Tensor> m;
  for (const auto& kv : root_->named_parameters()) m[kv.key()] = kv.value();
  for (const auto& kv : root_->named_buffers()) m[kv.key()] = kv.value();
  return m;
}

Result TaskModel::state_dict(const Options& o) const {
  const std::string which = o.get_string("which", "all");
  const auto names = o.get_strings("names", {});
  std::set<std::string> wanted(names.begin(), names.end());
  // Floating tensors in another dtype (a smaller file); integer buffers stay as they are.
  const std::string cast = o.get_string("dtype", "");
  const bool casting = !cast.empty();
  const at::ScalarType cast_to = casting ? parse_float_dtype(cast) : at::kFloat;
  Result r;
  // Snapshots: the bridge hands CPU memory to JS without copying, and parameters change in place.
  auto add = [&](const std::string& n, const torch::Tensor& t) {
    if (!wanted.empty() && !wanted.count(n)) return;
    if (casting && at::isFloatingType(t.scalar_type())) {
      r.tensors.emplace_back(n, t.detach().to(torch::kCPU).to(cast_to).clone());
      return;
    }
    r.tensors.emplace_back(n, t.device().is_cpu() ? t.detach().clone() : t.detach());
  };
  if (which == "trainable") {
    for (size_t i = 0; i < trainable_.size(); ++i) add(trainable_names_[i], trainable_[i]);
    return r;
  }
  check(which == "all" || which == "adapter" || which == "training", kErrArg,
        "state_dict: 'which' must be all, trainable, adapter or training");
  std::set<const void*> main_storage;
  for (const auto& kv : root_->named_parameters())
    if (!is_momentum(kv.key())) main_storage.insert(kv.value().data_ptr());
  for (const auto& kv : root_->named_parameters()) {
    const std::string& n = kv.key();
    const bool momentum = is_momentum(n);
    // adapter: what an adapter file holds (the PETL modules and whatever else trains);
    // training: everything a step changes (trainable tensors, momentum copies, temperature).
    if (which == "adapter" && (momentum || !(is_petl(n) || kv.value().requires_grad()))) continue;
    if (which == "training") {
      const bool changes = kv.value().requires_grad() || registry_.is(n, ParamRole::Temperature) ||
                           (momentum && !main_storage.count(kv.value().data_ptr()));
      if (!changes) continue;
    }
    add(n, kv.value());
  }
  if (which == "all" || which == "training")
    for (const auto& kv : root_->named_buffers())
      if (which == "all" || kv.key().find("position_ids") == std::string::npos) add(kv.key(), kv.value());
  return r;
}

Result TaskModel::load_state(const TensorMap& in, const Options& o) {
  const bool allow_mismatch = o.get_bool("dropMismatched", true);
  auto params = params_by_name();
  std::vector<std::string> loaded, unexpected, mismatched, interpolated, shared;
  std::set<const void*> main_storage;
  for (const auto& kv : params)
    if (!is_momentum(kv.first)) main_storage.insert(kv.second.data_ptr());
  torch::NoGradGuard no_grad;
  for (const auto& kv : in) {
    const std::string& name = kv.first;
    auto it = params.find(name);
    if (it == params.end()) {
      unexpected.push_back(name);
      continue;
    }
    if (is_momentum(name) && main_storage.count(it->second.data_ptr())) {
      shared.push_back(name);  // momentum backbone shares the main model's frozen tensor
      continue;
    }
    torch::Tensor dst = it->second;
    torch::Tensor src = kv.second;
    const bool src_float = at::isFloatingType(src.scalar_type());
    const bool dst_float = at::isFloatingType(dst.scalar_type());
    check(src_float == dst_float, kErrDtype,
          "tensor '" + name + "' has dtype " + dtype_name(src.scalar_type()) + " but the model's tensor is " +
              dtype_name(dst.scalar_type()));
    if (name.size() >= 9 && name.compare(name.size() - 9, 9, "pos_embed") == 0 && src.dim() == 3 && dst.dim() == 3 &&
        src.size(1) != dst.size(1) && src.size(2) == dst.size(2)) {
      const int64_t grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(dst.size(1) - 1))));
      src = interpolate_pos_embed(src, grid, 1);
      interpolated.push_back(name);
    }
    if (src.sizes() != dst.sizes()) {
      if (!allow_mismatch)
        fail(kErrShape, "tensor '" + name + "' has shape " + shape_str(src) + " but the model expects " + shape_str(dst));
      mismatched.push_back(name + " " + shape_str(src) + " != " + shape_str(dst));
      continue;
    }
    dst.copy_(src);
    loaded.push_back(name);
  }
  Result r;
  r.info.set("loaded", loaded);
  r.info.set("sharedSkipped", shared);
  r.info.set("unexpected", unexpected);
  r.info.set("mismatched", mismatched);
  r.info.set("interpolated", interpolated);
  return r;
}

Result TaskModel::param_info(const Options&) const {
  std::vector<std::string> names, groups, shapes, dtypes, tied_to;
  std::vector<int64_t> numel, trainable;
  int64_t total = 0, total_petl = 0, n_trainable = 0, projections = 0;
  std::map<std::string, int64_t> by_group;
  static const std::regex proj(R"((^|\.)(down_proj|up_proj|multi_up_proj|visual_up_proj|visual_down_proj|multi_down_proj|lora_A|lora_B)(\.(weight|bias))?$)");
  std::map<const void*, std::string> first_name;  // a tensor tied under two names (pretraining) counts once
  for (const auto& kv : root_->named_parameters()) {
    const std::string& n = kv.key();
    const auto& t = kv.value();
    names.push_back(n);
    const std::string g = group_of(n);
    groups.push_back(g);
    shapes.push_back(join_shape(t));
    dtypes.push_back(dtype_name(t.scalar_type()));
    numel.push_back(t.numel());
    trainable.push_back(t.requires_grad() ? 1 : 0);
    const auto seen = first_name.emplace(t.unsafeGetTensorImpl(), n);
    tied_to.push_back(seen.second ? std::string() : seen.first->second);
    if (!seen.second) continue;
    by_group[g] += t.numel();
    if (t.requires_grad()) n_trainable += t.numel();
    if (g == "momentum") continue;
    if (is_petl(n)) {
      total_petl += t.numel();
      if (g != "kvAdapter" && std::regex_search(n, proj)) projections += t.numel();
    } else {
      total += t.numel();
    }
  }
  Result r;
  r.info.set("names", names);
  r.info.set("groups", groups);
  r.info.set("shapes", shapes);
  r.info.set("dtypes", dtypes);
  r.info.set("numel", numel);
  r.info.set("trainable", trainable);
  r.info.set("tiedTo", tied_to);
  r.info.set("counts.total", total);
  r.info.set("counts.totalWithPetl", total + total_petl);
  r.info.set("counts.petl", total_petl);
  r.info.set("counts.trainable", n_trainable);
  r.info.set("counts.adapterProjections", projections);
  for (const auto& kv : by_group) r.info.set("counts.byGroup." + kv.first, kv.second);
  r.info.set("method", method_name(cfg_.petl.method));
  r.info.set("task", cfg_.task);
  r.info.set("device", device_.str());
  return r;
}

Result TaskModel::grads(const Options& o) const {
  Result r;
  for (size_t i = 0; i < trainable_.size(); ++i)
    if (trainable_[i].grad().defined()) r.tensors.emplace_back(trainable_names_[i], trainable_[i].grad().detach().clone());
  return r;
}

}  // namespace ua
