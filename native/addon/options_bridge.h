// JS option objects to ua::Options (nested keys flattened with dots) and back.
#pragma once
#include <napi.h>

#include "uniadapter/runtime/options.h"

namespace uaddon {

ua::Options to_options(const Napi::Value& value);
Napi::Object from_options(Napi::Env env, const ua::Options& options);

}  // namespace uaddon
