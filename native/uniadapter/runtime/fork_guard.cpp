#include "uniadapter/runtime/fork_guard.h"

#include <pthread.h>

#include <mutex>

namespace ua {
namespace {

pthread_rwlock_t g_lock = PTHREAD_RWLOCK_INITIALIZER;

void prepare() { pthread_rwlock_wrlock(&g_lock); }
void parent() { pthread_rwlock_unlock(&g_lock); }
void child() {
  // The child has one thread (the forking one, which holds the lock): start it afresh.
  pthread_rwlock_t fresh = PTHREAD_RWLOCK_INITIALIZER;
  g_lock = fresh;
}

}  // namespace

void install_fork_guard() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(prepare, parent, child); });
}

ForkGuardScope::ForkGuardScope() { pthread_rwlock_rdlock(&g_lock); }
ForkGuardScope::~ForkGuardScope() { pthread_rwlock_unlock(&g_lock); }

}  // namespace ua
