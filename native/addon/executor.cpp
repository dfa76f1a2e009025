#include "addon/executor.h"

#include "uniadapter/api.h"

namespace uaddon {

std::shared_ptr<Executor> Executor::create(Napi::Env env, const char* name) {
  std::shared_ptr<Executor> ex(new Executor());
  ex->env_ = env;
  ex->tsfn_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), name, 0, 1);
  ex->tsfn_.Unref(env);
  ex->thread_ = std::thread([raw = ex.get()] { raw->loop(); });
  return ex;
}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();
    else thread_.join();
  }
  tsfn_.Release();
}

void Executor::submit(Work work, Done done) {
  if (pending_++ == 0) tsfn_.Ref(env_);
  auto* job = new Job{std::move(work), std::move(done), shared_from_this()};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
  }
  cv_.notify_one();
}

void Executor::close() { closed_ = true; }

void Executor::loop() {
  ua::prepare_worker_thread();
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = queue_.front();
      queue_.pop_front();
    }
    job->work();  // never throws: submitters wrap their work
    if (tsfn_.BlockingCall(job, &Executor::finish) != napi_ok) {
      delete job;  // the environment is shutting down
    }
  }
}

void Executor::finish(Napi::Env env, Napi::Function, Job* job) {
  std::shared_ptr<Executor> self = std::move(job->owner);
  Done done = std::move(job->done);
  delete job;
  if (--self->pending_ == 0) self->tsfn_.Unref(env);
  if (done) done(env);
}

}  // namespace uaddon
