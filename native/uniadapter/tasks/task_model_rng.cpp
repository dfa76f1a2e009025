// RNG state of a task model (CPU and CUDA generators), for exact resume.
#include "uniadapter/tasks/task_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include "uniadapter/runtime/tensor_util.h"

#ifdef UNIADAPTER_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

namespace ua {

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

}  // namespace ua
