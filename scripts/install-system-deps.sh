#!/usr/bin/env bash
# System packages for a CPU source build and the full test suite on Debian 12 / Ubuntu:
# LibTorch (C++ headers and libraries), an optimised BLAS (OpenBLAS; the default reference BLAS is
# ~50x slower), Gloo headers for multi-process training, ffmpeg for video, the build tools (binutils's
# strip too, for the GPU machine's carry), and
# Debian's PyTorch for the benchmarks' side-by-side comparison, and headless Chromium (with a font) for the
# tests that look at the service's search page.
set -euo pipefail
PACKAGES=(libtorch-dev libopenblas0-pthread libgloo-dev ffmpeg cmake ninja-build ccache g++ binutils make python3 python3-torch chromium fonts-dejavu-core)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-system-deps: run as root or install sudo; packages needed: ${PACKAGES[*]}" >&2
    exit 1
  fi
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-system-deps: all system packages present"
  exit 0
fi
echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
