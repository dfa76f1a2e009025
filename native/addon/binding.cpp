// Module entry: createModel, runUtility (stateless ops on the libuv pool), build information.
#include <napi.h>

#include "addon/error_bridge.h"
#include "addon/model_object.h"
#include "addon/options_bridge.h"
#include "addon/tensor_bridge.h"
#include "uniadapter/runtime/fork_guard.h"

namespace uaddon {
namespace {

class UtilityWorker : public Napi::AsyncWorker {
 public:
  UtilityWorker(Napi::Env env, std::string op, ua::TensorMap inputs, ua::Options options)
      : Napi::AsyncWorker(env, "uniadapter-utility"),
        deferred_(Napi::Promise::Deferred::New(env)),
        op_(std::move(op)),
        inputs_(std::move(inputs)),
        options_(std::move(options)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    ua::ForkGuardScope guard;
    try {
      result_ = ua::run_utility(op_, inputs_, options_);
      make_host_contiguous(result_.tensors);
      ok_ = true;
    } catch (...) {
      failure_ = current_failure();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Reject(make_error(env, failure_).Value());
      return;
    }
    try {
      Napi::Object o = Napi::Object::New(env);
      o.Set("tensors", from_tensor_map(env, result_.tensors));
      o.Set("info", from_options(env, result_.info));
      deferred_.Resolve(o);
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string op_;
  ua::TensorMap inputs_;
  ua::Options options_;
  ua::Result result_;
  Failure failure_;
  bool ok_ = false;
};

Napi::Value run_utility(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 1 || !info[0].IsString()) throw ua::Error(ua::kErrArg, "runUtility(op, inputs, options): op must be a string");
    auto* w = new UtilityWorker(env, info[0].As<Napi::String>().Utf8Value(),
                                to_tensor_map(info.Length() > 1 ? info[1] : env.Undefined()),
                                to_options(info.Length() > 2 ? info[2] : env.Undefined()));
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  } catch (...) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(make_error(env, current_failure()).Value());
    return d.Promise();
  }
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  ua::install_fork_guard();
  Napi::Function ctor = NativeModel::define(env);
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(ctor)));
  exports.Set("NativeModel", ctor);
  exports.Set("createModel", Napi::Function::New(env, NativeModel::create, "createModel"));
  exports.Set("runUtility", Napi::Function::New(env, run_utility, "runUtility"));
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return exports;
}

}  // namespace
}  // namespace uaddon

static Napi::Object InitUniadapter(Napi::Env env, Napi::Object exports) { return uaddon::init(env, exports); }

NODE_API_MODULE(uniadapter, InitUniadapter)
