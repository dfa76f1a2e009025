// The core's error type: a message a user can act on and a stable code the Node layer exposes.
#pragma once
#include <stdexcept>
#include <string>

namespace ua {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

// Stable codes shared with lib/errors.ts.
inline constexpr const char* kErrArg = "ERR_ARG";
inline constexpr const char* kErrShape = "ERR_SHAPE";
inline constexpr const char* kErrDtype = "ERR_DTYPE";
inline constexpr const char* kErrConfig = "ERR_CONFIG";
inline constexpr const char* kErrWeights = "ERR_WEIGHTS";
inline constexpr const char* kErrDevice = "ERR_DEVICE";
inline constexpr const char* kErrState = "ERR_STATE";
inline constexpr const char* kErrDist = "ERR_DIST";
inline constexpr const char* kErrUnsupported = "ERR_UNSUPPORTED";

[[noreturn]] inline void fail(const char* code, const std::string& message) { throw Error(code, message); }

inline void check(bool ok, const char* code, const std::string& message) {
  if (!ok) fail(code, message);
}

}  // namespace ua
