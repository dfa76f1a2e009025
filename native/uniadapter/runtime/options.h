// Plain-data options crossing into the core: a flat map of dotted keys to scalars, strings and lists.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ua {

using OptionValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>, std::vector<double>,
                                 std::vector<std::string>>;

class Options {
 public:
  Options() = default;

  bool has(const std::string& key) const { return values_.count(key) > 0; }
  void set(const std::string& key, OptionValue v) { values_[key] = std::move(v); }
  const std::map<std::string, OptionValue>& values() const { return values_; }

  bool get_bool(const std::string& key, bool fallback) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_double(const std::string& key, double fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& key, const std::vector<int64_t>& fallback) const;
  std::vector<std::string> get_strings(const std::string& key, const std::vector<std::string>& fallback) const;

  int64_t require_int(const std::string& key) const;
  std::string require_string(const std::string& key) const;

  // Keys under a prefix ("vision." -> the vision block), with the prefix removed.
  Options sub(const std::string& prefix) const;

 private:
  std::map<std::string, OptionValue> values_;
};

}  // namespace ua
