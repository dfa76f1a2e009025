// The fingerprint that ties adapters and galleries to the backbone (and adapter) they were made with.
#include "uniadapter/tasks/task_model.h"

#include <cstdio>

namespace ua {

Result TaskModel::fingerprint(const Options& o) const {
  // A 64-bit hash of the frozen backbone (names, shapes and values rounded to bfloat16, so an fp32
  // and a bf16 copy of the same weights agree), to tie an adapter to the backbone it was trained on.
  torch::NoGradGuard g;
  uint64_t h = 0x9E3779B97F4A7C15ull;
  auto mix = [&h](uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  };
  int64_t tensors = 0, values = 0;
  for (const auto& kv : root_->named_parameters()) {
    const std::string& n = kv.key();
    if (is_momentum(n) || is_petl(n) || kv.value().requires_grad() || registry_.is(n, ParamRole::Temperature)) continue;
    for (char c : n) mix(static_cast<unsigned char>(c));
    for (int64_t d : kv.value().sizes()) mix(static_cast<uint64_t>(d));
    torch::Tensor t = kv.value().detach().to(at::kBFloat16).cpu().contiguous();
    const uint16_t* p = reinterpret_cast<const uint16_t*>(t.data_ptr());
    const int64_t count = t.numel();
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
      uint64_t w = static_cast<uint64_t>(p[i]) | (static_cast<uint64_t>(p[i + 1]) << 16) |
                   (static_cast<uint64_t>(p[i + 2]) << 32) | (static_cast<uint64_t>(p[i + 3]) << 48);
      mix(w);
    }
    for (; i < count; ++i) mix(p[i]);
    ++tensors;
    values += count;
  }
  if (o.get_bool("adapter", false)) {
    // The adapter's exact values too (galleries embedded with one adapter are stale for another).
    for (const auto& kv : root_->named_parameters()) {
      const std::string& n = kv.key();
      if (is_momentum(n) || !(is_petl(n) || kv.value().requires_grad())) continue;
      for (char c : n) mix(static_cast<unsigned char>(c));
      torch::Tensor t = kv.value().detach().to(at::kFloat).cpu().contiguous();
      const uint32_t* p = reinterpret_cast<const uint32_t*>(t.data_ptr());
      for (int64_t i = 0; i < t.numel(); ++i) mix(p[i]);
    }
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  Result r;
  r.info.set("fingerprint", std::string(buf));
  r.info.set("tensors", tensors);
  r.info.set("values", values);
  return r;
}

}  // namespace ua
