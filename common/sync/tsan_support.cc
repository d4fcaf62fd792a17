// Compiled into TSan builds only (see CMakeLists.txt): the happens-before edges that
// ThreadSanitizer cannot see because they are made inside Debian's uninstrumented
// libraries, stated to it.
//
// Why: TSan sees only synchronisation done in instrumented code or through the libc
// functions it intercepts. Debian's Abseil and gRPC are not instrumented, so it sees
// neither absl::Mutex (which gRPC's own locks are too) nor gRPC's lock-free hand-off of
// a call's state from the thread that starts an operation to the thread that completes
// it, and reports every access ordered only by those as a race: in our code, and in
// gRPC's inline header code compiled into it.
//
// How: this object is linked into the executable, so its definitions of the functions
// below take precedence, for every caller in the process (gRPC, Abseil's own
// absl::Notification, us), over the shared libraries' (calls into a shared library go
// through the PLT). Each states the edge to TSan and forwards to the library's function,
// found with dlsym(RTLD_NEXT); a missing one aborts at first use rather than silently
// losing the edge.
//  - absl::Mutex and absl::CondVar: every lock operation is reported with TSan's mutex
//    annotations (the calls Abseil makes itself when built with TSan; between pre and
//    post annotation TSan ignores memory accesses, e.g. a LockWhen condition that the
//    unlocking thread evaluates). The names are those of Debian's Abseil 20220623
//    (inline namespace debian3, checked below). Covered: Lock, Unlock, TryLock,
//    ReaderLock, ReaderUnlock, ReaderTryLock, LockWhen, ReaderLockWhen and their
//    WithDeadline forms (the WithTimeout forms call those through the PLT), and
//    CondVar::WaitCommon, where Wait, WaitWithTimeout and WaitWithDeadline all end; it is
//    assumed to be called with the mutex held exclusively, as gRPC and
//    clinic::sync::CondVar do. Not covered: Mutex::Await* (used neither by gRPC nor by
//    us: clinic::sync has no Await) and ~Mutex (annotating it made TSan report gRPC
//    objects destroyed by whichever thread dropped the last reference, counted in
//    uninstrumented code, as racing with their previous use).
//  - gRPC's completion queue (public C API): a batch of operations started with a tag
//    happens-before the completion event carrying that tag is returned by
//    grpc_completion_queue_next or _pluck (the callback API's completions are also
//    returned by grpc_completion_queue_next, on gRPC's "nexting" threads).
// With these, TSan runs with ignore_noninstrumented_modules=1 (see __tsan_default_options
// below): memory that uninstrumented code allocates, frees or copies through intercepted
// libc calls is not treated as accessed, since the orderings of those accesses are not
// visible to TSan either.

#include <dlfcn.h>
#include <grpc/grpc.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "absl/synchronization/internal/kernel_timeout.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

static_assert(std::is_same_v<absl::Mutex, absl::debian3::Mutex>,
              "the symbol names below are those of Debian's Abseil (inline namespace debian3)");

namespace {

using absl::Condition;
using absl::CondVar;
using absl::Mutex;
using absl::Time;
using absl::synchronization_internal::KernelTimeout;

constexpr unsigned kExclusive = 0;
constexpr unsigned kShared = __tsan_mutex_read_lock;

// The shared library's definition of `symbol`.
template <typename Function>
Function Next(const char* symbol) {
  void* next = dlsym(RTLD_NEXT, symbol);
  if (next == nullptr) {
    std::fprintf(stderr, "tsan_support: %s is not in any shared library\n", symbol);
    std::abort();
  }
  return reinterpret_cast<Function>(next);
}

void Locking(Mutex* mu, unsigned flags) { __tsan_mutex_pre_lock(mu, flags); }
void Locked(Mutex* mu, unsigned flags) { __tsan_mutex_post_lock(mu, flags, 0); }
void TryLocked(Mutex* mu, unsigned flags, bool locked) {
  __tsan_mutex_post_lock(mu, flags | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
}
void Unlocking(Mutex* mu, unsigned flags) { __tsan_mutex_pre_unlock(mu, flags); }
void Unlocked(Mutex* mu, unsigned flags) { __tsan_mutex_post_unlock(mu, flags); }

}  // namespace

// Each definition finds the library's once, in a function-local static: the first call
// may come from another library's static initialiser, before this file's would run.
#define CLINIC_SYMBOL(symbol) __asm__(symbol)
#define CLINIC_NEXT(symbol, type) static const auto real = Next<type>(symbol)

extern "C" {

// TSan's defaults for every program this object is linked into; TSAN_OPTIONS adds to
// and overrides them.
const char* __tsan_default_options() { return "ignore_noninstrumented_modules=1"; }

// absl::Mutex and absl::CondVar, under their mangled names.

void ClinicMutexLock(Mutex* mu) CLINIC_SYMBOL("_ZN4absl7debian35Mutex4LockEv");
void ClinicMutexLock(Mutex* mu) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex4LockEv", void (*)(Mutex*));
  Locking(mu, kExclusive);
  real(mu);
  Locked(mu, kExclusive);
}

void ClinicMutexUnlock(Mutex* mu) CLINIC_SYMBOL("_ZN4absl7debian35Mutex6UnlockEv");
void ClinicMutexUnlock(Mutex* mu) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex6UnlockEv", void (*)(Mutex*));
  Unlocking(mu, kExclusive);
  real(mu);
  Unlocked(mu, kExclusive);
}

