// The task model's construction and the inputs every task reads: pixels, token ids, generation settings.
#include "uniadapter/tasks/task_model.h"

#include "uniadapter/runtime/error.h"
#include "uniadapter/runtime/runtime.h"
#include "uniadapter/runtime/tensor_util.h"

namespace ua {
namespace {

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

GenerationSettings TaskModel::generation_settings(const Options& o) const {
  // The task's lengths and beams are resolved by the caller (TypeScript holds BLIP's defaults per
  // task); the penalties default to 1, which switches them off.
  GenerationSettings s;
  s.num_beams = o.require_int("numBeams");
  s.max_length = o.require_int("maxLength");
  s.min_length = o.require_int("minLength");
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

}  // namespace ua
