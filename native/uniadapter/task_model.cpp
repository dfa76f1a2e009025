#include "uniadapter/task_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <regex>

#include "uniadapter/error.h"
#include "uniadapter/name_util.h"
#include "uniadapter/op_options.h"
#include "uniadapter/pos_embed.h"
#include "uniadapter/runtime.h"
#include "uniadapter/tensor_util.h"

#ifdef UNIADAPTER_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

namespace ua {
namespace {


std::string join_shape(const torch::Tensor& t) {
  std::string s;
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s;
}

// CLIP mean and std, as BLIP normalises.
const double kMean[3] = {0.48145466, 0.4578275, 0.40821073};
const double kStd[3] = {0.26862954, 0.26130258, 0.27577711};

}  // namespace

TaskModel::TaskModel(TaskConfig config)
    : cfg_(std::move(config)),
      device_(parse_device(cfg_.device)),
      scaler_(GradScalerSettings{cfg_.loss_scale_init, 2.0, 0.5, cfg_.loss_scale_growth_interval}) {
  root_ = std::make_shared<torch::nn::Module>("TaskModel");
  at::manual_seed(static_cast<uint64_t>(cfg_.seed));
}

void TaskModel::finalize() {
  registry_.resolve(*root_);
  apply_initial_values();
  const std::string frozen = effective_frozen_dtype(cfg_);
  root_->to(device_);
  compute_trainable();
  if (frozen != "float32") {
    const auto dtype = parse_float_dtype(frozen);
    torch::NoGradGuard g;
    for (auto& kv : root_->named_parameters()) {
      if (!kv.value().requires_grad() && !is_petl(kv.key())) kv.value().set_data(kv.value().data().to(dtype));
    }
  }
  root_->train(false);
}

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
  std::vector<bool> decay;
  for (auto& kv : root_->named_parameters()) {
    const bool t = trainable_by_rule(kv.key());
    kv.value().set_requires_grad(t);
    if (t) {
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

torch::Tensor TaskModel::pixels(const TensorMap& in, const std::string& name) const {
  torch::Tensor p = require_tensor(in, name);
  if (p.scalar_type() == at::kByte) {
    check(p.dim() >= 4 && p.size(-1) == 3, kErrShape,
          "'" + name + "' as uint8 must be [..., height, width, 3], got " + shape_str(p));
    p = on_device(p);
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < p.dim() - 3; ++i) perm.push_back(i);
    perm.push_back(p.dim() - 1);
    perm.push_back(p.dim() - 3);
    perm.push_back(p.dim() - 2);
    torch::Tensor x = p.permute(perm).contiguous().to(at::kFloat).div(255);
    auto opts = x.options();
    std::vector<int64_t> shape(x.dim(), 1);
    shape[x.dim() - 3] = 3;
    torch::Tensor mean = torch::tensor({kMean[0], kMean[1], kMean[2]}, opts).view(shape);
    torch::Tensor stdv = torch::tensor({kStd[0], kStd[1], kStd[2]}, opts).view(shape);
    return x.sub(mean).div(stdv);
  }
  check(p.scalar_type() == at::kFloat, kErrDtype, "'" + name + "' must be uint8 (HWC) or float32 (normalised CHW)");
  return on_device(p);
}

torch::Tensor TaskModel::ids_input(const TensorMap& in, const std::string& name) const {
  torch::Tensor t = require_tensor(in, name);
  check(t.scalar_type() == at::kLong || t.scalar_type() == at::kInt, kErrDtype, "'" + name + "' must be int64 or int32");
  t = t.to(at::kLong);
  if (name.find("mask") == std::string::npos && t.numel() > 0) {
    const int64_t lo = t.min().item<int64_t>(), hi = t.max().item<int64_t>();
    check(lo >= 0 && hi < cfg_.text.vocab_size, kErrArg,
          "'" + name + "' holds token id " + std::to_string(lo < 0 ? lo : hi) + " outside the vocabulary [0, " +
              std::to_string(cfg_.text.vocab_size) + ")");
  }
  return on_device(t);
}

GenerationSettings TaskModel::generation_settings(const Options& o, int64_t default_max_length,
                                                  int64_t default_min_length) const {
  GenerationSettings s;
  s.num_beams = o.get_int("numBeams", 3);
  s.max_length = o.get_int("maxLength", default_max_length);
  s.min_length = o.get_int("minLength", default_min_length);
  s.eos_token_id = cfg_.sep_token_id;
  s.pad_token_id = cfg_.pad_token_id;
  s.repetition_penalty = o.get_double("repetitionPenalty", 1.0);
  s.length_penalty = o.get_double("lengthPenalty", 1.0);
  check(s.num_beams >= 1 && s.max_length >= 2, kErrArg, "numBeams must be >= 1 and maxLength >= 2");
  return s;
}

void TaskModel::append_generation(const GenerationOutput& g, Result& out) {
  out.tensors.emplace_back("output_ids", g.sequences);
  if (g.scores.defined()) out.tensors.emplace_back("sequence_scores", g.scores);
  if (g.step_logits.defined()) {
    out.tensors.emplace_back("step_logits", g.step_logits);
    out.tensors.emplace_back("unfinished_before_step", g.unfinished);
  }
}

Options TaskModel::backward_and_step(const torch::Tensor& loss, const Options& o) {
  Options stats;
  const bool fp16 = cfg_.loss_scaling == "dynamic" || (cfg_.loss_scaling == "auto" && cfg_.precision == "fp16");
  for (auto& p : trainable_) p.mutable_grad() = torch::Tensor();
  if (fp16) (loss * scaler_.scale()).backward();
  else loss.backward();
  if (dist_.active()) all_reduce_grads();
  bool finite = true;
  if (fp16) finite = scaler_.unscale(trainable_);
  double grad_norm = 0.0;
  {
    torch::NoGradGuard g;
    double sq = 0.0;
    for (auto& p : trainable_)
      if (p.grad().defined()) sq += p.grad().to(at::kDouble).pow(2).sum().item<double>();
    grad_norm = std::sqrt(sq);
    const double clip = o.get_double("clipGradNorm", 0.0);
    if (clip > 0 && finite && grad_norm > clip) {
      const double factor = clip / (grad_norm + 1e-6);
      for (auto& p : trainable_)
        if (p.grad().defined()) p.grad().mul_(factor);
    }
  }
  if (!std::isfinite(grad_norm)) finite = false;
  const bool update = o.get_bool("update", true);
  bool stepped = false;
  if (update && finite) {
    AdamWSettings s;
    s.lr = o.get_double("lr", 1e-5);
    s.weight_decay = o.get_double("weightDecay", 0.05);
    s.beta1 = o.get_double("beta1", 0.9);
    s.beta2 = o.get_double("beta2", 0.999);
    s.eps = o.get_double("eps", 1e-8);
    if (o.get_bool("exemptBiasNorm", false)) {
      std::vector<bool> decay;
      for (const auto& n : trainable_names_) {
        const ParamPolicy& p = registry_.of(n);
        decay.push_back(!(p.bias || p.norm));
      }
      optimizer_.set_decay_mask(decay);
    }
    optimizer_.step(s);
    stepped = true;
  }
  if (fp16 && update) scaler_.update(finite);
  stats.set("gradNorm", grad_norm);
  stats.set("stepped", stepped);
  stats.set("finite", finite);
  stats.set("lossScale", fp16 ? scaler_.scale() : 1.0);
  return stats;
}

void TaskModel::all_reduce_grads() {
  // One flattened all-reduce of the trainable gradients, then the mean over ranks (as DDP).
  torch::NoGradGuard g;
  std::vector<torch::Tensor> flat;
  for (auto& p : trainable_)
    flat.push_back((p.grad().defined() ? p.grad() : torch::zeros_like(p)).reshape({-1}).to(at::kFloat));
  torch::Tensor buf = torch::cat(flat);
  dist_.all_reduce_sum(buf);
  buf.div_(static_cast<double>(dist_.world()));
  int64_t off = 0;
  for (auto& p : trainable_) {
    const int64_t n = p.numel();
    torch::Tensor part = buf.slice(0, off, off + n).view(p.sizes()).to(p.dtype());
    if (p.grad().defined()) p.mutable_grad().copy_(part);
    else p.mutable_grad() = part.clone();
    off += n;
  }
}

Result TaskModel::state_dict(const Options& o) const {
  const std::string which = o.get_string("which", "all");
  const auto names = o.get_strings("names", {});
  std::set<std::string> wanted(names.begin(), names.end());
  Result r;
  // Snapshots: the bridge hands CPU memory to JS without copying, and parameters change in place.
  auto add = [&](const std::string& n, const torch::Tensor& t) {
    if (!wanted.empty() && !wanted.count(n)) return;
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
  std::vector<std::string> names, groups, shapes, dtypes;
  std::vector<int64_t> numel, trainable;
  int64_t total = 0, total_petl = 0, n_trainable = 0, projections = 0;
  std::map<std::string, int64_t> by_group;
  static const std::regex proj(R"((^|\.)(down_proj|up_proj|multi_up_proj|visual_up_proj|visual_down_proj|multi_down_proj|lora_A|lora_B)(\.(weight|bias))?$)");
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

Result TaskModel::fingerprint(const Options& o) const {
  // A 64-bit hash of the frozen backbone (names, shapes and values rounded to bfloat16, so an fp32
  // and a bf16 copy of the same weights agree), to tie an adapter to the backbone it was trained on.
  torch::NoGradGuard g;
  uint64_t h = 0x9E3779B97F4A7C15ull;
  auto mix = [&h](uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  };
  int64_t tensors = 0, values = 0;
  for (const auto& kv : root_->named_parameters()) {
    const std::string& n = kv.key();
    if (is_momentum(n) || is_petl(n) || kv.value().requires_grad() || registry_.is(n, ParamRole::Temperature)) continue;
    for (char c : n) mix(static_cast<unsigned char>(c));
    for (int64_t d : kv.value().sizes()) mix(static_cast<uint64_t>(d));
    torch::Tensor t = kv.value().detach().to(at::kBFloat16).cpu().contiguous();
    const uint16_t* p = reinterpret_cast<const uint16_t*>(t.data_ptr());
    const int64_t count = t.numel();
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
      uint64_t w = static_cast<uint64_t>(p[i]) | (static_cast<uint64_t>(p[i + 1]) << 16) |
                   (static_cast<uint64_t>(p[i + 2]) << 32) | (static_cast<uint64_t>(p[i + 3]) << 48);
      mix(w);
    }
    for (; i < count; ++i) mix(p[i]);
    ++tensors;
    values += count;
  }
  if (o.get_bool("adapter", false)) {
    // The adapter's exact values too (galleries embedded with one adapter are stale for another).
    for (const auto& kv : root_->named_parameters()) {
      const std::string& n = kv.key();
      if (is_momentum(n) || !(is_petl(n) || kv.value().requires_grad())) continue;
      for (char c : n) mix(static_cast<unsigned char>(c));
      torch::Tensor t = kv.value().detach().to(at::kFloat).cpu().contiguous();
      const uint32_t* p = reinterpret_cast<const uint32_t*>(t.data_ptr());
      for (int64_t i = 0; i < t.numel(); ++i) mix(p[i]);
    }
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  Result r;
  r.info.set("fingerprint", std::string(buf));
  r.info.set("tensors", tensors);
  r.info.set("values", values);
  return r;
}

Result TaskModel::grads(const Options& o) const {
  Result r;
  for (size_t i = 0; i < trainable_.size(); ++i)
    if (trainable_[i].grad().defined()) r.tensors.emplace_back(trainable_names_[i], trainable_[i].grad().detach().clone());
  return r;
}

Result TaskModel::rng_state() const {
  Result r;
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    r.tensors.emplace_back("cpu", gen.get_state());
  }
#ifdef UNIADAPTER_WITH_CUDA
  if (device_.is_cuda()) {
    auto gen = at::cuda::detail::getDefaultCUDAGenerator(device_.index());
    std::lock_guard<std::mutex> lock(gen.mutex());
    r.tensors.emplace_back("cuda", gen.get_state());
  }
#endif
  return r;
}

void TaskModel::set_rng_state(const TensorMap& in) {
  if (auto cpu = find_tensor(in, "cpu")) {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(*cpu);
  }
#ifdef UNIADAPTER_WITH_CUDA
  if (auto cuda = find_tensor(in, "cuda"); cuda && device_.is_cuda()) {
    auto gen = at::cuda::detail::getDefaultCUDAGenerator(device_.index());
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(*cuda);
  }
#endif
}

Result TaskModel::forward(const TensorMap&, const Options&, bool) {
  fail(kErrArg, "the " + cfg_.task + " model has no operation 'forward'");
}

Result TaskModel::generate(const TensorMap&, const Options&) {
  fail(kErrArg, "the " + cfg_.task + " model has no operation 'generate'");
}

bool TaskModel::run_lm_op(const std::string& op, const TensorMap& in, const Options& o, Result& out) {
  if (op == "forward") {
    torch::NoGradGuard g;
    root_->train(o.get_bool("train", false));
    out = forward(in, o, false);
  } else if (op == "train_step") {
    root_->train(o.get_bool("train", true));
    out = forward(in, o, true);
  } else if (op == "generate") {
    root_->train(false);
    out = generate(in, o);
  } else {
    return false;
  }
  return true;
}

Result TaskModel::run(const std::string& op, const TensorMap& in, const Options& o) {
  check_op_options(cfg_.task, op, o);
  if (op == "config") {
    Result r;
    const Options resolved = task_config_to_options(cfg_);
    for (const auto& kv : resolved.values()) r.info.set("config." + kv.first, kv.second);
    return r;
  }
  if (op == "state_dict") return state_dict(o);
  if (op == "load_state") return load_state(in, o);
  if (op == "param_info") return param_info(o);
  if (op == "grads") return grads(o);
  if (op == "finish_load") {
    after_load(o.get_strings("loaded", {}));
    return {};
  }
  if (op == "init_distributed") {
    dist_.init(o.require_int("rank"), o.require_int("worldSize"), o.get_string("masterAddr", "127.0.0.1"),
               o.get_int("masterPort", 29500), o.get_string("backend", device_.is_cuda() ? "nccl" : "gloo"),
               o.get_int("timeoutMs", 300000));
    return {};
  }
  if (op == "set_training") {
    root_->train(o.get_bool("training", true));
    return {};
  }
  if (op == "zero_grad") {
    for (auto& p : trainable_) p.mutable_grad() = torch::Tensor();
    return {};
  }
  if (op == "optimizer_state") {
    Result r{optimizer_.state(), {}};
    for (auto& kv : r.tensors) kv.second = kv.second.clone();
    return r;
  }
  if (op == "load_optimizer_state") {
    optimizer_.load_state(in);
    return {};
  }
  if (op == "scaler_state") {
    Result r;
    r.info.set("scale", scaler_.scale());
    r.info.set("growthTracker", scaler_.growth_tracker());
    return r;
  }
  if (op == "load_scaler_state") {
    scaler_.set_state(o.get_double("scale", scaler_.scale()), o.get_int("growthTracker", 0));
    return {};
  }
  if (op == "fingerprint") return fingerprint(o);
  if (op == "rng_state") return rng_state();
  if (op == "set_rng_state") {
    set_rng_state(in);
    return {};
  }
  if (op == "seed") {
    at::manual_seed(static_cast<uint64_t>(o.require_int("seed")));
    return {};
  }
  Result out;
  if (run_task(op, in, o, out)) return out;
  fail(kErrArg, "the " + cfg_.task + " model has no operation '" + op + "'");
}

}  // namespace ua