bool ClinicMutexTryLock(Mutex* mu) CLINIC_SYMBOL("_ZN4absl7debian35Mutex7TryLockEv");
bool ClinicMutexTryLock(Mutex* mu) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex7TryLockEv", bool (*)(Mutex*));
  Locking(mu, __tsan_mutex_try_lock);
  const bool locked = real(mu);
  TryLocked(mu, __tsan_mutex_try_lock, locked);
  return locked;
}

void ClinicMutexReaderLock(Mutex* mu) CLINIC_SYMBOL("_ZN4absl7debian35Mutex10ReaderLockEv");
void ClinicMutexReaderLock(Mutex* mu) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex10ReaderLockEv", void (*)(Mutex*));
  Locking(mu, kShared);
  real(mu);
  Locked(mu, kShared);
}

void ClinicMutexReaderUnlock(Mutex* mu) CLINIC_SYMBOL("_ZN4absl7debian35Mutex12ReaderUnlockEv");
void ClinicMutexReaderUnlock(Mutex* mu) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex12ReaderUnlockEv", void (*)(Mutex*));
  Unlocking(mu, kShared);
  real(mu);
  Unlocked(mu, kShared);
}

bool ClinicMutexReaderTryLock(Mutex* mu) CLINIC_SYMBOL("_ZN4absl7debian35Mutex13ReaderTryLockEv");
bool ClinicMutexReaderTryLock(Mutex* mu) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex13ReaderTryLockEv", bool (*)(Mutex*));
  Locking(mu, kShared | __tsan_mutex_try_lock);
  const bool locked = real(mu);
  TryLocked(mu, kShared | __tsan_mutex_try_lock, locked);
  return locked;
}

void ClinicMutexLockWhen(Mutex* mu, const Condition& cond)
    CLINIC_SYMBOL("_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
void ClinicMutexLockWhen(Mutex* mu, const Condition& cond) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE", void (*)(Mutex*, const Condition&));
  Locking(mu, kExclusive);
  real(mu, cond);
  Locked(mu, kExclusive);
}

// Returns holding the mutex whether or not the condition became true.
bool ClinicMutexLockWhenWithDeadline(Mutex* mu, const Condition& cond, Time deadline)
    CLINIC_SYMBOL("_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
bool ClinicMutexLockWhenWithDeadline(Mutex* mu, const Condition& cond, Time deadline) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
              bool (*)(Mutex*, const Condition&, Time));
  Locking(mu, kExclusive);
  const bool met = real(mu, cond, deadline);
  Locked(mu, kExclusive);
  return met;
}

void ClinicMutexReaderLockWhen(Mutex* mu, const Condition& cond)
    CLINIC_SYMBOL("_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
void ClinicMutexReaderLockWhen(Mutex* mu, const Condition& cond) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE", void (*)(Mutex*, const Condition&));
  Locking(mu, kShared);
  real(mu, cond);
  Locked(mu, kShared);
}

bool ClinicMutexReaderLockWhenWithDeadline(Mutex* mu, const Condition& cond, Time deadline)
    CLINIC_SYMBOL("_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
bool ClinicMutexReaderLockWhenWithDeadline(Mutex* mu, const Condition& cond, Time deadline) {
  CLINIC_NEXT("_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
              bool (*)(Mutex*, const Condition&, Time));
  Locking(mu, kShared);
  const bool met = real(mu, cond, deadline);
  Locked(mu, kShared);
  return met;
}

// A wait releases the mutex and takes it again inside Abseil.
bool ClinicCondVarWaitCommon(CondVar* cv, Mutex* mu, KernelTimeout timeout)
    CLINIC_SYMBOL("_ZN4absl7debian37CondVar10WaitCommonEPNS0_5MutexENS0_24synchronization_internal13KernelTimeoutE");
bool ClinicCondVarWaitCommon(CondVar* cv, Mutex* mu, KernelTimeout timeout) {
  CLINIC_NEXT("_ZN4absl7debian37CondVar10WaitCommonEPNS0_5MutexENS0_24synchronization_internal13KernelTimeoutE",
              bool (*)(CondVar*, Mutex*, KernelTimeout));
  Unlocking(mu, kExclusive);
  Unlocked(mu, kExclusive);
  const bool timed_out = real(cv, mu, timeout);
  Locking(mu, kExclusive);
  Locked(mu, kExclusive);
  return timed_out;
}

// gRPC's completion queue: the C API, declared in <grpc/grpc.h>.

grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops, size_t nops, void* tag,
                                      void* reserved) {
  CLINIC_NEXT("grpc_call_start_batch", decltype(&grpc_call_start_batch));
  if (tag != nullptr) __tsan_release(tag);
  return real(call, ops, nops, tag, reserved);
}

grpc_event grpc_completion_queue_next(grpc_completion_queue* cq, gpr_timespec deadline, void* reserved) {
  CLINIC_NEXT("grpc_completion_queue_next", decltype(&grpc_completion_queue_next));
  const grpc_event event = real(cq, deadline, reserved);
  if (event.type == GRPC_OP_COMPLETE && event.tag != nullptr) __tsan_acquire(event.tag);
  return event;
}

grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq, void* tag, gpr_timespec deadline,
                                       void* reserved) {
  CLINIC_NEXT("grpc_completion_queue_pluck", decltype(&grpc_completion_queue_pluck));
  const grpc_event event = real(cq, tag, deadline, reserved);
  if (event.type == GRPC_OP_COMPLETE && event.tag != nullptr) __tsan_acquire(event.tag);
  return event;
}

}  // extern "C"
