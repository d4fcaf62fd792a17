#pragma once

#include "absl/time/time.h"

namespace clinic {

// The source of the current time. Everything that reads the time takes a Clock& so that
// tests can drive time with FakeClock (tests/support/fake_clock.h).
//
// Thread-safe: implementations may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC instant).
  virtual absl::Time Now() const = 0;
};

// The real clock (absl::Now()).
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
};

}  // namespace clinic
