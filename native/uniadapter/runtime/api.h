// The core's public surface for bindings: plain C++ over ATen tensors, nothing of Node.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "uniadapter/runtime/error.h"
#include "uniadapter/runtime/options.h"

namespace ua {

// Named tensors in a stable order (a state dict, an op's inputs or outputs).
using TensorMap = std::vector<std::pair<std::string, at::Tensor>>;

// What an op returns: tensors plus plain data (counts, names, flags).
struct Result {
  TensorMap tensors;
  Options info;
};

// One task model (retrieval, vqa or caption) with its adapters, optimizer and device.
// Not thread-safe: the binding runs all calls of one model on one executor thread.
class Model {
 public:
  virtual ~Model() = default;
  // Runs a named operation ("encode_image", "train_step", "state_dict", ...).
  virtual Result run(const std::string& op, const TensorMap& inputs, const Options& options) = 0;
  virtual std::string task() const = 0;
};

std::unique_ptr<Model> create_model(const Options& config);

// Stateless operations (image resampling, runtime information, ...).
Result run_utility(const std::string& op, const TensorMap& inputs, const Options& options);

// Thread-local settings for a worker thread running core code.
void prepare_worker_thread();

}  // namespace ua
