#include "addon/executor.h"

#include "uniadapter/runtime/api.h"
#include "uniadapter/runtime/fork_guard.h"

namespace uaddon {

std::shared_ptr<Executor> Executor::create(Napi::Env env, const char* name) {
  std::shared_ptr<Executor> ex(new Executor());
  ex->env_ = env;
  // The finalizer may run after the Executor is gone: it only touches the shared flag.
  auto* flag = new std::shared_ptr<std::atomic<bool>>(ex->tsfn_alive_);
  ex->tsfn_ = Napi::ThreadSafeFunction::New(
      env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), name, 0, 1, flag,
      [](Napi::Env, std::shared_ptr<std::atomic<bool>>* f) {
        (*f)->store(false);
        delete f;
      });
  ex->tsfn_alive_->store(true);
  ex->tsfn_.Unref(env);
  ex->thread_ = std::thread([raw = ex.get()] { raw->loop(); });
  napi_add_env_cleanup_hook(env, &Executor::on_env_cleanup, ex.get());
  return ex;
}

void Executor::on_env_cleanup(void* arg) { static_cast<Executor*>(arg)->shutdown(); }

void Executor::shutdown() {
  if (shut_) return;
  shut_ = true;
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();
    else thread_.join();
  }
  for (Job* j : queue_) delete j;
  queue_.clear();
  if (tsfn_alive_->load()) tsfn_.Release();
}

Executor::~Executor() {
  if (!shut_) {
    napi_remove_env_cleanup_hook(env_, &Executor::on_env_cleanup, this);
    shutdown();
  }
}

bool Executor::submit(Work work, Done done) {
  if (shut_ || !tsfn_alive_->load()) return false;
  if (pending_++ == 0) tsfn_.Ref(env_);
  auto* job = new Job{std::move(work), std::move(done), shared_from_this()};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
  }
  cv_.notify_one();
  return true;
}

void Executor::loop() {
  ua::prepare_worker_thread();
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_ || queue_.empty()) return;
      job = queue_.front();
      queue_.pop_front();
    }
    {
      ua::ForkGuardScope guard;
      job->work();  // never throws: submitters wrap their work
    }
    if (!tsfn_alive_->load() || tsfn_.BlockingCall(job, &Executor::finish) != napi_ok) {
      delete job;  // the environment is shutting down
    }
  }
}

void Executor::finish(Napi::Env env, Napi::Function, Job* job) {
  std::shared_ptr<Executor> self = std::move(job->owner);
  Done done = std::move(job->done);
  delete job;
  if (--self->pending_ == 0 && self->tsfn_alive_->load()) self->tsfn_.Unref(env);
  if (done) done(env);
}

}  // namespace uaddon
