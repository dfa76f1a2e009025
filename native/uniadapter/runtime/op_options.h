// The option keys each operation accepts: an option an operation does not know is an ERR_ARG that
// names it (a misspelt option must not be silently ignored).
#pragma once
#include <string>

#include "uniadapter/runtime/options.h"

namespace ua {

// Throws ERR_ARG if `o` holds a key that operation `op` of a model of `task` ("utility" for the
// utility operations) does not read, naming the key and the accepted ones.
void check_op_options(const std::string& task, const std::string& op, const Options& o);

}  // namespace ua
