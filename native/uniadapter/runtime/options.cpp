#include "uniadapter/runtime/options.h"

#include <cmath>

#include "uniadapter/runtime/error.h"

namespace ua {
namespace {

const char* kind_name(const OptionValue& v) {
  switch (v.index()) {
    case 0: return "a boolean";
    case 1: return "an integer";
    case 2: return "a number";
    case 3: return "a string";
    case 4: return "a list of integers";
    case 5: return "a list of numbers";
    default: return "a list of strings";
  }
}

[[noreturn]] void wrong(const std::string& key, const OptionValue& v, const char* wanted) {
  fail(kErrConfig, "option '" + key + "' must be " + wanted + ", got " + kind_name(v));
}

}  // namespace

bool Options::get_bool(const std::string& key, bool fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto b = std::get_if<bool>(&it->second)) return *b;
  if (auto i = std::get_if<int64_t>(&it->second)) return *i != 0;
  wrong(key, it->second, "a boolean");
}

int64_t Options::get_int(const std::string& key, int64_t fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto i = std::get_if<int64_t>(&it->second)) return *i;
  if (auto d = std::get_if<double>(&it->second)) {
    if (std::floor(*d) == *d) return static_cast<int64_t>(*d);
  }
  if (auto b = std::get_if<bool>(&it->second)) return *b ? 1 : 0;
  wrong(key, it->second, "an integer");
}

double Options::get_double(const std::string& key, double fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto d = std::get_if<double>(&it->second)) return *d;
  if (auto i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
  wrong(key, it->second, "a number");
}

std::string Options::get_string(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto s = std::get_if<std::string>(&it->second)) return *s;
  if (auto b = std::get_if<bool>(&it->second)) return *b ? "true" : "false";
  wrong(key, it->second, "a string");
}

std::vector<int64_t> Options::get_ints(const std::string& key, const std::vector<int64_t>& fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  if (auto v = std::get_if<std::vector<double>>(&it->second)) {
    std::vector<int64_t> out;
    for (double d : *v) {
      if (std::floor(d) != d) wrong(key, it->second, "a list of integers");
      out.push_back(static_cast<int64_t>(d));
    }
    return out;
  }
  if (auto i = std::get_if<int64_t>(&it->second)) return {*i};
  wrong(key, it->second, "a list of integers");
}

std::vector<std::string> Options::get_strings(const std::string& key, const std::vector<std::string>& fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto v = std::get_if<std::vector<std::string>>(&it->second)) return *v;
  if (auto s = std::get_if<std::string>(&it->second)) return {*s};
  if (auto v = std::get_if<std::vector<int64_t>>(&it->second)) {
    if (v->empty()) return {};
  }
  wrong(key, it->second, "a list of strings");
}

int64_t Options::require_int(const std::string& key) const {
  check(has(key), kErrConfig, "option '" + key + "' is required");
  return get_int(key, 0);
}

std::string Options::require_string(const std::string& key) const {
  check(has(key), kErrConfig, "option '" + key + "' is required");
  return get_string(key, "");
}

Options Options::sub(const std::string& prefix) const {
  Options out;
  for (auto it = values_.lower_bound(prefix); it != values_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.values_[it->first.substr(prefix.size())] = it->second;
  }
  return out;
}

}  // namespace ua
