#include "addon/model_object.h"

#include "addon/error_bridge.h"
#include "addon/options_bridge.h"
#include "addon/tensor_bridge.h"

namespace uaddon {
namespace {

struct Outcome {
  bool ok = false;
  ua::Result result;
  Failure failure;
};

template <typename Fn>
void capture(Outcome& out, Fn&& fn) {
  try {
    out.result = fn();
    make_host_contiguous(out.result.tensors);
    out.ok = true;
  } catch (...) {
    out.failure = current_failure();
  }
}

Napi::Object result_to_js(Napi::Env env, const ua::Result& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("tensors", from_tensor_map(env, r.tensors));
  o.Set("info", from_options(env, r.info));
  return o;
}

}  // namespace

Napi::Function NativeModel::define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {InstanceMethod<&NativeModel::run>("run"), InstanceMethod<&NativeModel::dispose>("dispose"),
                      InstanceAccessor<&NativeModel::task>("task"),
                      InstanceAccessor<&NativeModel::disposed>("disposed"),
                      InstanceAccessor<&NativeModel::pending>("pending")});
}

NativeModel::NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {
  if (info.Length() < 1 || !info[0].IsExternal())
    throw make_error(info.Env(), "ERR_ARG", "NativeModel cannot be constructed directly; use createModel()");
  auto* pair = info[0].As<Napi::External<std::pair<std::shared_ptr<Executor>, std::shared_ptr<Shared>>>>().Data();
  executor_ = pair->first;
  shared_ = pair->second;
  task_ = info[1].As<Napi::String>().Utf8Value();
}

NativeModel::~NativeModel() {
  // Garbage-collected without dispose(): free the model on its own thread (during environment
  // teardown the executor has already stopped, and the model is freed with the last reference).
  if (!disposed_ && executor_ && executor_->usable()) {
    auto shared = shared_;
    executor_->submit([shared] { shared->model.reset(); }, nullptr);
    executor_->close();
  }
}

Napi::Value NativeModel::create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  ua::Options config;
  try {
    config = to_options(info[0]);
  } catch (...) {
    deferred.Reject(make_error(env, current_failure()).Value());
    return deferred.Promise();
  }
  auto ctor = std::make_shared<Napi::FunctionReference>(Napi::Persistent(env.GetInstanceData<Napi::FunctionReference>()->Value()));
  auto executor = Executor::create(env, "uniadapter-model");
  auto shared = std::make_shared<Shared>();
  auto outcome = std::make_shared<Outcome>();
  executor->submit(
      [shared, config, outcome] {
        capture(*outcome, [&] {
          shared->model = ua::create_model(config);
          ua::Result r;
          r.info.set("task", shared->model->task());
          return r;
        });
      },
      [deferred, executor, shared, outcome, ctor](Napi::Env env) {
        if (!outcome->ok) {
          executor->close();
          deferred.Reject(make_error(env, outcome->failure).Value());
          return;
        }
        std::pair<std::shared_ptr<Executor>, std::shared_ptr<Shared>> pair(executor, shared);
        auto ext = Napi::External<decltype(pair)>::New(env, &pair);
        Napi::Object obj = ctor->New({ext, Napi::String::New(env, outcome->result.info.get_string("task", ""))});
        deferred.Resolve(obj);
      });
  return deferred.Promise();
}

Napi::Value NativeModel::run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  if (disposed_) {
    deferred.Reject(make_error(env, "ERR_DISPOSED", "this model was disposed; load it again to use it").Value());
    return deferred.Promise();
  }
  std::string op;
  ua::TensorMap inputs;
  ua::Options options;
  try {
    if (info.Length() < 1 || !info[0].IsString()) throw ua::Error(ua::kErrArg, "run(op, inputs, options): op must be a string");
    op = info[0].As<Napi::String>().Utf8Value();
    inputs = to_tensor_map(info.Length() > 1 ? info[1] : env.Undefined());
    options = to_options(info.Length() > 2 ? info[2] : env.Undefined());
  } catch (...) {
    deferred.Reject(make_error(env, current_failure()).Value());
    return deferred.Promise();
  }
  auto shared = shared_;
  auto outcome = std::make_shared<Outcome>();
  const bool queued = executor_->submit(
      [shared, op, inputs = std::move(inputs), options = std::move(options), outcome] {
        capture(*outcome, [&] {
          if (!shared->model) throw ua::Error("ERR_DISPOSED", "this model was disposed");
          return shared->model->run(op, inputs, options);
        });
      },
      [deferred, outcome](Napi::Env env) {
        if (!outcome->ok) {
          deferred.Reject(make_error(env, outcome->failure).Value());
          return;
        }
        try {
          deferred.Resolve(result_to_js(env, outcome->result));
        } catch (const Napi::Error& e) {
          deferred.Reject(e.Value());
        } catch (...) {
          deferred.Reject(make_error(env, current_failure()).Value());
        }
      });
  if (!queued) deferred.Reject(make_error(env, "ERR_DISPOSED", "the runtime is shutting down").Value());
  return deferred.Promise();
}

Napi::Value NativeModel::dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  if (disposed_) {
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  disposed_ = true;
  auto shared = shared_;
  if (!executor_->submit([shared] { shared->model.reset(); }, [deferred](Napi::Env env) { deferred.Resolve(env.Undefined()); }))
    deferred.Resolve(env.Undefined());
  executor_->close();
  return deferred.Promise();
}

Napi::Value NativeModel::task(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), task_); }
Napi::Value NativeModel::disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }
Napi::Value NativeModel::pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(executor_ ? executor_->pending() : 0));
}

}  // namespace uaddon
