#include "uniadapter/runtime/image_resize.h"

#include <cmath>

#include "uniadapter/runtime/error.h"

namespace ua {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double bilinear(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

struct Coeffs {
  int ksize = 0;
  std::vector<int> bounds;  // per output: xmin, count
  std::vector<int> k;       // fixed point, ksize per output
};

Coeffs precompute(int in_size, int out_size, ResampleFilter f) {
  double (*filter)(double) = f == ResampleFilter::Bicubic ? bicubic : bilinear;
  const double filter_support = f == ResampleFilter::Bicubic ? 2.0 : 1.0;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = filter_support * filterscale;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(static_cast<size_t>(out_size) * 2);
  c.k.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> kk(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = filter((x + xmin - center + 0.5) * ss);
      kk[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) kk[x] /= ww;
    }
    for (int x = 0; x < xmax; ++x) {
      const double v = kk[x] * (1 << kPrecisionBits);
      c.k[static_cast<size_t>(xx) * c.ksize + x] = static_cast<int>(kk[x] < 0 ? -0.5 + v : 0.5 + v);
    }
    c.bounds[xx * 2] = xmin;
    c.bounds[xx * 2 + 1] = xmax;
  }
  return c;
}

inline uint8_t clip8(int64_t v) {
  const int64_t s = v >> kPrecisionBits;  // arithmetic shift: floor division, as Pillow
  return static_cast<uint8_t>(s < 0 ? 0 : (s > 255 ? 255 : s));
}

}  // namespace

ResampleFilter parse_resample_filter(const std::string& name) {
  if (name == "bicubic") return ResampleFilter::Bicubic;
  if (name == "bilinear") return ResampleFilter::Bilinear;
  fail(kErrArg, "unknown resampling filter '" + name + "' (use 'bicubic' or 'bilinear')");
}

std::vector<uint8_t> pil_resize(const uint8_t* in, int64_t height, int64_t width, int64_t channels, int64_t out_h,
                                int64_t out_w, ResampleFilter filter) {
  check(height > 0 && width > 0 && channels > 0, kErrShape, "image must have a positive size");
  check(out_h > 0 && out_w > 0, kErrArg, "output size must be positive");
  const int ch = static_cast<int>(channels);
  const uint8_t* src = in;
  int64_t cur_w = width;
  std::vector<uint8_t> tmp;

  if (out_w != width) {
    Coeffs c = precompute(static_cast<int>(width), static_cast<int>(out_w), filter);
    tmp.assign(static_cast<size_t>(height * out_w * ch), 0);
    for (int64_t y = 0; y < height; ++y) {
      const uint8_t* row = src + y * width * ch;
      uint8_t* orow = tmp.data() + y * out_w * ch;
      for (int64_t xx = 0; xx < out_w; ++xx) {
        const int xmin = c.bounds[xx * 2];
        const int n = c.bounds[xx * 2 + 1];
        const int* k = &c.k[static_cast<size_t>(xx) * c.ksize];
        for (int cc = 0; cc < ch; ++cc) {
          int64_t ss = 1 << (kPrecisionBits - 1);
          for (int x = 0; x < n; ++x) ss += static_cast<int64_t>(row[(x + xmin) * ch + cc]) * k[x];
          orow[xx * ch + cc] = clip8(ss);
        }
      }
    }
    src = tmp.data();
    cur_w = out_w;
  }

  if (out_h == height) {
    if (src == in) return std::vector<uint8_t>(in, in + height * width * ch);
    return tmp;
  }
  Coeffs c = precompute(static_cast<int>(height), static_cast<int>(out_h), filter);
  std::vector<uint8_t> out(static_cast<size_t>(out_h * cur_w * ch));
  for (int64_t yy = 0; yy < out_h; ++yy) {
    const int ymin = c.bounds[yy * 2];
    const int n = c.bounds[yy * 2 + 1];
    const int* k = &c.k[static_cast<size_t>(yy) * c.ksize];
    uint8_t* orow = out.data() + yy * cur_w * ch;
    for (int64_t xx = 0; xx < cur_w * ch; ++xx) {
      int64_t ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < n; ++y) ss += static_cast<int64_t>(src[(y + ymin) * cur_w * ch + xx]) * k[y];
      orow[xx] = clip8(ss);
    }
  }
  return out;
}

}  // namespace ua
