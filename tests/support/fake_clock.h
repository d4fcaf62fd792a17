#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/sync/mutex.h"

namespace clinic::testing {

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'790'000'000)) : now_(start) {}

  absl::Time Now() const override {
    sync::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    sync::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    sync::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable sync::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clinic::testing
