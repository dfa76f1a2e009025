// Precompiled header of the core library: LibTorch's C++ frontend.
#pragma once
#include <torch/torch.h>
