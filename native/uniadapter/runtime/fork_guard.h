// Makes fork() safe while native work runs. OpenBLAS (pthread build) registers a fork handler that
// shuts its thread pool down; a fork (e.g. Node's child_process.spawn) during a threaded matmul on
// another thread then leaves that matmul waiting forever. Native work holds this guard shared; our
// own fork handler takes it exclusively, so a fork waits for the running job to end first.
#pragma once

namespace ua {

// Registers the fork handlers (idempotent). Call once at load, after LibTorch/OpenBLAS are loaded.
void install_fork_guard();

class ForkGuardScope {
 public:
  ForkGuardScope();
  ~ForkGuardScope();
  ForkGuardScope(const ForkGuardScope&) = delete;
  ForkGuardScope& operator=(const ForkGuardScope&) = delete;
};

}  // namespace ua
