// One worker thread per model: jobs run in submission order, never on the JS thread; their
// completions come back to the JS thread through a thread-safe function. At environment teardown
// every executor stops its thread and releases its thread-safe function exactly once.
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace uaddon {

class Executor : public std::enable_shared_from_this<Executor> {
 public:
  using Work = std::function<void()>;           // runs on the worker thread
  using Done = std::function<void(Napi::Env)>;  // runs on the JS thread afterwards

  static std::shared_ptr<Executor> create(Napi::Env env, const char* name);
  ~Executor();

  // JS thread only. Returns false (and runs nothing) once the environment is shutting down.
  bool submit(Work work, Done done);
  // JS thread only: no new jobs; the thread ends after the queued ones.
  void close() { closed_ = true; }
  bool closed() const { return closed_; }
  bool usable() const { return !closed_ && tsfn_alive_->load(); }
  size_t pending() const { return pending_; }

 private:
  struct Job {
    Work work;
    Done done;
    std::shared_ptr<Executor> owner;
  };

  Executor() = default;
  void loop();
  void shutdown();
  static void finish(Napi::Env env, Napi::Function, Job* job);
  static void on_env_cleanup(void* arg);

  napi_env env_ = nullptr;
  Napi::ThreadSafeFunction tsfn_;
  std::shared_ptr<std::atomic<bool>> tsfn_alive_ = std::make_shared<std::atomic<bool>>(false);
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  bool stop_ = false;
  bool closed_ = false;
  bool shut_ = false;
  size_t pending_ = 0;  // JS thread only
};

}  // namespace uaddon
