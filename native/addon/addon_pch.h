// Precompiled header of the addon: Node-API and ATen (never the full LibTorch frontend).
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
