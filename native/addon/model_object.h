// NativeModel: a JS handle on one core model and its executor.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/executor.h"
#include "uniadapter/runtime/api.h"

namespace uaddon {

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function define(Napi::Env env);
  // createModel(config): Promise<NativeModel>
  static Napi::Value create(const Napi::CallbackInfo& info);

  explicit NativeModel(const Napi::CallbackInfo& info);
  ~NativeModel() override;

 private:
  struct Shared {
    std::unique_ptr<ua::Model> model;  // touched only on the executor thread
  };

  Napi::Value run(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value task(const Napi::CallbackInfo& info);
  Napi::Value disposed(const Napi::CallbackInfo& info);
  Napi::Value pending(const Napi::CallbackInfo& info);

  std::shared_ptr<Executor> executor_;
  std::shared_ptr<Shared> shared_;
  std::string task_;
  bool disposed_ = false;
};

}  // namespace uaddon
