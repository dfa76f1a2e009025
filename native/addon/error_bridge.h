// Maps every exception the core can throw to a JS error with a clean message and a stable code.
#pragma once
#include <napi.h>

#include <exception>
#include <string>

namespace uaddon {

struct Failure {
  std::string code;
  std::string message;
};

// Call inside a catch block: classifies the in-flight exception.
Failure current_failure();

Napi::Error make_error(Napi::Env env, const Failure& f);
Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message);

// Runs fn and converts a C++ exception into a pending JS exception (for synchronous bindings).
template <typename Fn>
auto guard(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw make_error(env, current_failure());
  }
}

}  // namespace uaddon
