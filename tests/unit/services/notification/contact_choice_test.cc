#include "services/notification/domain/contact_choice.h"

#include <gtest/gtest.h>

namespace clinic::notification::domain {
namespace {

constexpr auto kSms = type::v1::CONTACT_CHANNEL_SMS;
constexpr auto kEmail = type::v1::CONTACT_CHANNEL_EMAIL;
constexpr auto kAny = type::v1::CONTACT_CHANNEL_UNSPECIFIED;

ContactPoint Point(type::v1::ContactChannel channel, Consent consent, bool preferred = false,
                   std::string address = "x") {
  return {channel, std::move(address), consent, preferred};
}

TEST(ContactChoiceTest, PreferredGrantedChannelWins) {
  PatientContact c;
  c.points = {Point(kSms, Consent::kGranted, false, "+447700900123"),
              Point(kEmail, Consent::kGranted, true, "a@example.org")};
  const ContactChoice choice = ChooseContact(c, kAny);
  ASSERT_TRUE(choice.point.has_value());
  EXPECT_EQ(choice.point->channel, kEmail);
  EXPECT_EQ(choice.point->address, "a@example.org");
}

TEST(ContactChoiceTest, AnyGrantedChannelWhenThePreferredOneIsNot) {
  PatientContact c;
  c.points = {Point(kSms, Consent::kWithdrawn, true), Point(kEmail, Consent::kGranted)};
  const ContactChoice choice = ChooseContact(c, kAny);
  ASSERT_TRUE(choice.point.has_value());
  EXPECT_EQ(choice.point->channel, kEmail);
}

TEST(ContactChoiceTest, RequestedChannelOnly) {
  PatientContact c;
  c.points = {Point(kSms, Consent::kOptedOut), Point(kEmail, Consent::kGranted, true)};
  EXPECT_EQ(ChooseContact(c, kSms).skip_reason, v1::SKIP_REASON_OPTED_OUT);
  EXPECT_FALSE(ChooseContact(c, kSms).point.has_value());
  ASSERT_TRUE(ChooseContact(c, kEmail).point.has_value());
}

TEST(ContactChoiceTest, SkipReasons) {
  PatientContact none;
  EXPECT_EQ(ChooseContact(none, kAny).skip_reason, v1::SKIP_REASON_NO_CONSENT);

  PatientContact withdrawn;
  withdrawn.points = {Point(kSms, Consent::kWithdrawn), Point(kEmail, Consent::kUnspecified)};
  EXPECT_EQ(ChooseContact(withdrawn, kAny).skip_reason, v1::SKIP_REASON_NO_CONSENT);

  PatientContact opted_out;
  opted_out.points = {Point(kSms, Consent::kOptedOut), Point(kEmail, Consent::kWithdrawn)};
  EXPECT_EQ(ChooseContact(opted_out, kAny).skip_reason, v1::SKIP_REASON_OPTED_OUT);

  PatientContact no_address;
  no_address.points = {Point(kSms, Consent::kGranted, true, "")};
  EXPECT_EQ(ChooseContact(no_address, kAny).skip_reason, v1::SKIP_REASON_NO_ADDRESS);

  PatientContact erased;
  erased.erased = true;
  erased.points = {Point(kSms, Consent::kGranted)};
  EXPECT_EQ(ChooseContact(erased, kAny).skip_reason, v1::SKIP_REASON_PATIENT_ERASED);
}

}  // namespace
}  // namespace clinic::notification::domain
