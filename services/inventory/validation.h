#pragma once

// Field checks of the inventory contract that need no stored state. Each adds one
// violation per bad field (the proto path, e.g. "product.sku") to `bad`; the RPC answers
// INVALID_ARGUMENT with all of them and changes nothing.

#include <string_view>

#include "clinic/inventory/v1/product.pb.h"
#include "clinic/type/v1/quantity.pb.h"
#include "common/status/status.h"

namespace clinic::inventory {

// A product as given to CreateProduct (prefix "product"). On update, only the fields in
// the mask are checked (CheckProductFields with the paths).
void CheckNewProduct(const v1::Product& product, status::FieldViolations& bad);
// Checks one updatable field of a product by its path ("display_name", "strength", …).
void CheckProductField(const v1::Product& product, std::string_view path, status::FieldViolations& bad);

// Clinic stock settings (prefix "clinic"); time_zone is checked with api::ParseTimeZone.
void CheckClinicField(const v1::Clinic& clinic, std::string_view path, status::FieldViolations& bad);

// A lot number as printed: 1 to 64 characters of [A-Za-z0-9-/.], starting with a letter
// or digit.
bool IsValidLotNumber(std::string_view lot_number);

// A decimal as in clinic.type.v1.Decimal, greater than zero.
bool IsPositiveDecimal(std::string_view value);

// Text of at most `max_chars` Unicode code points (UTF-8); `required` also refuses empty
// or blank text.
void CheckText(std::string_view text, std::string_view field, size_t max_chars, bool required,
               status::FieldViolations& bad);

}  // namespace clinic::inventory
