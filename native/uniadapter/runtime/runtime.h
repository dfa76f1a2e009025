// What this process runs on: LibTorch build, devices, BLAS, threads; device-string parsing.
#pragma once
#include <ATen/ATen.h>

#include <string>

#include "uniadapter/runtime/options.h"

namespace ua {

Options runtime_info();
void set_num_threads(int64_t n);

// 'cpu', 'cuda', 'cuda:N'; fails with ERR_DEVICE when the device does not exist here.
at::Device parse_device(const std::string& name);

// Square matmul timing, for doctor and the benchmarks: GFLOP/s achieved.
double gemm_gflops(int64_t n, int64_t iterations, at::ScalarType dtype, const at::Device& device);

}  // namespace ua
