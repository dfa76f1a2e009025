#include "uniadapter/runtime/runtime.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "uniadapter/runtime/error.h"

#ifdef UNIADAPTER_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace ua {
namespace {

// Shared libraries mapped into this process whose path contains one of `parts`.
std::string mapped_libraries(std::initializer_list<const char*> parts) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::set<std::string> found;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    std::string path = line.substr(pos);
    for (const char* p : parts)
      if (path.find(p) != std::string::npos) found.insert(path);
  }
  std::string out;
  for (const auto& p : found) out += (out.empty() ? "" : ";") + p;
  return out;
}

// The BLAS actually mapped (Debian's libtorch links the generic libblas.so.3, which alternatives
// point at the reference BLAS or at OpenBLAS).
std::string mapped_blas() { return mapped_libraries({"blas", "mkl", "blis"}); }

std::string classify_blas(const std::string& mapped) {
  if (mapped.find("openblas-pthread") != std::string::npos) return "openblas-pthread";
  if (mapped.find("openblas-openmp") != std::string::npos) return "openblas-openmp";
  if (mapped.find("openblas") != std::string::npos) return "openblas";
  if (mapped.find("mkl") != std::string::npos) return "mkl";
  if (mapped.find("blis") != std::string::npos) return "blis";
  if (mapped.find("/blas/libblas") != std::string::npos) return "reference";
  if (mapped.empty()) return "bundled";
  return "unknown";
}

}  // namespace

Options runtime_info() {
  Options o;
  o.set("torch.version", std::string(TORCH_VERSION));
  o.set("torch.major", static_cast<int64_t>(TORCH_VERSION_MAJOR));
  o.set("torch.minor", static_cast<int64_t>(TORCH_VERSION_MINOR));
  o.set("torch.library", mapped_libraries({"libtorch_cpu.so"}));
  o.set("threads.intraop", static_cast<int64_t>(at::get_num_threads()));
  o.set("threads.interop", static_cast<int64_t>(at::get_num_interop_threads()));
  o.set("threads.parallelInfo", at::get_parallel_info());
  const std::string blas = mapped_blas();
  o.set("blas.mapped", blas);
  o.set("blas.kind", classify_blas(blas));
  o.set("buildConfig", at::show_config());
#ifdef UNIADAPTER_WITH_DIST
  o.set("distributed", true);
#else
  o.set("distributed", false);
#endif
  const bool cuda = at::hasCUDA();
  o.set("cuda.available", cuda);
  int64_t count = 0;
#ifdef UNIADAPTER_WITH_CUDA
  if (cuda) {
    count = static_cast<int64_t>(at::cuda::device_count());
    std::vector<std::string> names, caps;
    std::vector<int64_t> mem;
    for (int64_t i = 0; i < count; ++i) {
      auto* p = at::cuda::getDeviceProperties(static_cast<int>(i));
      names.push_back(p->name);
      caps.push_back(std::to_string(p->major) + "." + std::to_string(p->minor));
      mem.push_back(static_cast<int64_t>(p->totalGlobalMem));
    }
    o.set("cuda.names", names);
    o.set("cuda.capabilities", caps);
    o.set("cuda.memory", mem);
  }
  o.set("cuda.compiled", true);
#else
  o.set("cuda.compiled", false);
#endif
  o.set("cuda.deviceCount", count);
  return o;
}

void set_num_threads(int64_t n) {
  check(n >= 1 && n <= 1024, kErrArg, "thread count must be between 1 and 1024, got " + std::to_string(n));
  at::set_num_threads(static_cast<int>(n));
}

at::Device parse_device(const std::string& name) {
  if (name == "cpu") return at::Device(at::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    int64_t index = 0;
    if (name.size() > 5) {
      const std::string digits = name.substr(5);
      check(!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos, kErrDevice,
            "device '" + name + "' is not of the form 'cpu', 'cuda' or 'cuda:N'");
      index = std::stoll(digits);
    }
    check(at::hasCUDA(), kErrDevice,
          "device '" + name + "' was asked for, but this build of LibTorch has no CUDA or no GPU is visible; use 'cpu'");
#ifdef UNIADAPTER_WITH_CUDA
    const int64_t count = static_cast<int64_t>(at::cuda::device_count());
    check(index < count, kErrDevice,
          "device '" + name + "' does not exist: " + std::to_string(count) + " CUDA device(s) are visible");
#endif
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  fail(kErrDevice, "device '" + name + "' is not of the form 'cpu', 'cuda' or 'cuda:N'");
}

double gemm_gflops(int64_t n, int64_t iterations, at::ScalarType dtype, const at::Device& device) {
  check(n > 0 && n <= 16384, kErrArg, "matrix size must be in 1..16384");
  check(iterations > 0 && iterations <= 100000, kErrArg, "iterations must be in 1..100000");
  at::NoGradGuard no_grad;
  auto opts = at::TensorOptions().dtype(dtype).device(device);
  at::Tensor a = at::randn({n, n}, opts), b = at::randn({n, n}, opts);
  at::Tensor c = at::mm(a, b);  // warm-up
  if (device.is_cuda()) c.cpu();
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iterations; ++i) c = at::mm(a, b);
  if (device.is_cuda()) c.sum().item<double>();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * n * n * n * iterations / s / 1e9;
}

}  // namespace ua
