// Operation dispatch of the task models: options checked against the operation, then the common operations or the task's own.
#include "uniadapter/tasks/task_model.h"

#include "uniadapter/runtime/error.h"
#include "uniadapter/runtime/op_options.h"

namespace ua {

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
