#pragma once

// clinic::sync — the mutex, condition variable and notification our code uses: thin
// forwards to absl::Mutex, absl::CondVar and absl::Notification that keep absl's
// thread-safety annotations (ABSL_GUARDED_BY & co. work with clang -Wthread-safety as
// with absl::Mutex) and whose locking ThreadSanitizer sees.
//
// Why: Debian's Abseil shared libraries are not built with -fsanitize=thread, so the
// ordering an absl::Mutex gives is invisible to TSan and everything it guards is
// reported as a race. In TSan builds this library links tsan_support.cc into every
// program that uses it: it interposes absl::Mutex's and absl::CondVar's exported entry
// points process-wide (ours, gRPC's and Abseil's own callers alike) and reports each
// lock, unlock and condition wait through TSan's mutex annotations, so TSan checks code
// using these types (or a raw absl::Mutex) as it checks std::mutex: accesses without
// the lock, readers against writers, lock-order inversions. (It also states gRPC's
// completion-queue ordering; see that file.) In other builds every member here is an
// inline forward to absl: no extra state or work.
//
// Deliberately absent: Mutex::Await / LockWhen with an absl::Condition (Abseil may run
// the condition on whichever thread unlocks, and Await is not annotated for TSan); loop
// on CondVar::Wait instead.

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace clinic::sync {

// A reader/writer mutex (absl::Mutex). Not recursive. Must not be destroyed while held.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Blocks until the calling thread holds the mutex exclusively.
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.Lock(); }
  // Precondition: the calling thread holds the mutex exclusively.
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.Unlock(); }
  // Blocks until the calling thread holds the mutex shared (with other readers, no writer).
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mu_.ReaderLock(); }
  // Precondition: the calling thread holds the mutex shared.
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mu_.ReaderUnlock(); }

  // Crashes (in debug builds of Abseil) unless the calling thread holds the mutex
  // exclusively; tells clang's analysis that it does.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() { mu_.AssertHeld(); }

 private:
  friend class CondVar;
  absl::Mutex mu_;
};

// Holds `mu` exclusively for its own lifetime. `mu` must outlive it.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Holds `mu` shared for its own lifetime. `mu` must outlive it.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable for sync::Mutex (absl::CondVar). Every wait requires `mu` held
// exclusively by the caller; it releases `mu` while blocked and holds it again on
// return. Wake-ups may be spurious: wait in a loop on the guarded condition.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Blocks until signalled.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { cv_.Wait(&mu->mu_); }
  // Blocks until signalled or `deadline` has passed; true if it returned because of the
  // deadline (the condition may still have become true meanwhile: check it).
  bool WaitWithDeadline(Mutex* mu, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return cv_.WaitWithDeadline(&mu->mu_, deadline);
  }
  // WaitWithDeadline(mu, now + timeout).
  bool WaitWithTimeout(Mutex* mu, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return cv_.WaitWithTimeout(&mu->mu_, timeout);
  }

  // Signal() wakes one waiting thread, SignalAll() every one (neither waits for a waiter).
  // The caller need not hold the mutex.
  void Signal() { cv_.Signal(); }
  void SignalAll() { cv_.SignalAll(); }

 private:
  absl::CondVar cv_;
};

}  // namespace clinic::sync
