// Pillow-exact resampling of 8-bit images (Image.resize with BICUBIC/BILINEAR/NEAREST-free filters):
// separable passes, horizontal first, with Pillow's fixed-point coefficients and an 8-bit
// intermediate image, so results equal PIL's byte for byte.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ua {

enum class ResampleFilter { Bicubic, Bilinear };

ResampleFilter parse_resample_filter(const std::string& name);

// in: height x width x channels, row-major uint8. Returns out_h x out_w x channels.
std::vector<uint8_t> pil_resize(const uint8_t* in, int64_t height, int64_t width, int64_t channels, int64_t out_h,
                                int64_t out_w, ResampleFilter filter);

}  // namespace ua
