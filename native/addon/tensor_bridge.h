// JS tensors ({dtype, shape, data}) to and from at::Tensor, with dtype, shape and byte-length checks.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include "uniadapter/runtime/api.h"

namespace uaddon {

at::Tensor to_tensor(const Napi::Value& value, const std::string& name);
ua::TensorMap to_tensor_map(const Napi::Value& value);

// The tensor must be contiguous and on the CPU; its memory is handed to JS without a copy.
Napi::Object from_tensor(Napi::Env env, const at::Tensor& t);
Napi::Object from_tensor_map(Napi::Env env, const ua::TensorMap& m);

// Makes tensors ready for from_tensor (call on the worker thread, not the JS thread).
void make_host_contiguous(ua::TensorMap& m);

}  // namespace uaddon
