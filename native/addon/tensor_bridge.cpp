#include "addon/tensor_bridge.h"

#include "addon/plain_object.h"

#include <cmath>
#include <cstring>

#include "addon/error_bridge.h"
#include "uniadapter/runtime/error.h"

namespace uaddon {
namespace {

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
  size_t itemsize;
  napi_typedarray_type array;
};

const DtypeInfo kDtypes[] = {
    {"float32", at::kFloat, 4, napi_float32_array},   {"float64", at::kDouble, 8, napi_float64_array},
    {"int64", at::kLong, 8, napi_bigint64_array},     {"int32", at::kInt, 4, napi_int32_array},
    {"uint8", at::kByte, 1, napi_uint8_array},        {"bool", at::kBool, 1, napi_uint8_array},
    {"bfloat16", at::kBFloat16, 2, napi_uint16_array}, {"float16", at::kHalf, 2, napi_uint16_array},
};

const DtypeInfo* by_name(const std::string& n) {
  for (const auto& d : kDtypes)
    if (n == d.name) return &d;
  return nullptr;
}

const DtypeInfo* by_type(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (t == d.type) return &d;
  return nullptr;
}

[[noreturn]] void bad(const char* code, const std::string& name, const std::string& what) {
  throw ua::Error(code, "tensor '" + name + "': " + what);
}

}  // namespace

at::Tensor to_tensor(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject()) bad(ua::kErrArg, name, "expected an object {dtype, shape, data}");
  Napi::Object obj = value.As<Napi::Object>();
  Napi::Value dtype_v = obj.Get("dtype"), shape_v = obj.Get("shape"), data_v = obj.Get("data");
  if (!dtype_v.IsString()) bad(ua::kErrDtype, name, "'dtype' must be a string");
  const std::string dtype = dtype_v.As<Napi::String>().Utf8Value();
  const DtypeInfo* info = by_name(dtype);
  if (!info)
    bad(ua::kErrDtype, name, "unknown dtype '" + dtype + "' (float32, float64, int64, int32, uint8, bool, bfloat16, float16)");
  if (!shape_v.IsArray()) bad(ua::kErrShape, name, "'shape' must be an array of non-negative integers");
  Napi::Array shape_a = shape_v.As<Napi::Array>();
  if (shape_a.Length() > 16) bad(ua::kErrShape, name, "at most 16 dimensions are supported");
  std::vector<int64_t> shape;
  double numel = 1;
  for (uint32_t i = 0; i < shape_a.Length(); ++i) {
    Napi::Value s = shape_a.Get(i);
    if (!s.IsNumber()) bad(ua::kErrShape, name, "shape entries must be numbers");
    const double d = s.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || std::floor(d) != d || d > 9007199254740991.0)
      bad(ua::kErrShape, name, "shape entries must be non-negative integers");
    shape.push_back(static_cast<int64_t>(d));
    numel *= d;
  }
  if (!data_v.IsTypedArray() && !data_v.IsArrayBuffer())
    bad(ua::kErrArg, name, "'data' must be a TypedArray, Buffer or ArrayBuffer");
  const uint8_t* ptr = nullptr;
  size_t bytes = 0;
  if (data_v.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = data_v.As<Napi::ArrayBuffer>();
    ptr = static_cast<const uint8_t*>(ab.Data());
    bytes = ab.ByteLength();
  } else {
    Napi::TypedArray ta = data_v.As<Napi::TypedArray>();
    const napi_typedarray_type kind = ta.TypedArrayType();
    const bool raw_bytes = kind == napi_uint8_array || kind == napi_uint8_clamped_array || kind == napi_int8_array;
    const bool same_kind = kind == info->array || (info->type == at::kLong && kind == napi_biguint64_array);
    if (!raw_bytes && !same_kind)
      bad(ua::kErrDtype, name, "the data's TypedArray kind does not match dtype '" + dtype + "'");
    Napi::ArrayBuffer ab = ta.ArrayBuffer();
    ptr = static_cast<const uint8_t*>(ab.Data()) + ta.ByteOffset();
    bytes = ta.ByteLength();
  }
  const double expected = numel * static_cast<double>(info->itemsize);
  if (static_cast<double>(bytes) != expected) {
    bad(ua::kErrShape, name,
        "shape and dtype need " + std::to_string(static_cast<long long>(expected)) + " bytes but the data has " +
            std::to_string(bytes));
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(info->type));
  if (bytes) std::memcpy(t.data_ptr(), ptr, bytes);
  return t;
}

ua::TensorMap to_tensor_map(const Napi::Value& value) {
  ua::TensorMap m;
  if (value.IsUndefined() || value.IsNull()) return m;
  if (!value.IsObject()) throw ua::Error(ua::kErrArg, "tensor inputs must be an object of named tensors");
  Napi::Object obj = value.As<Napi::Object>();
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string k = keys.Get(i).ToString().Utf8Value();
    Napi::Value v = obj.Get(k);
    if (v.IsUndefined() || v.IsNull()) continue;
    m.emplace_back(k, to_tensor(v, k));
  }
  return m;
}

void make_host_contiguous(ua::TensorMap& m) {
  for (auto& kv : m) {
    at::Tensor t = kv.second.detach();
    if (!t.device().is_cpu()) t = t.cpu();
    if (!by_type(t.scalar_type())) t = t.to(at::kFloat);
    kv.second = t.contiguous();
  }
}

Napi::Object from_tensor(Napi::Env env, const at::Tensor& t_in) {
  at::Tensor t = t_in;
  const DtypeInfo* info = by_type(t.scalar_type());
  if (!info) throw ua::Error(ua::kErrDtype, std::string("cannot return a tensor of dtype ") + c10::toString(t.scalar_type()));
  if (!t.is_contiguous() || !t.device().is_cpu()) t = t.cpu().contiguous();
  const size_t bytes = static_cast<size_t>(t.numel()) * info->itemsize;
  Napi::ArrayBuffer ab;
  if (bytes == 0) {
    ab = Napi::ArrayBuffer::New(env, 0);
  } else {
    auto* hold = new at::Tensor(t);
    ab = Napi::ArrayBuffer::New(env, t.data_ptr(), bytes, [](Napi::Env, void*, at::Tensor* h) { delete h; }, hold);
  }
  const size_t length = bytes / info->itemsize;
  napi_value arr;
  napi_status st = napi_create_typedarray(env, info->array, length, ab, 0, &arr);
  NAPI_THROW_IF_FAILED(env, st, Napi::Object());
  Napi::Value data(env, arr);
  Napi::Object out = Napi::Object::New(env);
  out.Set("dtype", Napi::String::New(env, info->name));
  Napi::Array shape = Napi::Array::New(env, t.dim());
  for (int64_t i = 0; i < t.dim(); ++i) shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(t.size(i))));
  out.Set("shape", shape);
  out.Set("data", data);
  return out;
}

Napi::Object from_tensor_map(Napi::Env env, const ua::TensorMap& m) {
  Napi::Object out = plain_object(env);
  for (const auto& kv : m) out.Set(kv.first, from_tensor(env, kv.second));
  return out;
}

}  // namespace uaddon
