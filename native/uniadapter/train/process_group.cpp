#include "uniadapter/train/process_group.h"

#include "uniadapter/runtime/error.h"

#include <torch/version.h>

#ifdef UNIADAPTER_WITH_DIST
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(UNIADAPTER_WITH_CUDA) && __has_include(<torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>) && defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define UA_HAVE_NCCL 1
#endif
#endif

namespace ua {

#ifdef UNIADAPTER_WITH_DIST
// Since PyTorch 2.0 the Gloo and NCCL groups are c10d::Backend objects (ProcessGroup became a
// dispatching front); the collectives used here have the same signatures on both.
#if TORCH_VERSION_MAJOR >= 2
using CollectiveGroup = c10d::Backend;
#else
using CollectiveGroup = c10d::ProcessGroup;
#endif
#endif

struct ProcessGroup::Impl {
#ifdef UNIADAPTER_WITH_DIST
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<CollectiveGroup> pg;
#endif
};

ProcessGroup::ProcessGroup() : impl_(std::make_unique<Impl>()) {}
ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::init(int64_t rank, int64_t world, const std::string& addr, int64_t port, const std::string& backend,
                        int64_t timeout_ms) {
  check(world >= 1 && rank >= 0 && rank < world, kErrDist,
        "rank " + std::to_string(rank) + " is not in a world of size " + std::to_string(world));
  rank_ = rank;
  world_ = world;
  if (world == 1) return;
#ifdef UNIADAPTER_WITH_DIST
  check(port > 0 && port < 65536, kErrDist, "MASTER_PORT must be in 1..65535");
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = static_cast<size_t>(world);
  so.waitWorkers = true;
  so.timeout = std::chrono::milliseconds(timeout_ms);
  impl_->store = c10::make_intrusive<c10d::TCPStore>(addr, so);
  if (backend == "gloo") {
    auto opts = c10d::ProcessGroupGloo::Options::create();
    opts->timeout = std::chrono::milliseconds(timeout_ms);
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(addr));
    impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, static_cast<int>(rank), static_cast<int>(world), opts);
  } else if (backend == "nccl") {
#ifdef UA_HAVE_NCCL
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, static_cast<int>(rank), static_cast<int>(world), opts);
#else
    fail(kErrDist, "this build has no NCCL; build against a CUDA PyTorch or use backend 'gloo'");
#endif
  } else {
    fail(kErrDist, "unknown distributed backend '" + backend + "' (gloo or nccl)");
  }
#else
  fail(kErrDist, "this build has no distributed support (build with libgloo-dev installed, or against pip torch)");
#endif
}

torch::Tensor ProcessGroup::all_gather(const torch::Tensor& t) {
  if (world_ == 1) return t;
#ifdef UNIADAPTER_WITH_DIST
  torch::NoGradGuard g;
  torch::Tensor src = t.contiguous();
  std::vector<std::vector<at::Tensor>> out(1);
  for (int64_t i = 0; i < world_; ++i) out[0].push_back(torch::empty_like(src));
  std::vector<at::Tensor> in{src};
  impl_->pg->allgather(out, in)->wait();
  return torch::cat(out[0], 0);
#else
  return t;
#endif
}

namespace {

struct GatherWithGrad : torch::autograd::Function<GatherWithGrad> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, ProcessGroup* pg) {
    ctx->saved_data["rank"] = pg->rank();
    ctx->saved_data["rows"] = x.size(0);
    ctx->saved_data["pg"] = reinterpret_cast<int64_t>(pg);
    return pg->all_gather(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list g) {
    auto* pg = reinterpret_cast<ProcessGroup*>(ctx->saved_data["pg"].toInt());
    const int64_t rank = ctx->saved_data["rank"].toInt(), rows = ctx->saved_data["rows"].toInt();
    torch::Tensor all = g[0].contiguous().clone();
    pg->all_reduce_sum(all);
    return {all.slice(0, rank * rows, (rank + 1) * rows), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor ProcessGroup::all_gather_with_grad(const torch::Tensor& t) {
  if (world_ == 1) return t;
  return GatherWithGrad::apply(t, this);
}

void ProcessGroup::all_reduce_sum(torch::Tensor& t) {
  if (world_ == 1) return;
#ifdef UNIADAPTER_WITH_DIST
  std::vector<at::Tensor> v{t};
  impl_->pg->allreduce(v)->wait();
#endif
}

void ProcessGroup::barrier() {
  if (world_ == 1) return;
#ifdef UNIADAPTER_WITH_DIST
  impl_->pg->barrier()->wait();
#endif
}

}  // namespace ua
