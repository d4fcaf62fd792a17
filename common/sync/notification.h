#pragma once

// clinic::sync::Notification — absl::Notification as ThreadSanitizer sees it: everything
// the notifying thread did before Notify() happens-before whatever a thread does after
// it has seen the notification (HasBeenNotified() true, or a wait that returned
// notified). Outside TSan builds, inline forwards to absl.
//
// Why annotated here rather than only through its mutex (see mutex.h): Abseil's
// Notification sets an atomic flag inside the uninstrumented library and answers from
// that flag without locking once it is set, an ordering TSan cannot see.

#include "absl/base/config.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#if defined(ABSL_HAVE_THREAD_SANITIZER)
#include <sanitizer/tsan_interface.h>
#endif

namespace clinic::sync {

// A one-shot event. Thread-safe. Must outlive every call on it, including a Notify()
// still returning.
class Notification {
 public:
  Notification() = default;
  Notification(const Notification&) = delete;
  Notification& operator=(const Notification&) = delete;

  // Marks the event as happened and wakes every waiter. Call at most once (Abseil aborts
  // on a second call).
  void Notify() {
    Published();
    notification_.Notify();
  }

  // Whether Notify() has been called. Does not block.
  bool HasBeenNotified() const { return Seen(notification_.HasBeenNotified()); }
  // Blocks until Notify() has been called.
  void WaitForNotification() const {
    notification_.WaitForNotification();
    Seen(true);
  }
  // Blocks until Notify() has been called or `timeout` / `deadline` has passed; whether
  // it was notified.
  bool WaitForNotificationWithTimeout(absl::Duration timeout) const {
    return Seen(notification_.WaitForNotificationWithTimeout(timeout));
  }
  bool WaitForNotificationWithDeadline(absl::Time deadline) const {
    return Seen(notification_.WaitForNotificationWithDeadline(deadline));
  }

 private:
  // TSan: Notify() releases, observing the notification acquires.
  void Published() {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
    __tsan_release(&notification_);
#endif
  }
  bool Seen(bool notified) const {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
    if (notified) __tsan_acquire(const_cast<absl::Notification*>(&notification_));
#endif
    return notified;
  }

  absl::Notification notification_;
};

}  // namespace clinic::sync
