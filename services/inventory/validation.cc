#include "services/inventory/validation.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/auth/role.h"

namespace clinic::inventory {
namespace {

size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsBlank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

bool IsValidSku(std::string_view sku) {
  if (sku.empty() || sku.size() > 64) return false;
  for (char c : sku) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

void CheckQuantity(const type::v1::Quantity& q, const std::string& field, status::FieldViolations& bad) {
  if (!IsPositiveDecimal(q.value().value())) bad.Add(field + ".value", "must be a positive decimal such as \"1\" or \"0.5\"");
  if (q.unit() == type::v1::QUANTITY_UNIT_UNSPECIFIED || !type::v1::QuantityUnit_IsValid(q.unit())) {
    bad.Add(field + ".unit", "required");
  }
}

bool NeedsSubstance(v1::ProductCategory category) {
  return category == v1::PRODUCT_CATEGORY_MEDICINE || category == v1::PRODUCT_CATEGORY_ADD_ON;
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

bool IsValidLotNumber(std::string_view lot_number) {
  if (lot_number.empty() || lot_number.size() > 64) return false;
  const auto alnum = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(lot_number.front())) return false;
  for (char c : lot_number) {
    if (!(alnum(c) || c == '-' || c == '/' || c == '.')) return false;
  }
  return true;
}

bool IsPositiveDecimal(std::string_view value) {
  size_t i = 0, digits = 0, significant = 0;
  bool nonzero = false, point = false;
  for (; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '.') {
      if (point || digits == 0) return false;
      point = true;
      digits = 0;
      continue;
    }
    if (c < '0' || c > '9') return false;
    ++digits;
    if (c != '0') nonzero = true;
    if (nonzero) ++significant;
  }
  return !value.empty() && digits > 0 && nonzero && significant <= 18;
}

void CheckProductField(const v1::Product& product, std::string_view path, status::FieldViolations& bad) {
  if (path == "sku") {
    if (!IsValidSku(product.sku())) bad.Add("product.sku", "required: 1 to 64 characters of [A-Z0-9-]");
  } else if (path == "display_name") {
    CheckText(product.display_name(), "product.display_name", 200, true, bad);
  } else if (path == "category") {
    if (product.category() == v1::PRODUCT_CATEGORY_UNSPECIFIED || !v1::ProductCategory_IsValid(product.category())) {
      bad.Add("product.category", "required");
    }
  } else if (path == "substance") {
    if (!v1::ActiveSubstance_IsValid(product.substance())) bad.Add("product.substance", "unknown value");
    if (NeedsSubstance(product.category()) && (product.substance() == v1::ACTIVE_SUBSTANCE_UNSPECIFIED ||
                                               product.substance() == v1::ACTIVE_SUBSTANCE_NONE)) {
      bad.Add("product.substance", "required for medicines and add-ons");
    }
  } else if (path == "form") {
    if (product.form() == v1::PRODUCT_FORM_UNSPECIFIED || !v1::ProductForm_IsValid(product.form())) {
      bad.Add("product.form", "required");
    }
  } else if (path == "strength") {
    if (product.has_strength()) {
      CheckQuantity(product.strength(), "product.strength", bad);
    } else if (NeedsSubstance(product.category())) {
      bad.Add("product.strength", "required for medicines and add-ons");
    }
  } else if (path == "volume") {
    if (product.has_volume()) CheckQuantity(product.volume(), "product.volume", bad);
  } else if (path == "stock_unit") {
    CheckText(product.stock_unit(), "product.stock_unit", 40, true, bad);
  } else if (path == "state") {
    if (product.state() == v1::Product::STATE_UNSPECIFIED || !v1::Product::State_IsValid(product.state())) {
      bad.Add("product.state", "required");
    }
  }
}

void CheckNewProduct(const v1::Product& product, status::FieldViolations& bad) {
  for (std::string_view path : {"sku", "display_name", "category", "substance", "form", "strength", "volume",
                                "stock_unit"}) {
    CheckProductField(product, path, bad);
  }
  if (product.state() != v1::Product::STATE_UNSPECIFIED && product.state() != v1::Product::STATE_ACTIVE) {
    bad.Add("product.state", "a new product is ACTIVE; leave it unset");
  }
}

void CheckClinicField(const v1::Clinic& clinic, std::string_view path, status::FieldViolations& bad) {
  if (path == "expiry_warning_days") {
    if (clinic.expiry_warning_days() < 1 || clinic.expiry_warning_days() > 365) {
      bad.Add("clinic.expiry_warning_days", "1 to 365");
    }
  } else if (path == "reservation_hold") {
    const int64_t seconds = clinic.reservation_hold().seconds();
    if (seconds < 60 || seconds > 24 * 3600 || clinic.reservation_hold().nanos() < 0 ||
        (seconds == 24 * 3600 && clinic.reservation_hold().nanos() > 0)) {
      bad.Add("clinic.reservation_hold", "1 minute to 24 hours");
    }
  } else if (path == "alert_role") {
    if (!auth::ParseRole(clinic.alert_role()).has_value()) {
      bad.Add("clinic.alert_role", "a role name such as \"clinic_manager\"");
    }
  } else if (path == "state") {
    if (clinic.state() == v1::Clinic::STATE_UNSPECIFIED || !v1::Clinic::State_IsValid(clinic.state())) {
      bad.Add("clinic.state", "required");
    }
  }
}

}  // namespace clinic::inventory
