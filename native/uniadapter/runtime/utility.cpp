// Stateless operations reachable from bindings (run_utility).
#include <ATen/ATen.h>

#include <cstring>

#include "uniadapter/runtime/api.h"
#include "uniadapter/runtime/config.h"
#include "uniadapter/runtime/image_resize.h"
#include "uniadapter/runtime/op_options.h"
#include "uniadapter/nn/pos_embed.h"
#include "uniadapter/runtime/runtime.h"
#include "uniadapter/runtime/tensor_util.h"

namespace ua {
namespace {

Result resize(const TensorMap& in, const Options& o) {
  at::Tensor img = require_tensor(in, "image");
  check(img.scalar_type() == at::kByte, kErrDtype, "resize: 'image' must be uint8");
  check(img.dim() == 3, kErrShape, "resize: 'image' must be [height, width, channels], got " + shape_str(img));
  img = img.contiguous();
  const int64_t h = o.require_int("height"), w = o.require_int("width");
  auto out = pil_resize(img.data_ptr<uint8_t>(), img.size(0), img.size(1), img.size(2), h, w,
                        parse_resample_filter(o.get_string("filter", "bicubic")));
  at::Tensor t = at::empty({h, w, img.size(2)}, at::kByte);
  std::memcpy(t.data_ptr<uint8_t>(), out.data(), out.size());
  return Result{{{"image", t}}, {}};
}

Result interpolate(const TensorMap& in, const Options& o) {
  at::Tensor pe = require_tensor(in, "pos_embed");
  return Result{{{"pos_embed", interpolate_pos_embed(pe, o.require_int("grid"), o.get_int("extraTokens", 1))}}, {}};
}

Result gemm(const Options& o) {
  Options info;
  const auto dtype = parse_float_dtype(o.get_string("dtype", "float32"));
  info.set("gflops", gemm_gflops(o.get_int("n", 512), o.get_int("iterations", 10), dtype,
                                  parse_device(o.get_string("device", "cpu"))));
  return Result{{}, info};
}

}  // namespace

Result run_utility(const std::string& op, const TensorMap& inputs, const Options& options) {
  check_op_options("utility", op, options);
  if (op == "info") return Result{{}, runtime_info()};
  if (op == "resolve_config") {
    Result r;
    const Options resolved = task_config_to_options(task_config_from_options(options));
    for (const auto& kv : resolved.values()) r.info.set("config." + kv.first, kv.second);
    return r;
  }
  if (op == "set_threads") {
    set_num_threads(options.require_int("threads"));
    return Result{{}, runtime_info()};
  }
  if (op == "identity") return Result{inputs, {}};
  if (op == "resize") return resize(inputs, options);
  if (op == "interpolate_pos_embed") return interpolate(inputs, options);
  if (op == "gemm") return gemm(options);
  fail(kErrArg, "unknown utility operation '" + op + "'");
}

void prepare_worker_thread() {}

}  // namespace ua
