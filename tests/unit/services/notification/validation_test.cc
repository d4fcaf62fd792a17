#include "services/notification/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "common/api/convert.h"

namespace clinic::notification {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const status::FieldViolations& bad) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : bad.violations()) fields.push_back(v.field);
  return fields;
}

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 11, 25, 10, 0, 0), absl::UTCTimeZone());

v1::Reminder Appointment() {
  v1::Reminder r;
  r.set_kind(v1::REMINDER_KIND_APPOINTMENT_REMINDER);
  r.set_patient("patients/p-1");
  r.set_clinic("clinics/soho");
  r.set_time_zone("Europe/London");
  *r.mutable_send_time() = api::ToTimestamp(kNow + absl::Hours(24));
  *r.mutable_event_time() = api::ToTimestamp(kNow + absl::Hours(48));
  r.set_appointment("clinics/soho/appointments/a-42");
  (*r.mutable_template_parameters())["clinic_name"] = "Soho";
  return r;
}

TEST(ValidationTest, GoodAppointmentReminderGetsItsDefaults) {
  status::FieldViolations bad;
  std::optional<ReminderInput> in = CheckNewReminder(Appointment(), kNow, bad);
  ASSERT_TRUE(in.has_value()) << ::testing::PrintToString(Fields(bad));
  EXPECT_EQ(in->clinic_id, "soho");
  EXPECT_EQ(in->expire_time, kNow + absl::Hours(48));  // the appointment's start
  EXPECT_EQ(in->dedupe_key, "REMINDER_KIND_APPOINTMENT_REMINDER/clinics/soho/appointments/a-42/2026-11-26T10:00:00Z");
  EXPECT_EQ(in->template_parameters.at("clinic_name"), "Soho");
  EXPECT_FALSE(in->quiet_hours.has_value());
}

TEST(ValidationTest, EveryBadFieldIsNamed) {
  v1::Reminder r;
  r.set_kind(static_cast<v1::ReminderKind>(99));
  r.set_channel(static_cast<type::v1::ContactChannel>(42));
  r.set_time_zone("Mars/Olympus");
  status::FieldViolations bad;
  EXPECT_FALSE(CheckNewReminder(r, kNow, bad).has_value());
  EXPECT_THAT(Fields(bad), UnorderedElementsAre("reminder.kind", "reminder.patient", "reminder.clinic",
                                                "reminder.time_zone", "reminder.send_time", "reminder.channel"));
}

TEST(ValidationTest, SendTimeBound) {
  v1::Reminder r = Appointment();
  *r.mutable_send_time() = api::ToTimestamp(kNow + absl::Hours(24 * 401));
  *r.mutable_event_time() = api::ToTimestamp(kNow + absl::Hours(24 * 402));
  status::FieldViolations bad;
  EXPECT_FALSE(CheckNewReminder(r, kNow, bad).has_value());
  EXPECT_THAT(Fields(bad), ElementsAre("reminder.send_time"));

  // Exactly 400 days ahead is allowed; the past means "as soon as possible".
  *r.mutable_send_time() = api::ToTimestamp(kNow + absl::Hours(24 * 400));
  status::FieldViolations ok;
  EXPECT_TRUE(CheckNewReminder(r, kNow, ok).has_value());
  *r.mutable_send_time() = api::ToTimestamp(kNow - absl::Hours(1));
  EXPECT_TRUE(CheckNewReminder(r, kNow, ok).has_value());
  EXPECT_THAT(Fields(ok), IsEmpty());
}

TEST(ValidationTest, AppointmentReminderNeedsItsAppointmentAndEvent) {
  v1::Reminder r = Appointment();
  r.clear_appointment();
  r.clear_event_time();
  status::FieldViolations bad;
  EXPECT_FALSE(CheckNewReminder(r, kNow, bad).has_value());
  EXPECT_THAT(Fields(bad), UnorderedElementsAre("reminder.event_time", "reminder.appointment"));

  r = Appointment();
  r.set_appointment("clinics/leeds/appointments/a-1");
  *r.mutable_event_time() = api::ToTimestamp(kNow + absl::Hours(1));  // before send_time
  status::FieldViolations bad2;
  EXPECT_FALSE(CheckNewReminder(r, kNow, bad2).has_value());
  EXPECT_THAT(Fields(bad2), UnorderedElementsAre("reminder.event_time", "reminder.appointment"));
}

