#pragma once

// Internal: an absl::MutexLock that ThreadSanitizer can see through.
//
// Debian's Abseil shared libraries are not built with -fsanitize=thread, so in a TSan
// build the happens-before edges that absl::Mutex creates are invisible, and every
// access guarded by one (and every object handed from thread to thread under one, like
// a pooled connection) is reported as a race. This lock adds the edges explicitly with
// TSan's acquire/release annotations; in other builds it is a plain MutexLock.

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace clinic::sql::internal {

inline void TsanAcquire([[maybe_unused]] void* addr) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(addr);
#endif
}

inline void TsanRelease([[maybe_unused]] void* addr) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(addr);
#endif
}

class ABSL_SCOPED_LOCKABLE TsanVisibleMutexLock {
 public:
  explicit TsanVisibleMutexLock(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
    TsanAcquire(mu_);
  }
  ~TsanVisibleMutexLock() ABSL_UNLOCK_FUNCTION() {
    TsanRelease(mu_);
    mu_->Unlock();
  }
  TsanVisibleMutexLock(const TsanVisibleMutexLock&) = delete;
  TsanVisibleMutexLock& operator=(const TsanVisibleMutexLock&) = delete;

  // CondVar::WaitWithDeadline on this lock's mutex; true if it timed out.
  bool WaitWithDeadline(absl::CondVar* cv, absl::Time deadline) {
    TsanRelease(mu_);
    const bool timed_out = cv->WaitWithDeadline(mu_, deadline);
    TsanAcquire(mu_);
    return timed_out;
  }

 private:
  absl::Mutex* const mu_;
};

}  // namespace clinic::sql::internal
