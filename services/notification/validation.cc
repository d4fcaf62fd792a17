#include "services/notification/validation.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/api/resource_name.h"
#include "common/auth/role.h"
#include "services/notification/domain/delivery_rules.h"
#include "services/notification/domain/templates.h"

namespace clinic::notification {
namespace {

using type::v1::ContactChannel;

// Timestamp's valid range (0001-01-01 to 9999-12-31) and nanos.
bool IsValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= -62135596800 && t.seconds() <= 253402300799 && t.nanos() >= 0 && t.nanos() < 1000000000;
}

size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsBlank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string Path(std::string_view prefix, std::string_view field) {
  return std::string(prefix) + "." + std::string(field);
}

// Printable ASCII without spaces: dedupe keys end up in idempotency keys and headers.
bool IsKeyText(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::optional<domain::QuietHours> CheckQuietHours(const type::v1::LocalTimeRange& range, std::string_view field,
                                                  status::FieldViolations& bad) {
  const auto offset = [](const type::v1::TimeOfDay& t, bool end) -> std::optional<absl::Duration> {
    if (end && t.hours() == 24 && t.minutes() == 0 && t.seconds() == 0) return absl::Hours(24);
    if (t.hours() < 0 || t.hours() > 23 || t.minutes() < 0 || t.minutes() > 59 || t.seconds() < 0 ||
        t.seconds() > 59) {
      return std::nullopt;
    }
    return absl::Hours(t.hours()) + absl::Minutes(t.minutes()) + absl::Seconds(t.seconds());
  };
  std::optional<absl::Duration> start = offset(range.start_time(), false);
  std::optional<absl::Duration> end = offset(range.end_time(), true);
  if (!range.has_start_time() || !start.has_value()) bad.Add(Path(field, "start_time"), "required: a time of day");
  if (!range.has_end_time() || !end.has_value()) bad.Add(Path(field, "end_time"), "required: a time of day or 24:00");
  if (!start.has_value() || !end.has_value() || !range.has_start_time() || !range.has_end_time()) return std::nullopt;
  if (*start == *end || (*start == absl::ZeroDuration() && *end == absl::Hours(24))) {
    bad.Add(std::string(field), "start_time and end_time must differ and leave some time to send");
    return std::nullopt;
  }
  return domain::QuietHours{*start, *end};
}

bool IsE164(std::string_view s) {
  if (s.size() < 8 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsEmail(std::string_view s) {
  if (s.size() < 3 || s.size() > 254) return false;
  const size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view domain = s.substr(at + 1);
  if (domain.empty() || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.') {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool IsKnownChannel(int channel) {
  return channel != type::v1::CONTACT_CHANNEL_UNSPECIFIED && type::v1::ContactChannel_IsValid(channel);
}

}  // namespace

void CheckText(std::string_view text, std::string_view field, size_t max_chars, bool required,
               status::FieldViolations& bad) {
  if (required && IsBlank(text)) {
    bad.Add(std::string(field), "required");
  } else if (CodePoints(text) > max_chars) {
    bad.Add(std::string(field), absl::StrCat("at most ", max_chars, " characters"));
  }
}

std::optional<absl::Time> CheckOptionalTime(const google::protobuf::Timestamp& time, bool present,
                                            std::string_view field, status::FieldViolations& bad) {
  if (!present) return std::nullopt;
  if (!IsValidTimestamp(time)) {
    bad.Add(std::string(field), "not a valid timestamp");
    return std::nullopt;
  }
  return api::FromTimestamp(time);
}

std::optional<absl::Time> CheckSendTime(const google::protobuf::Timestamp& time, bool present, std::string_view field,
                                        absl::Time now, status::FieldViolations& bad) {
  if (!present) {
    bad.Add(std::string(field), "required");
    return std::nullopt;
  }
  std::optional<absl::Time> t = CheckOptionalTime(time, present, field, bad);
  if (!t.has_value()) return std::nullopt;
  if (*t > now + domain::kMaxScheduleAhead) {
    bad.Add(std::string(field), "must not be more than 400 days ahead");
    return std::nullopt;
  }
  return t;
}

void CheckTemplateParameters(const google::protobuf::Map<std::string, std::string>& parameters,
                             std::string_view field, status::FieldViolations& bad) {
  if (parameters.size() > 20) bad.Add(std::string(field), "at most 20 entries");
  // Sorted, so that the violations come in a stable order.
  std::vector<std::string> keys;
  for (const auto& [key, value] : parameters) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    if (!domain::IsValidParameterName(key)) {
      bad.Add(std::string(field), "keys must be 1 to 40 characters of [a-z0-9_]");
    } else if (CodePoints(parameters.at(key)) > 200) {
      bad.Add(std::string(field) + "[" + key + "]", "at most 200 characters");
    }
  }
}

void CheckReason(std::string_view reason, std::string_view field, status::FieldViolations& bad) {
  const bool ok = reason.size() <= 100 && std::all_of(reason.begin(), reason.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                           c == '.' || c == ':' || c == '-';
                  });
  if (!ok) bad.Add(std::string(field), "at most 100 characters of [A-Za-z0-9_.:-], e.g. \"appointment_cancelled\"");
}

std::optional<ReminderInput> CheckNewReminder(const v1::Reminder& r, absl::Time now, status::FieldViolations& bad) {
  const size_t before = bad.violations().size();
  ReminderInput in;
  in.kind = r.kind();
  const bool known_kind = in.kind != v1::REMINDER_KIND_UNSPECIFIED && v1::ReminderKind_IsValid(in.kind);
  if (!known_kind) bad.Add("reminder.kind", "required: a known reminder kind");
  const bool staff_alert = in.kind == v1::REMINDER_KIND_STAFF_ALERT;
  if (!known_kind && r.recipient_case() == v1::Reminder::RECIPIENT_NOT_SET) {
    bad.Add("reminder.patient", "required: the patient (or staff, for a staff alert)");
  }

  std::optional<std::string> clinic_id = api::ParseId("clinics/{clinic}", r.clinic(), "reminder.clinic", bad);
  if (clinic_id.has_value()) in.clinic_id = *clinic_id;

  if (known_kind && !staff_alert) {
    if (r.has_staff()) bad.Add("reminder.staff", "only for a staff alert");
    if (api::ParseId("patients/{patient}", r.patient(), "reminder.patient", bad).has_value()) in.patient = r.patient();
  } else if (staff_alert) {
    if (r.recipient_case() == v1::Reminder::kPatient) bad.Add("reminder.patient", "must be empty for a staff alert");
    if (!r.has_staff()) {
      bad.Add("reminder.staff", "required for a staff alert");
    } else {
      std::optional<std::string> staff_clinic =
          api::ParseId("clinics/{clinic}", r.staff().clinic(), "reminder.staff.clinic", bad);
      if (staff_clinic.has_value() && clinic_id.has_value() && *staff_clinic != *clinic_id) {
        bad.Add("reminder.staff.clinic", "must be the reminder's clinic");
      }
      if (!auth::ParseRole(r.staff().role()).has_value()) {
        bad.Add("reminder.staff.role", "required: a role name such as \"clinic_manager\"");
      } else {
        in.staff_role = r.staff().role();
      }
    }
  }

  if (api::ParseTimeZone(r.time_zone(), "reminder.time_zone", bad).has_value()) in.time_zone = r.time_zone();
  if (r.has_quiet_hours()) in.quiet_hours = CheckQuietHours(r.quiet_hours(), "reminder.quiet_hours", bad);

  std::optional<absl::Time> send = CheckSendTime(r.send_time(), r.has_send_time(), "reminder.send_time", now, bad);
  in.event_time = CheckOptionalTime(r.event_time(), r.has_event_time(), "reminder.event_time", bad);
  std::optional<absl::Time> expire =
      CheckOptionalTime(r.expire_time(), r.has_expire_time(), "reminder.expire_time", bad);
  const bool appointment_reminder = in.kind == v1::REMINDER_KIND_APPOINTMENT_REMINDER;
  if (appointment_reminder && !r.has_event_time()) {
    bad.Add("reminder.event_time", "required for an appointment reminder");
  }
  if (send.has_value() && in.event_time.has_value() && *in.event_time < *send) {
    bad.Add("reminder.event_time", "must not be before send_time");
  }
  if (send.has_value() && expire.has_value() && *expire <= *send) {
    bad.Add("reminder.expire_time", "must be after send_time");
  }

  if (!r.appointment().empty() || appointment_reminder) {
    std::optional<std::vector<std::string>> appointment = api::ParseName(
        "clinics/{clinic}/appointments/{appointment}", r.appointment(), "reminder.appointment", bad);
    if (appointment.has_value() && clinic_id.has_value() && (*appointment)[0] != *clinic_id) {
      bad.Add("reminder.appointment", "must be an appointment of the reminder's clinic");
    }
    in.appointment = r.appointment();
  }

  if (!r.dedupe_key().empty() && (r.dedupe_key().size() > 200 || !IsKeyText(r.dedupe_key()))) {
    bad.Add("reminder.dedupe_key", "at most 200 printable ASCII characters without spaces (ids only)");
  }
  CheckTemplateParameters(r.template_parameters(), "reminder.template_parameters", bad);
  if (r.channel() != type::v1::CONTACT_CHANNEL_UNSPECIFIED && !IsKnownChannel(r.channel())) {
    bad.Add("reminder.channel", "unknown channel");
  }
  in.channel = r.channel();
  if (!r.language_code().empty()) {
    std::optional<std::string> language = domain::CanonicalLanguage(r.language_code());
    if (!language.has_value()) {
      bad.Add("reminder.language_code", "a BCP-47 language tag such as \"en-GB\"");
    } else {
      in.language_code = *language;
    }
  }
  if (bad.violations().size() != before) return std::nullopt;

  in.send_time = *send;
  in.expire_time = expire.has_value() ? *expire : domain::DefaultExpireTime(*send, in.event_time);
  in.template_parameters.insert(r.template_parameters().begin(), r.template_parameters().end());
  const std::string recipient =
      staff_alert ? absl::StrCat("clinics/", in.clinic_id, "/roles/", in.staff_role) : in.patient;
  in.dedupe_key = r.dedupe_key().empty() ? domain::DefaultDedupeKey(in.kind, in.appointment, recipient, in.send_time)
                                         : r.dedupe_key();
  return in;
}

void CheckTemplate(const v1::Template& t, status::FieldViolations& bad) {
  if (t.kind() == v1::REMINDER_KIND_UNSPECIFIED || !v1::ReminderKind_IsValid(t.kind())) {
    bad.Add("template.kind", "required: a known reminder kind");
  }
  const bool known_channel = IsKnownChannel(t.channel());
  if (!known_channel) bad.Add("template.channel", "required: SMS or EMAIL");
  if (!domain::CanonicalLanguage(t.language_code()).has_value()) {
    bad.Add("template.language_code", "required: a BCP-47 language tag such as \"en-GB\"");
  }
  const bool email = t.channel() == type::v1::CONTACT_CHANNEL_EMAIL;
  if (known_channel && !email && !t.subject().empty()) bad.Add("template.subject", "must be empty for SMS");
  if (email) CheckText(t.subject(), "template.subject", 200, true, bad);
  CheckText(t.body(), "template.body", email ? 20000 : 640, true, bad);

  std::set<std::string> declared;
  bool names_ok = true;
  for (const std::string& name : t.required_parameters()) {
    if (!domain::IsValidParameterName(name)) {
      names_ok = false;
      bad.Add("template.required_parameters", "names must be 1 to 40 characters of [a-z0-9_]");
    } else if (!declared.insert(name).second) {
      names_ok = false;
      bad.Add("template.required_parameters", absl::StrCat("\"", name, "\" is listed twice"));
    }
  }
  for (const auto& [field, text] : {std::pair<std::string_view, const std::string&>{"template.subject", t.subject()},
                                    {"template.body", t.body()}}) {
    absl::StatusOr<std::vector<std::string>> names = domain::Placeholders(text);
    if (!names.ok()) {
      bad.Add(std::string(field), std::string(names.status().message()));
      continue;
    }
    if (!names_ok) continue;
    for (const std::string& name : *names) {
      if (!domain::IsBuiltinPlaceholder(name) && declared.count(name) == 0) {
        bad.Add(std::string(field), absl::StrCat("unknown placeholder {{", name,
                                                 "}}: list it in required_parameters or use a built-in one"));
      }
    }
  }
  if (t.state() != v1::Template::STATE_UNSPECIFIED && !v1::Template::State_IsValid(t.state())) {
    bad.Add("template.state", "unknown value");
  }
}

void CheckStaffContact(const v1::StaffContact& c, status::FieldViolations& bad) {
  if (!auth::ParseRole(c.role()).has_value()) bad.Add("staff_contact.role", "required: a role name such as \"clinic_manager\"");
  if (!IsKnownChannel(c.channel())) bad.Add("staff_contact.channel", "required: SMS or EMAIL");
  if (c.channel() == type::v1::CONTACT_CHANNEL_SMS && !IsE164(c.address())) {
    bad.Add("staff_contact.address", "required: a phone number in E.164 format, e.g. +447700900123");
  } else if (c.channel() == type::v1::CONTACT_CHANNEL_EMAIL && !IsEmail(c.address())) {
    bad.Add("staff_contact.address", "required: an email address");
  } else if (!IsKnownChannel(c.channel()) && c.address().empty()) {
    bad.Add("staff_contact.address", "required");
  }
  CheckText(c.display_name(), "staff_contact.display_name", 200, false, bad);
}

}  // namespace clinic::notification