TEST(ValidationTest, StaffAlertGoesToStaffNotAPatient) {
  v1::Reminder r;
  r.set_kind(v1::REMINDER_KIND_STAFF_ALERT);
  r.set_clinic("clinics/soho");
  r.set_time_zone("Europe/London");
  *r.mutable_send_time() = api::ToTimestamp(kNow);
  r.mutable_staff()->set_clinic("clinics/soho");
  r.mutable_staff()->set_role("clinic_manager");
  status::FieldViolations good;
  std::optional<ReminderInput> in = CheckNewReminder(r, kNow, good);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->staff_role, "clinic_manager");
  EXPECT_EQ(in->dedupe_key, "REMINDER_KIND_STAFF_ALERT/clinics/soho/roles/clinic_manager/2026-11-25T10:00:00Z");

  r.mutable_staff()->set_role("janitor");
  r.mutable_staff()->set_clinic("clinics/leeds");
  status::FieldViolations bad;
  EXPECT_FALSE(CheckNewReminder(r, kNow, bad).has_value());
  EXPECT_THAT(Fields(bad), UnorderedElementsAre("reminder.staff.clinic", "reminder.staff.role"));

  v1::Reminder to_patient = r;
  to_patient.set_patient("patients/p-1");  // replaces staff (oneof)
  status::FieldViolations bad2;
  EXPECT_FALSE(CheckNewReminder(to_patient, kNow, bad2).has_value());
  EXPECT_THAT(Fields(bad2), ElementsAre("reminder.patient", "reminder.staff"));
}

TEST(ValidationTest, ParametersQuietHoursKeysAndLanguage) {
  v1::Reminder r = Appointment();
  (*r.mutable_template_parameters())["Bad-Key"] = "x";
  (*r.mutable_template_parameters())["long"] = std::string(201, 'x');
  r.mutable_quiet_hours()->mutable_start_time()->set_hours(25);
  r.mutable_quiet_hours()->mutable_end_time()->set_hours(8);
  r.set_dedupe_key("has space");
  r.set_language_code("en_GB");
  status::FieldViolations bad;
  EXPECT_FALSE(CheckNewReminder(r, kNow, bad).has_value());
  EXPECT_THAT(Fields(bad), UnorderedElementsAre("reminder.template_parameters", "reminder.template_parameters[long]",
                                                "reminder.quiet_hours.start_time", "reminder.dedupe_key",
                                                "reminder.language_code"));
}

TEST(ValidationTest, QuietHoursAcrossMidnightAndLanguageIsCanonical) {
  v1::Reminder r = Appointment();
  r.mutable_quiet_hours()->mutable_start_time()->set_hours(22);
  r.mutable_quiet_hours()->mutable_end_time()->set_hours(7);
  r.mutable_quiet_hours()->mutable_end_time()->set_minutes(30);
  r.set_language_code("cy-gb");
  status::FieldViolations bad;
  std::optional<ReminderInput> in = CheckNewReminder(r, kNow, bad);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->quiet_hours->start, absl::Hours(22));
  EXPECT_EQ(in->quiet_hours->end, absl::Hours(7) + absl::Minutes(30));
  EXPECT_EQ(in->language_code, "cy-GB");
}

TEST(ValidationTest, Templates) {
  v1::Template t;
  t.set_kind(v1::REMINDER_KIND_APPOINTMENT_REMINDER);
  t.set_channel(type::v1::CONTACT_CHANNEL_SMS);
  t.set_language_code("en-GB");
  t.set_body("{{clinic_name}} on {{event_date}} at {{event_time}}");
  t.add_required_parameters("clinic_name");
  status::FieldViolations good;
  CheckTemplate(t, good);
  EXPECT_THAT(Fields(good), IsEmpty());

  t.set_body("{{clinic_name}} {{unknown}} " + std::string(640, 'x'));
  t.set_subject("not for sms");
  t.add_required_parameters("clinic_name");
  status::FieldViolations bad;
  CheckTemplate(t, bad);
  EXPECT_THAT(Fields(bad), UnorderedElementsAre("template.subject", "template.body", "template.required_parameters"));

  v1::Template email;
  email.set_kind(v1::REMINDER_KIND_RETEST_DUE);
  email.set_channel(type::v1::CONTACT_CHANNEL_EMAIL);
  email.set_language_code("en");
  email.set_body("Time for a blood test: {{unknown}}");
  status::FieldViolations bad_email;
  CheckTemplate(email, bad_email);
  EXPECT_THAT(Fields(bad_email), UnorderedElementsAre("template.subject", "template.body"));
}

TEST(ValidationTest, StaffContacts) {
  v1::StaffContact c;
  c.set_role("clinic_manager");
  c.set_channel(type::v1::CONTACT_CHANNEL_SMS);
  c.set_address("+447700900123");
  status::FieldViolations good;
  CheckStaffContact(c, good);
  EXPECT_THAT(Fields(good), IsEmpty());
  c.set_address("07700 900123");
  c.set_role("boss");
  status::FieldViolations bad;
  CheckStaffContact(c, bad);
  EXPECT_THAT(Fields(bad), UnorderedElementsAre("staff_contact.role", "staff_contact.address"));
  c.set_role("reception");
  c.set_channel(type::v1::CONTACT_CHANNEL_EMAIL);
  c.set_address("stock@soho.example");
  status::FieldViolations email;
  CheckStaffContact(c, email);
  EXPECT_THAT(Fields(email), IsEmpty());
}

}  // namespace
}  // namespace clinic::notification
