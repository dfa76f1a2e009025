// Objects handed to JavaScript whose keys come from data (tensor names, option keys): created with a
// null prototype, so a key such as "__proto__" becomes an own property instead of replacing the
// prototype.
#pragma once
#include <napi.h>

namespace uaddon {

inline Napi::Object plain_object(Napi::Env env) {
  Napi::Function create = env.Global().Get("Object").As<Napi::Object>().Get("create").As<Napi::Function>();
  return create.Call({env.Null()}).As<Napi::Object>();
}

}  // namespace uaddon
