#include "addon/options_bridge.h"

#include "addon/plain_object.h"

#include <cmath>

#include "uniadapter/runtime/error.h"

namespace uaddon {
namespace {

bool is_int(double d) { return std::floor(d) == d && std::fabs(d) <= 9007199254740991.0; }

void flatten(const Napi::Object& obj, const std::string& prefix, ua::Options& out, int depth) {
  if (depth > 8) throw ua::Error(ua::kErrArg, "options are nested too deeply at '" + prefix + "'");
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string k = keys.Get(i).ToString().Utf8Value();
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    Napi::Value v = obj.Get(k);
    if (v.IsUndefined() || v.IsNull()) continue;
    if (v.IsBoolean()) {
      out.set(key, v.As<Napi::Boolean>().Value());
    } else if (v.IsNumber()) {
      const double d = v.As<Napi::Number>().DoubleValue();
      if (is_int(d)) out.set(key, static_cast<int64_t>(d));
      else out.set(key, d);
    } else if (v.IsString()) {
      out.set(key, v.As<Napi::String>().Utf8Value());
    } else if (v.IsArray()) {
      Napi::Array a = v.As<Napi::Array>();
      std::vector<double> nums;
      std::vector<std::string> strs;
      bool all_int = true;
      for (uint32_t j = 0; j < a.Length(); ++j) {
        Napi::Value e = a.Get(j);
        if (e.IsNumber()) {
          const double d = e.As<Napi::Number>().DoubleValue();
          all_int = all_int && is_int(d);
          nums.push_back(d);
        } else if (e.IsString()) {
          strs.push_back(e.As<Napi::String>().Utf8Value());
        } else {
          throw ua::Error(ua::kErrArg, "option '" + key + "' must be a list of numbers or of strings");
        }
      }
      if (!nums.empty() && !strs.empty())
        throw ua::Error(ua::kErrArg, "option '" + key + "' mixes numbers and strings");
      if (!strs.empty()) {
        out.set(key, strs);
      } else if (all_int) {
        std::vector<int64_t> ints(nums.begin(), nums.end());
        out.set(key, ints);
      } else {
        out.set(key, nums);
      }
    } else if (v.IsObject() && !v.IsFunction()) {
      flatten(v.As<Napi::Object>(), key, out, depth + 1);
    } else {
      throw ua::Error(ua::kErrArg, "option '" + key + "' has an unsupported type");
    }
  }
}

Napi::Value to_js(Napi::Env env, const ua::OptionValue& v) {
  switch (v.index()) {
    case 0: return Napi::Boolean::New(env, std::get<bool>(v));
    case 1: return Napi::Number::New(env, static_cast<double>(std::get<int64_t>(v)));
    case 2: return Napi::Number::New(env, std::get<double>(v));
    case 3: return Napi::String::New(env, std::get<std::string>(v));
    case 4: {
      const auto& x = std::get<std::vector<int64_t>>(v);
      Napi::Array a = Napi::Array::New(env, x.size());
      for (size_t i = 0; i < x.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(x[i])));
      return a;
    }
    case 5: {
      const auto& x = std::get<std::vector<double>>(v);
      Napi::Array a = Napi::Array::New(env, x.size());
      for (size_t i = 0; i < x.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, x[i]));
      return a;
    }
    default: {
      const auto& x = std::get<std::vector<std::string>>(v);
      Napi::Array a = Napi::Array::New(env, x.size());
      for (size_t i = 0; i < x.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::String::New(env, x[i]));
      return a;
    }
  }
}

}  // namespace

ua::Options to_options(const Napi::Value& value) {
  ua::Options out;
  if (value.IsUndefined() || value.IsNull()) return out;
  if (!value.IsObject()) throw ua::Error(ua::kErrArg, "options must be an object");
  flatten(value.As<Napi::Object>(), "", out, 0);
  return out;
}

Napi::Object from_options(Napi::Env env, const ua::Options& options) {
  Napi::Object root = plain_object(env);
  for (const auto& kv : options.values()) {
    Napi::Object node = root;
    const std::string& key = kv.first;
    size_t start = 0;
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', start)) {
      const std::string part = key.substr(start, dot - start);
      Napi::Value child = node.HasOwnProperty(part) ? node.Get(part) : env.Undefined();
      if (!child.IsObject()) {
        child = plain_object(env);
        node.Set(part, child);
      }
      node = child.As<Napi::Object>();
      start = dot + 1;
    }
    node.Set(key.substr(start), to_js(env, kv.second));
  }
  return root;
}

}  // namespace uaddon
