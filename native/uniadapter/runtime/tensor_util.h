// Small helpers over named tensors: lookup with clear errors, shape strings, dtype names.
#pragma once
#include <ATen/ATen.h>

#include <optional>
#include <string>

#include "uniadapter/runtime/api.h"

namespace ua {

std::string shape_str(const at::Tensor& t);
std::optional<at::Tensor> find_tensor(const TensorMap& m, const std::string& name);
at::Tensor require_tensor(const TensorMap& m, const std::string& name);
at::ScalarType parse_float_dtype(const std::string& name);
std::string dtype_name(at::ScalarType t);

// A copy of token ids [B, L] whose first token is `token` ([ENC] for the multimodal encoder, [DEC]
// for the decoders), as BLIP replaces the tokenizer's [CLS].
at::Tensor with_first_token(const at::Tensor& ids, int64_t token);

// Checks rank and the sizes that are given (-1 = any) and names the tensor in the error.
void expect_shape(const at::Tensor& t, const std::string& name, std::initializer_list<int64_t> sizes);

}  // namespace ua
