#include "uniadapter/train/grad_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

namespace ua {
namespace {

struct Recompute : torch::CustomClassHolder {
  std::function<torch::Tensor(const torch::Tensor&)> fn;
  at::Tensor cpu_rng_state;
};

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
  // `anchor` requires grad so that the output is part of the graph even when x is not: the
  // trainable adapters inside the recomputed function must still receive their gradients.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, torch::Tensor anchor,
                               c10::intrusive_ptr<Recompute> holder) {
    {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      holder->cpu_rng_state = gen.get_state();
    }
    ctx->save_for_backward({x});
    ctx->saved_data["fn"] = c10::IValue::make_capsule(holder);
    torch::NoGradGuard no_grad;
    return holder->fn(x);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto holder = c10::static_intrusive_pointer_cast<Recompute>(ctx->saved_data["fn"].toCapsule());
    torch::Tensor x = ctx->get_saved_variables()[0];
    torch::Tensor xd = x.detach().requires_grad_(x.requires_grad());
    at::Tensor saved_state;
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      saved_state = gen.get_state();
      gen.set_state(holder->cpu_rng_state);
    }
    torch::Tensor out;
    {
      torch::AutoGradMode enable(true);
      out = holder->fn(xd);
    }
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(saved_state);
    }
    if (out.requires_grad()) torch::autograd::backward({out}, {grads[0]});
    torch::Tensor gx = xd.requires_grad() && xd.grad().defined() ? xd.grad() : torch::Tensor();
    return {gx, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed(std::function<torch::Tensor(const torch::Tensor&)> fn, const torch::Tensor& x) {
  auto holder = c10::make_intrusive<Recompute>();
  holder->fn = std::move(fn);
  torch::Tensor anchor = torch::zeros({}, x.options().dtype(at::kFloat)).requires_grad_(true);
  return CheckpointFunction::apply(x, anchor, holder);
}

}  // namespace ua
