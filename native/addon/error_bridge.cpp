#include "addon/error_bridge.h"

#include <c10/util/Exception.h>

#include <cstdlib>
#include <new>

#include "uniadapter/runtime/error.h"

namespace uaddon {
namespace {

// LibTorch messages carry a C++ backtrace after the first line; UNIADAPTER_DEBUG_ERRORS=1 keeps it.
std::string first_line(const std::string& s) {
  static const bool full = std::getenv("UNIADAPTER_DEBUG_ERRORS") != nullptr;
  if (full) return s;
  auto pos = s.find('\n');
  return pos == std::string::npos ? s : s.substr(0, pos);
}

}  // namespace

Failure current_failure() {
  try {
    throw;
  } catch (const ua::Error& e) {
    return {e.code(), e.what()};
  } catch (const c10::OutOfMemoryError& e) {
    return {"ERR_OOM", "out of memory: " + first_line(e.what_without_backtrace())};
  } catch (const c10::Error& e) {
    return {"ERR_TORCH", first_line(std::getenv("UNIADAPTER_DEBUG_ERRORS") ? e.what() : e.what_without_backtrace())};
  } catch (const std::bad_alloc&) {
    return {"ERR_OOM", "out of memory while allocating host memory"};
  } catch (const std::exception& e) {
    return {"ERR_NATIVE", e.what()};
  } catch (...) {
    return {"ERR_NATIVE", "unknown native error"};
  }
}

Napi::Error make_error(Napi::Env env, const Failure& f) { return make_error(env, f.code, f.message); }

Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

}  // namespace uaddon
