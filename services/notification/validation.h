#pragma once

// Field checks of the notification contract that need no stored state. Each adds one
// violation per bad field (the proto path, e.g. "reminder.send_time") to `bad`; the RPC
// answers INVALID_ARGUMENT with all of them and changes nothing. Checks that need stored
// state (a template's required parameters) are in the handlers.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "clinic/notification/v1/reminder.pb.h"
#include "clinic/notification/v1/template.pb.h"
#include "common/status/status.h"
#include "google/protobuf/map.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/notification/domain/quiet_hours.h"

namespace clinic::notification {

// A reminder's input fields, checked and with the contract's defaults applied.
struct ReminderInput {
  v1::ReminderKind kind = v1::REMINDER_KIND_UNSPECIFIED;
  std::string patient;     // "patients/{patient}", or empty for a staff alert
  std::string staff_role;  // the role of a staff alert, or empty
  std::string clinic_id;
  std::string time_zone;
  std::optional<domain::QuietHours> quiet_hours;  // nullopt: the default
  absl::Time send_time;
  std::optional<absl::Time> event_time;
  absl::Time expire_time;
  std::string appointment;
  std::string dedupe_key;
  std::map<std::string, std::string> template_parameters;
  type::v1::ContactChannel channel = type::v1::CONTACT_CHANNEL_UNSPECIFIED;
  std::string language_code;  // canonical, or empty (the patient's language)
};

// The reminder of a ScheduleReminder request (field prefix "reminder"), or nullopt after
// adding violations: send_time missing, invalid or more than 400 days after `now`; an
// unknown kind or channel; a missing or malformed patient for a patient kind, a patient
// for a staff alert (or staff for a patient kind); the clinic, time zone, quiet hours,
// appointment, event and expiry times, dedupe key, parameters and language as the
// contract says.
std::optional<ReminderInput> CheckNewReminder(const v1::Reminder& reminder, absl::Time now,
                                              status::FieldViolations& bad);

// A send time: required, a valid timestamp, not more than 400 days after `now` (past
// times are allowed: "as soon as possible").
std::optional<absl::Time> CheckSendTime(const google::protobuf::Timestamp& time, bool present, std::string_view field,
                                        absl::Time now, status::FieldViolations& bad);

// An optional timestamp: nullopt when absent; a violation when not a valid timestamp.
std::optional<absl::Time> CheckOptionalTime(const google::protobuf::Timestamp& time, bool present,
                                            std::string_view field, status::FieldViolations& bad);

// Template parameters: at most 20; keys [a-z0-9_] of at most 40 characters; values at
// most 200 characters.
void CheckTemplateParameters(const google::protobuf::Map<std::string, std::string>& parameters,
                             std::string_view field, status::FieldViolations& bad);

// A short reason code (CancelReminder): at most 100 characters of [A-Za-z0-9_.:-].
void CheckReason(std::string_view reason, std::string_view field, status::FieldViolations& bad);

// A template as stored (prefix "template"): kind and channel set and known; a
// well-formed language; subject required for email (at most 200 characters) and empty
// for SMS; body required (at most 640 characters for SMS, 20000 for email); every
// placeholder of subject and body either built in or listed in required_parameters,
// which are well-formed parameter names without duplicates; a known state.
void CheckTemplate(const v1::Template& t, status::FieldViolations& bad);

// A staff contact (prefix "staff_contact"): a JWT role name, a channel, an address for
// it (E.164 for SMS, an email address for email), a display name of at most 200
// characters.
void CheckStaffContact(const v1::StaffContact& contact, status::FieldViolations& bad);

// Text of at most `max_chars` Unicode code points (UTF-8); `required` also refuses empty
// or blank text.
void CheckText(std::string_view text, std::string_view field, size_t max_chars, bool required,
               status::FieldViolations& bad);

}  // namespace clinic::notification
