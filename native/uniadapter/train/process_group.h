// Data-parallel communication across processes (c10d: Gloo on CPU, NCCL on CUDA), or the identity for
// a single process. The gathers mirror the official code: concat_all_gather (no gradient) and
// all_gather_with_grad (gradients summed across ranks, each rank keeps its own slice).
#pragma once
#include <memory>
#include <string>

#include "uniadapter/runtime/torch_all.h"

namespace ua {

class ProcessGroup {
 public:
  ProcessGroup();
  ~ProcessGroup();

  // torchrun-style: rank, world size, master address and port; backend 'gloo' or 'nccl'.
  void init(int64_t rank, int64_t world, const std::string& master_addr, int64_t master_port,
            const std::string& backend, int64_t timeout_ms);
  bool active() const { return world_ > 1; }
  int64_t rank() const { return rank_; }
  int64_t world() const { return world_; }

  torch::Tensor all_gather(const torch::Tensor& t);            // concat along dim 0, no gradient
  torch::Tensor all_gather_with_grad(const torch::Tensor& t);  // concat along dim 0, gradient flows
  void all_reduce_sum(torch::Tensor& t);                       // in place
  void barrier();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t rank_ = 0;
  int64_t world_ = 1;
};

}  // namespace ua
