// String tests on parameter and module names.
#pragma once
#include <string>

namespace ua {

inline bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
inline bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace ua
