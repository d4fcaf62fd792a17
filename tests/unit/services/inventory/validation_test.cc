#include "services/inventory/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clinic::inventory {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Fields(const status::FieldViolations& bad) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : bad.violations()) fields.push_back(v.field);
  return fields;
}

std::string Repeat(std::string_view unit, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

constexpr std::string_view kEAcute = "\xc3\xa9";  // "é": 1 code point, 2 bytes

// ---------------------------------------------------------------------------------------
// IsValidLotNumber

TEST(IsValidLotNumberTest, AcceptsPrintedLotNumbers) {
  EXPECT_TRUE(IsValidLotNumber("A"));
  EXPECT_TRUE(IsValidLotNumber("7"));
  EXPECT_TRUE(IsValidLotNumber("AB1234"));
  EXPECT_TRUE(IsValidLotNumber("ab-12/3.4"));
  EXPECT_TRUE(IsValidLotNumber("1-"));
  EXPECT_TRUE(IsValidLotNumber(std::string(64, 'L')));
}

TEST(IsValidLotNumberTest, RefusesLengthOutsideOneTo64) {
  EXPECT_FALSE(IsValidLotNumber(""));
  EXPECT_FALSE(IsValidLotNumber(std::string(65, 'L')));
}

TEST(IsValidLotNumberTest, MustStartWithALetterOrDigit) {
  EXPECT_FALSE(IsValidLotNumber("-AB1"));
  EXPECT_FALSE(IsValidLotNumber("/AB1"));
  EXPECT_FALSE(IsValidLotNumber(".AB1"));
}

TEST(IsValidLotNumberTest, RefusesOtherCharacters) {
  for (std::string_view lot : {" AB1", "AB1 ", "AB 1", "AB_1", "AB+1", "AB\\1", "AB:1", "AB\t1",
                               "L\xc3\xa9T",        // "LéT"
                               "\xef\xbc\xa1" "B1", // fullwidth "Ａ"
                               "AB1\n"}) {
    EXPECT_FALSE(IsValidLotNumber(lot)) << lot;
  }
  EXPECT_FALSE(IsValidLotNumber(std::string_view("AB\0" "1", 4)));
}

// ---------------------------------------------------------------------------------------
// IsPositiveDecimal

TEST(IsPositiveDecimalTest, AcceptsPositiveDecimals) {
  for (std::string_view value : {"1", "0.5", "245.5", "1.355", "0.001", "10", "007", "00.5", "1.0"}) {
    EXPECT_TRUE(IsPositiveDecimal(value)) << value;
  }
}

TEST(IsPositiveDecimalTest, RefusesZeroAndNegative) {
  for (std::string_view value : {"0", "0.0", "00", "0.000", "-1", "-0.5", "-0"}) {
    EXPECT_FALSE(IsPositiveDecimal(value)) << value;
  }
}

TEST(IsPositiveDecimalTest, RefusesWhatIsNotTheDecimalSyntax) {
  for (std::string_view value : {"", "1.", ".5", ".", "1e3", "1E3", "+1", " 1", "1 ", "1,000", "1.2.3", "0x10",
                                 "one", "1-", "--1", "\xd9\xa1" /* Arabic-Indic digit one */}) {
    EXPECT_FALSE(IsPositiveDecimal(value)) << value;
  }
}

TEST(IsPositiveDecimalTest, AtMost18SignificantDigits) {
  EXPECT_TRUE(IsPositiveDecimal("123456789012345678"));    // 18
  EXPECT_FALSE(IsPositiveDecimal("1234567890123456789"));  // 19
  EXPECT_TRUE(IsPositiveDecimal("1234567890.12345678"));   // 18
  EXPECT_FALSE(IsPositiveDecimal("1234567890.123456789")); // 19
  // Leading zeros are not significant.
  EXPECT_TRUE(IsPositiveDecimal("000123456789012345678"));
  EXPECT_TRUE(IsPositiveDecimal("0.000000000000000000123456789012345678"));
  EXPECT_FALSE(IsPositiveDecimal("0.0000000001234567890123456789"));
}

// ---------------------------------------------------------------------------------------
// CheckText

TEST(CheckTextTest, CountsCodePointsNotBytes) {
  const std::string text = Repeat(kEAcute, 200);  // 400 bytes
  status::FieldViolations bad;
  CheckText(text, "product.display_name", 200, true, bad);
  EXPECT_TRUE(bad.empty());

  CheckText(text + "x", "product.display_name", 200, true, bad);
  EXPECT_THAT(Fields(bad), ElementsAre("product.display_name"));
}

TEST(CheckTextTest, FourByteCodePointsCountOnce) {
  const std::string text = Repeat("\xf0\x9f\x92\x89", 40);  // 40 × U+1F489 (syringe)
  status::FieldViolations bad;
  CheckText(text, "product.stock_unit", 40, true, bad);
  EXPECT_TRUE(bad.empty());
  CheckText(text + "\xf0\x9f\x92\x89", "product.stock_unit", 40, true, bad);
  EXPECT_THAT(Fields(bad), ElementsAre("product.stock_unit"));
}

TEST(CheckTextTest, AsciiAtAndOverTheLimit) {
  status::FieldViolations bad;
  CheckText(std::string(200, 'a'), "f", 200, true, bad);
  EXPECT_TRUE(bad.empty());
  CheckText(std::string(201, 'a'), "f", 200, true, bad);
  ASSERT_THAT(Fields(bad), ElementsAre("f"));
  EXPECT_EQ(bad.violations()[0].description, "at most 200 characters");
}

TEST(CheckTextTest, BlankIsRefusedWhenRequired) {
  for (std::string_view text : {"", " ", "\t", " \r\n "}) {
    status::FieldViolations bad;
    CheckText(text, "product.display_name", 200, true, bad);
    ASSERT_THAT(Fields(bad), ElementsAre("product.display_name")) << "[" << text << "]";
    EXPECT_EQ(bad.violations()[0].description, "required");
  }
}

TEST(CheckTextTest, BlankIsAcceptedWhenOptional) {
  status::FieldViolations bad;
  CheckText("", "note", 10, false, bad);
  CheckText("   ", "note", 10, false, bad);
  EXPECT_TRUE(bad.empty());
  CheckText(std::string(11, ' '), "note", 10, false, bad);
  EXPECT_THAT(Fields(bad), ElementsAre("note"));
}

// ---------------------------------------------------------------------------------------
// CheckNewProduct

v1::Product Medicine() {
  v1::Product p;
  p.set_sku("HYDROXO-1MG-1ML");
  p.set_display_name("Hydroxocobalamin 1 mg/1 mL solution for injection");
  p.set_category(v1::PRODUCT_CATEGORY_MEDICINE);
  p.set_substance(v1::ACTIVE_SUBSTANCE_HYDROXOCOBALAMIN);
  p.set_form(v1::PRODUCT_FORM_AMPOULE);
  p.mutable_strength()->mutable_value()->set_value("1");
  p.mutable_strength()->set_unit(type::v1::QUANTITY_UNIT_MILLIGRAM);
  p.mutable_volume()->mutable_value()->set_value("1");
  p.mutable_volume()->set_unit(type::v1::QUANTITY_UNIT_MILLILITRE);
  p.set_stock_unit("ampoule");
  p.set_prescription_only(true);
  return p;
}

v1::Product Consumable() {
  v1::Product p;
  p.set_sku("SYRINGE-1ML");
  p.set_display_name("Syringe 1 mL");
  p.set_category(v1::PRODUCT_CATEGORY_CONSUMABLE);
  p.set_form(v1::PRODUCT_FORM_SYRINGE);
  p.set_stock_unit("syringe");
  return p;
}

std::vector<std::string> NewProductViolations(const v1::Product& product) {
  status::FieldViolations bad;
  CheckNewProduct(product, bad);
  return Fields(bad);
}

TEST(CheckNewProductTest, ValidMedicine) {
  EXPECT_THAT(NewProductViolations(Medicine()), IsEmpty());
  v1::Product active = Medicine();
  active.set_state(v1::Product::STATE_ACTIVE);
  EXPECT_THAT(NewProductViolations(active), IsEmpty());
}

TEST(CheckNewProductTest, ValidAddOn) {
  v1::Product p = Medicine();
  p.set_category(v1::PRODUCT_CATEGORY_ADD_ON);
  p.set_substance(v1::ACTIVE_SUBSTANCE_BIOTIN);
  p.mutable_strength()->mutable_value()->set_value("0.5");
  EXPECT_THAT(NewProductViolations(p), IsEmpty());
}

TEST(CheckNewProductTest, ConsumableNeedsNoSubstanceStrengthOrVolume) {
  EXPECT_THAT(NewProductViolations(Consumable()), IsEmpty());
  v1::Product none = Consumable();
  none.set_substance(v1::ACTIVE_SUBSTANCE_NONE);
  EXPECT_THAT(NewProductViolations(none), IsEmpty());
}

TEST(CheckNewProductTest, ConsumableStrengthWhenGivenIsStillChecked) {
  v1::Product p = Consumable();
  p.mutable_strength()->mutable_value()->set_value("0");
  EXPECT_THAT(NewProductViolations(p), ElementsAre("product.strength.value", "product.strength.unit"));
}

struct BadProduct {
  const char* name;
  void (*spoil)(v1::Product&);
  std::vector<std::string> fields;
};

class BadProductTest : public ::testing::TestWithParam<BadProduct> {};

TEST_P(BadProductTest, OneViolationWithTheExactPath) {
  v1::Product p = Medicine();
  GetParam().spoil(p);
  EXPECT_EQ(NewProductViolations(p), GetParam().fields);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, BadProductTest,
    ::testing::Values(
        BadProduct{"EmptySku", [](v1::Product& p) { p.clear_sku(); }, {"product.sku"}},
        BadProduct{"LowerCaseSku", [](v1::Product& p) { p.set_sku("hydroxo-1mg"); }, {"product.sku"}},
        BadProduct{"SkuWithSpace", [](v1::Product& p) { p.set_sku("HYDROXO 1MG"); }, {"product.sku"}},
        BadProduct{"Sku65", [](v1::Product& p) { p.set_sku(std::string(65, 'S')); }, {"product.sku"}},
        BadProduct{"BlankDisplayName", [](v1::Product& p) { p.set_display_name("  "); }, {"product.display_name"}},
        BadProduct{"LongDisplayName", [](v1::Product& p) { p.set_display_name(std::string(201, 'd')); },
                   {"product.display_name"}},
        BadProduct{"NoCategory", [](v1::Product& p) { p.set_category(v1::PRODUCT_CATEGORY_UNSPECIFIED); },
                   {"product.category"}},
        BadProduct{"UnknownCategory", [](v1::Product& p) { p.set_category(static_cast<v1::ProductCategory>(99)); },
                   {"product.category"}},
        BadProduct{"NoSubstance", [](v1::Product& p) { p.set_substance(v1::ACTIVE_SUBSTANCE_UNSPECIFIED); },
                   {"product.substance"}},
        BadProduct{"SubstanceNone", [](v1::Product& p) { p.set_substance(v1::ACTIVE_SUBSTANCE_NONE); },
                   {"product.substance"}},
        BadProduct{"NoForm", [](v1::Product& p) { p.set_form(v1::PRODUCT_FORM_UNSPECIFIED); }, {"product.form"}},
        BadProduct{"UnknownForm", [](v1::Product& p) { p.set_form(static_cast<v1::ProductForm>(42)); },
                   {"product.form"}},
        BadProduct{"NoStrength", [](v1::Product& p) { p.clear_strength(); }, {"product.strength"}},
        BadProduct{"ZeroStrength", [](v1::Product& p) { p.mutable_strength()->mutable_value()->set_value("0"); },
                   {"product.strength.value"}},
        BadProduct{"NegativeStrength",
                   [](v1::Product& p) { p.mutable_strength()->mutable_value()->set_value("-1"); },
                   {"product.strength.value"}},
        BadProduct{"EmptyStrengthValue", [](v1::Product& p) { p.mutable_strength()->clear_value(); },
                   {"product.strength.value"}},
        BadProduct{"NoStrengthUnit",
                   [](v1::Product& p) { p.mutable_strength()->set_unit(type::v1::QUANTITY_UNIT_UNSPECIFIED); },
                   {"product.strength.unit"}},
        BadProduct{"UnknownStrengthUnit",
                   [](v1::Product& p) { p.mutable_strength()->set_unit(static_cast<type::v1::QuantityUnit>(77)); },
                   {"product.strength.unit"}},
        BadProduct{"EmptyStrength", [](v1::Product& p) { p.mutable_strength()->Clear(); },
                   {"product.strength.value", "product.strength.unit"}},
        BadProduct{"BadVolumeValue", [](v1::Product& p) { p.mutable_volume()->mutable_value()->set_value("1e3"); },
                   {"product.volume.value"}},
        BadProduct{"NoVolumeUnit",
                   [](v1::Product& p) { p.mutable_volume()->set_unit(type::v1::QUANTITY_UNIT_UNSPECIFIED); },
                   {"product.volume.unit"}},
        BadProduct{"BlankStockUnit", [](v1::Product& p) { p.clear_stock_unit(); }, {"product.stock_unit"}},
        BadProduct{"LongStockUnit", [](v1::Product& p) { p.set_stock_unit(std::string(41, 'u')); },
                   {"product.stock_unit"}},
        BadProduct{"Discontinued", [](v1::Product& p) { p.set_state(v1::Product::STATE_DISCONTINUED); },
                   {"product.state"}}),
    [](const ::testing::TestParamInfo<BadProduct>& param_info) { return std::string(param_info.param.name); });

TEST(CheckNewProductTest, ReportsEveryBadFieldAtOnceInFieldOrder) {
  v1::Product p;  // everything missing: a medicine-less, category-less product
  EXPECT_THAT(NewProductViolations(p),
              ElementsAre("product.sku", "product.display_name", "product.category", "product.form",
                          "product.stock_unit"));
  p.set_category(v1::PRODUCT_CATEGORY_MEDICINE);
  EXPECT_THAT(NewProductViolations(p), ElementsAre("product.sku", "product.display_name", "product.substance",
                                                   "product.form", "product.strength", "product.stock_unit"));
}

TEST(CheckNewProductTest, DisplayNameCountsCodePoints) {
  v1::Product p = Medicine();
  p.set_display_name(Repeat(kEAcute, 200));
  EXPECT_THAT(NewProductViolations(p), IsEmpty());
  p.set_display_name(Repeat(kEAcute, 201));
  EXPECT_THAT(NewProductViolations(p), ElementsAre("product.display_name"));
}

TEST(CheckProductFieldTest, ChecksOnlyTheNamedPath) {
  v1::Product p;  // every field bad
  status::FieldViolations bad;
  CheckProductField(p, "display_name", bad);
  EXPECT_THAT(Fields(bad), ElementsAre("product.display_name"));
}

TEST(CheckProductFieldTest, StateOnUpdate) {
  v1::Product p = Medicine();
  status::FieldViolations bad;
  p.set_state(v1::Product::STATE_DISCONTINUED);
  CheckProductField(p, "state", bad);
  EXPECT_TRUE(bad.empty());
  p.set_state(v1::Product::STATE_UNSPECIFIED);
  CheckProductField(p, "state", bad);
  EXPECT_THAT(Fields(bad), ElementsAre("product.state"));
}

// ---------------------------------------------------------------------------------------
// CheckClinicField

std::vector<std::string> ClinicViolations(const v1::Clinic& clinic, std::string_view path) {
  status::FieldViolations bad;
  CheckClinicField(clinic, path, bad);
  return Fields(bad);
}

TEST(CheckClinicFieldTest, ExpiryWarningDaysIsOneTo365) {
  v1::Clinic clinic;
  for (int days : {1, 30, 365}) {
    clinic.set_expiry_warning_days(days);
    EXPECT_THAT(ClinicViolations(clinic, "expiry_warning_days"), IsEmpty()) << days;
  }
  for (int days : {0, -1, 366}) {
    clinic.set_expiry_warning_days(days);
    EXPECT_THAT(ClinicViolations(clinic, "expiry_warning_days"), ElementsAre("clinic.expiry_warning_days")) << days;
  }
}

v1::Clinic WithHold(int64_t seconds, int32_t nanos) {
  v1::Clinic clinic;
  clinic.mutable_reservation_hold()->set_seconds(seconds);
  clinic.mutable_reservation_hold()->set_nanos(nanos);
  return clinic;
}

TEST(CheckClinicFieldTest, ReservationHoldIsOneMinuteTo24Hours) {
  EXPECT_THAT(ClinicViolations(WithHold(60, 0), "reservation_hold"), IsEmpty());
  EXPECT_THAT(ClinicViolations(WithHold(15 * 60, 0), "reservation_hold"), IsEmpty());
  EXPECT_THAT(ClinicViolations(WithHold(60, 500000000), "reservation_hold"), IsEmpty());
  EXPECT_THAT(ClinicViolations(WithHold(24 * 3600 - 1, 999999999), "reservation_hold"), IsEmpty());
  EXPECT_THAT(ClinicViolations(WithHold(24 * 3600, 0), "reservation_hold"), IsEmpty());

  EXPECT_THAT(ClinicViolations(WithHold(59, 0), "reservation_hold"), ElementsAre("clinic.reservation_hold"));
  EXPECT_THAT(ClinicViolations(WithHold(59, 999999999), "reservation_hold"), ElementsAre("clinic.reservation_hold"));
  EXPECT_THAT(ClinicViolations(WithHold(24 * 3600, 1), "reservation_hold"), ElementsAre("clinic.reservation_hold"));
  EXPECT_THAT(ClinicViolations(WithHold(24 * 3600 + 1, 0), "reservation_hold"),
              ElementsAre("clinic.reservation_hold"));
  EXPECT_THAT(ClinicViolations(WithHold(0, 0), "reservation_hold"), ElementsAre("clinic.reservation_hold"));
  EXPECT_THAT(ClinicViolations(WithHold(-60, 0), "reservation_hold"), ElementsAre("clinic.reservation_hold"));
  EXPECT_THAT(ClinicViolations(v1::Clinic(), "reservation_hold"), ElementsAre("clinic.reservation_hold"));
}

TEST(CheckClinicFieldTest, AlertRoleIsARoleName) {
  v1::Clinic clinic;
  clinic.set_alert_role("clinic_manager");
  EXPECT_THAT(ClinicViolations(clinic, "alert_role"), IsEmpty());
  clinic.set_alert_role("practitioner");
  EXPECT_THAT(ClinicViolations(clinic, "alert_role"), IsEmpty());
  for (const char* role : {"boss", "", "Clinic_Manager", "clinic_manager "}) {
    clinic.set_alert_role(role);
    EXPECT_THAT(ClinicViolations(clinic, "alert_role"), ElementsAre("clinic.alert_role")) << role;
  }
}

TEST(CheckClinicFieldTest, State) {
  v1::Clinic clinic;
  EXPECT_THAT(ClinicViolations(clinic, "state"), ElementsAre("clinic.state"));
  clinic.set_state(v1::Clinic::STATE_CLOSED);
  EXPECT_THAT(ClinicViolations(clinic, "state"), IsEmpty());
}

}  // namespace
}  // namespace clinic::inventory
