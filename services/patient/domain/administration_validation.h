#pragma once

// Validation of an administration's input fields (RecordAdministration): the
// traceability record of one dose given.

#include <cstddef>
#include <string_view>

#include "absl/time/time.h"
#include "clinic/patient/v1/treatment.pb.h"
#include "common/status/status.h"

namespace clinic::patient::domain {

inline constexpr std::size_t kMaxLotNumberLength = 64;
inline constexpr std::size_t kMaxAdministrationNotesLength = 2000;
// How far administer_time may be ahead of the server's clock: the recording service's
// clock may run slightly ahead of ours, and refusing a dose already given loses its trace.
inline constexpr absl::Duration kAdministerTimeSkew = absl::Minutes(2);

// True for the routes that inject (a body site is required).
bool IsInjectedRoute(v1::Route route);

// Adds a violation under `prefix` (e.g. "administration") for each bad input field, all
// checked at once:
// - product, lot, practitioner, clinic: set (their resource-name syntax is the caller's
//   check); lot_number 1-64 code points on one line;
// - expiry_date a real date, not before the date of administer_time — the clinic's local
//   date is not known here, so the comparison uses the earliest calendar on Earth (UTC-12):
//   an expiry before that date is before the local date in every time zone. (Inventory
//   refuses an expired lot, at the exact local boundary, when it reserves and consumes it.)
// - dose a positive quantity with a unit; route set and known;
// - site: for injected routes a body site (not UNSPECIFIED, not NOT_APPLICABLE); for oral
//   UNSPECIFIED or NOT_APPLICABLE;
// - administer_time a valid timestamp not after now + kAdministerTimeSkew;
// - notes at most 2000 code points (line breaks allowed).
void ValidateAdministrationInput(const v1::Administration& administration, absl::Time now,
                                 std::string_view prefix, status::FieldViolations& violations);

}  // namespace clinic::patient::domain
