#include "uniadapter/runtime/tensor_util.h"

#include <sstream>

namespace ua {

std::string shape_str(const at::Tensor& t) {
  std::ostringstream s;
  s << "[";
  for (int64_t i = 0; i < t.dim(); ++i) s << (i ? ", " : "") << t.size(i);
  s << "]";
  return s.str();
}

std::optional<at::Tensor> find_tensor(const TensorMap& m, const std::string& name) {
  for (const auto& kv : m)
    if (kv.first == name) return kv.second;
  return std::nullopt;
}

at::Tensor require_tensor(const TensorMap& m, const std::string& name) {
  auto t = find_tensor(m, name);
  check(t.has_value(), kErrArg, "missing input tensor '" + name + "'");
  return *t;
}

at::ScalarType parse_float_dtype(const std::string& name) {
  if (name == "float32") return at::kFloat;
  if (name == "bfloat16" || name == "bf16") return at::kBFloat16;
  if (name == "float16" || name == "fp16") return at::kHalf;
  fail(kErrDtype, "unknown floating dtype '" + name + "' (use float32, bfloat16 or float16)");
}

std::string dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    case at::kDouble: return "float64";
    default: return c10::toString(t);
  }
}

void expect_shape(const at::Tensor& t, const std::string& name, std::initializer_list<int64_t> sizes) {
  bool ok = t.dim() == static_cast<int64_t>(sizes.size());
  int64_t i = 0;
  std::ostringstream want;
  want << "[";
  for (int64_t s : sizes) {
    if (ok && s >= 0 && t.size(i) != s) ok = false;
    want << (i ? ", " : "") << (s >= 0 ? std::to_string(s) : std::string("*"));
    ++i;
  }
  want << "]";
  check(ok, kErrShape, "'" + name + "' must have shape " + want.str() + ", got " + shape_str(t));
}

at::Tensor with_first_token(const at::Tensor& ids, int64_t token) {
  at::Tensor e = ids.clone();
  e.select(1, 0).fill_(token);
  return e;
}

}  // namespace ua
