#pragma once

// Exact decimal numbers as carried by clinic.type.v1.Decimal (lab values, thresholds,
// doses). Lab values are stored as reported and converted only for comparison; doing
// that in binary floating point would misread values such as 0.18 µg/L (= 180 ng/L)
// at a threshold, so the comparison is exact.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clinic::patient::domain {

// An exact decimal number. A value type: copyable, comparable, immutable.
class Decimal {
 public:
  // The most significant digits the text form may carry (clinic.type.v1.Decimal).
  static constexpr int kMaxSignificantDigits = 18;

  // Zero.
  Decimal() = default;

  // Parses the clinic.type.v1.Decimal syntax: an optional "-", one or more digits,
  // optionally "." and one or more digits; no exponent, "+", spaces or separators; at
  // most kMaxSignificantDigits digits once leading zeros are ignored. nullopt otherwise.
  static std::optional<Decimal> Parse(std::string_view text);

  // The shortest text of the value in the same syntax: no leading zeros, no trailing
  // fractional zeros, "0" for zero (never "-0"). E.g. "180.0" -> "180", "0.50" -> "0.5".
  std::string ToString() const;

  bool is_zero() const { return digits_ == "0"; }
  bool is_negative() const { return negative_; }
  bool is_positive() const { return !negative_ && !is_zero(); }

  // The nearest double, for statistics and display only (never for thresholds).
  double ToDouble() const;

  // *this * numerator / denominator, exact when that is a terminating decimal whose
  // fraction has at most this->scale() + 40 digits (always so when the denominator's
  // prime factors are 2 and 5 only); otherwise rounded half away from zero to
  // `max_scale` fraction digits. Precondition: denominator > 0, max_scale >= 0.
  Decimal MultiplyRatio(std::uint32_t numerator, std::uint32_t denominator, int max_scale) const;

  // The number of fraction digits of the shortest form (0 for integers).
  int scale() const { return scale_; }

  friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b);
  friend bool operator==(const Decimal& a, const Decimal& b) {
    return a.negative_ == b.negative_ && a.digits_ == b.digits_ && a.scale_ == b.scale_;
  }

 private:
  Decimal(bool negative, std::string digits, int scale);

  // The value is (negative_ ? -1 : 1) * digits_ * 10^-scale_, where digits_ has no
  // leading zeros ("0" for zero) and, when scale_ > 0, no trailing zero; zero is never
  // negative.
  bool negative_ = false;
  std::string digits_ = "0";
  int scale_ = 0;
};

}  // namespace clinic::patient::domain
