#include "services/patient/domain/decimal.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace clinic::patient::domain {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Compares two non-negative integers given as digit strings without leading zeros.
std::strong_ordering CompareMagnitude(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() <=> b.size();
  const int c = a.compare(b);
  return c < 0 ? std::strong_ordering::less
               : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

std::string StripLeadingZeros(std::string digits) {
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  digits.erase(0, first);
  return digits;
}

}  // namespace

Decimal::Decimal(bool negative, std::string digits, int scale) {
  digits = StripLeadingZeros(std::move(digits));
  // Trailing fractional zeros carry no value: remove them for a unique representation.
  while (scale > 0 && digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    --scale;
  }
  if (digits == "0") {
    scale = 0;
    negative = false;
  }
  negative_ = negative;
  digits_ = std::move(digits);
  scale_ = scale;
}

std::optional<Decimal> Decimal::Parse(std::string_view text) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const std::size_t dot = text.find('.');
  std::string_view integer = text.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (integer.empty()) return std::nullopt;
  if (dot != std::string_view::npos && fraction.empty()) return std::nullopt;
  for (char c : integer) {
    if (!IsDigit(c)) return std::nullopt;
  }
  for (char c : fraction) {
    if (!IsDigit(c)) return std::nullopt;
  }
  std::string digits = StripLeadingZeros(std::string(integer) + std::string(fraction));
  if (digits != "0" && digits.size() > static_cast<std::size_t>(kMaxSignificantDigits)) {
    return std::nullopt;
  }
  return Decimal(negative, std::string(integer) + std::string(fraction),
                 static_cast<int>(fraction.size()));
}

std::string Decimal::ToString() const {
  std::string out = negative_ ? "-" : "";
  if (scale_ == 0) return out + digits_;
  std::string padded = digits_;
  if (padded.size() <= static_cast<std::size_t>(scale_)) {
    padded.insert(0, static_cast<std::size_t>(scale_) + 1 - padded.size(), '0');
  }
  const std::size_t point = padded.size() - static_cast<std::size_t>(scale_);
  return out + padded.substr(0, point) + "." + padded.substr(point);
}

double Decimal::ToDouble() const { return std::strtod(ToString().c_str(), nullptr); }

Decimal Decimal::MultiplyRatio(std::uint32_t numerator, std::uint32_t denominator,
                               int max_scale) const {
  // digits_ * numerator, schoolbook on the decimal string.
  std::string product(digits_.size() + 10, '0');
  std::uint64_t carry = 0;
  std::size_t out = product.size();
  for (std::size_t i = digits_.size(); i-- > 0;) {
    const std::uint64_t v = static_cast<std::uint64_t>(digits_[i] - '0') * numerator + carry;
    product[--out] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  while (carry > 0) {
    product[--out] = static_cast<char>('0' + carry % 10);
    carry /= 10;
  }
  product = StripLeadingZeros(product);

  // Long division by `denominator`, continuing into fraction digits until the remainder
  // is zero (exact) or the limit is reached (then rounded).
  const int exact_limit = std::max(scale_ + 40, max_scale + 1);
  std::string quotient;
  std::uint64_t remainder = 0;
  for (char d : product) {
    remainder = remainder * 10 + static_cast<std::uint64_t>(d - '0');
    quotient.push_back(static_cast<char>('0' + remainder / denominator));
    remainder %= denominator;
  }
  int scale = scale_;
  while (remainder != 0 && scale < exact_limit) {
    remainder *= 10;
    quotient.push_back(static_cast<char>('0' + remainder / denominator));
    remainder %= denominator;
    ++scale;
  }
  if (remainder == 0) return Decimal(negative_, std::move(quotient), scale);

  // Not terminating: round half away from zero to max_scale digits. Every digit beyond
  // max_scale is in `quotient`, and a non-zero remainder lies beyond them, so the first
  // dropped digit alone decides (5 or more rounds up).
  const std::size_t keep = quotient.size() - static_cast<std::size_t>(scale - max_scale);
  const bool round_up = quotient[keep] >= '5';
  quotient.resize(keep);
  if (round_up) {
    std::size_t i = quotient.size();
    while (i > 0 && quotient[i - 1] == '9') quotient[--i] = '0';
    if (i == 0) {
      quotient.insert(quotient.begin(), '1');
    } else {
      ++quotient[i - 1];
    }
  }
  return Decimal(negative_, std::move(quotient), max_scale);
}

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) {
  if (a.negative_ != b.negative_) {
    return a.negative_ ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  // Align the scales by appending zeros, then compare magnitudes.
  std::string da = a.digits_;
  std::string db = b.digits_;
  if (a.scale_ < b.scale_) da.append(static_cast<std::size_t>(b.scale_ - a.scale_), '0');
  if (b.scale_ < a.scale_) db.append(static_cast<std::size_t>(a.scale_ - b.scale_), '0');
  da = StripLeadingZeros(std::move(da));
  db = StripLeadingZeros(std::move(db));
  const std::strong_ordering magnitude = CompareMagnitude(da, db);
  return a.negative_ ? 0 <=> magnitude : magnitude;
}

}  // namespace clinic::patient::domain
