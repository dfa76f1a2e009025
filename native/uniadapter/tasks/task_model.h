// Shared machinery of the three task models: the parameter tree, the trainable set, state loading and
// export, device and precision, the optimizer and loss scaler, RNG state, and the common operations.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "uniadapter/train/adamw.h"
#include "uniadapter/runtime/api.h"
#include "uniadapter/runtime/config.h"
#include "uniadapter/tasks/generation.h"
#include "uniadapter/train/grad_scaler.h"
#include "uniadapter/petl/parameter_registry.h"
#include "uniadapter/train/process_group.h"
#include "uniadapter/runtime/torch_all.h"

namespace ua {

class TaskModel : public Model {
 public:
  explicit TaskModel(TaskConfig config);
  Result run(const std::string& op, const TensorMap& inputs, const Options& options) final;
  std::string task() const override { return cfg_.task; }

 protected:
  // Task-specific operations; return nullopt-like empty optional for unknown ops.
  virtual bool run_task(const std::string& op, const TensorMap& in, const Options& o, Result& out) = 0;
  // Whether the heads train next to the PETL modules (the retrieval script trains them; VQA does not).
  virtual bool heads_train_with_petl() const { return false; }
  // Called once loading ends (op finish_load) with every name the load set.
  virtual void after_load(const std::vector<std::string>& loaded) {}
  virtual void apply_initial_values() = 0;

  // Derived constructors call this once their modules are registered on root_.
  void finalize();

  // Pixels: uint8 [..., H, W, 3] (normalised here, on the device) or float [..., 3, S, S] as given.
  torch::Tensor pixels(const TensorMap& in, const std::string& name) const;
  torch::Tensor ids_input(const TensorMap& in, const std::string& name) const;
  torch::Tensor on_device(const torch::Tensor& t) const { return t.to(device_); }
  bool autocast_enabled() const { return cfg_.precision != "fp32"; }
  at::ScalarType autocast_dtype() const { return cfg_.precision == "fp16" ? at::kHalf : at::kBFloat16; }

  // A generate call's settings: numBeams, maxLength and minLength (required), repetitionPenalty and
  // lengthPenalty (1 = off), validated; EOS and PAD from the configuration.
  GenerationSettings generation_settings(const Options& o) const;
  // Adds a search's output_ids and, where it has them, sequence_scores and the greedy step captures.
  static void append_generation(const GenerationOutput& g, Result& out);

  // The operations of a model whose training loss is its forward pass (VQA, captioning): 'forward'
  // (no gradients, eval mode unless `train`), 'train_step' (train mode unless `train` is false) and
  // 'generate'. Returns false for any other operation.
  bool run_lm_op(const std::string& op, const TensorMap& in, const Options& o, Result& out);
  virtual Result forward(const TensorMap& in, const Options& o, bool training);
  virtual Result generate(const TensorMap& in, const Options& o);

  // One optimizer update from the gradients of `loss` (backward included); returns step statistics.
  Options backward_and_step(const torch::Tensor& loss, const Options& o);

  // What the registry says of a parameter (declared where its module was created or attached).
  const std::string& group_of(const std::string& name) const { return registry_.of(name).group; }
  bool is_petl(const std::string& name) const { return registry_.is(name, ParamRole::Petl); }
  bool is_head(const std::string& name) const { return registry_.is(name, ParamRole::Head); }
  bool is_momentum(const std::string& name) const { return registry_.is(name, ParamRole::Momentum); }

  ParameterRegistry registry_;

  TaskConfig cfg_;
  std::shared_ptr<torch::nn::Module> root_;
  at::Device device_;
  std::vector<std::string> trainable_names_;
  std::vector<torch::Tensor> trainable_;
  AdamW optimizer_;
  GradScaler scaler_;
  ProcessGroup dist_;

 private:
  Result state_dict(const Options& o) const;
  Result load_state(const TensorMap& in, const Options& o);
  Result param_info(const Options& o) const;
  Result grads(const Options& o) const;
  Result fingerprint(const Options& o) const;
  Result rng_state() const;
  void set_rng_state(const TensorMap& in);
  void compute_trainable();
  void all_reduce_grads();
  bool trainable_by_rule(const std::string& name) const;
  std::map<std::string, torch::Tensor> params_by_name() const;
};

}  // namespace ua
