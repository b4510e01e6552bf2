#include "ddb/number.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>

#include "ddb/error.h"

namespace cruddur::ddb {

namespace {

// DynamoDB's limits, in terms of exponent_ (value = 0.<digits> * 10^exponent_):
// the largest magnitude 9.99..E+125 has exponent_ 126, the smallest 1E-130 has exponent_ -129.
constexpr int kMaxExponent = 126;
constexpr int kMinExponent = -129;
constexpr size_t kMaxDigits = 38;

// Clamp for exponents read from text: far outside the range, small enough not to overflow int64
// arithmetic with any digit count.
constexpr int64_t kExponentClamp = int64_t{1} << 40;

const char kOverflow[] =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
const char kUnderflow[] =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const char kTooManyDigits[] = "Attempting to store more than 38 significant digits in a Number";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void ThrowNotNumeric(std::string_view text) {
  // DynamoDB keeps the colon even for an empty string ("...numeric value: ").
  std::string m = "The parameter cannot be converted to a numeric value: ";
  m.append(text);
  throw ApiError::Validation(m);
}

// Range and precision checks on a normalised (digits without leading/trailing zeros) value.
void CheckLimits(size_t digit_count, int64_t exponent) {
  if (digit_count == 0) return;
  if (exponent > kMaxExponent) throw ApiError::Validation(kOverflow);
  if (exponent < kMinExponent) throw ApiError::Validation(kUnderflow);
  if (digit_count > kMaxDigits) throw ApiError::Validation(kTooManyDigits);
}

// The canonical text is plain notation with no exponent and no redundant zeros, which is what
// DynamoDB returns: "1.00000000000000007629769841092E+50" comes back as
// "100000000000000007629769841092000000000000000000000" (boto/boto3#4636), "1.5E2" as "150",
// "-0" as "0", "1.0" as "1". The same form as Java's BigDecimal.stripTrailingZeros()
// .toPlainString(), which is what DynamoDB Local returns.
std::string CanonicalText(bool negative, const std::string& digits, int exponent) {
  if (digits.empty()) return "0";
  std::string t;
  const int len = static_cast<int>(digits.size());
  t.reserve(digits.size() + static_cast<size_t>(std::abs(exponent)) + 3);
  if (negative) t.push_back('-');
  if (exponent <= 0) {
    t.append("0.");
    t.append(static_cast<size_t>(-exponent), '0');
    t.append(digits);
  } else if (exponent >= len) {
    t.append(digits);
    t.append(static_cast<size_t>(exponent - len), '0');
  } else {
    t.append(digits, 0, static_cast<size_t>(exponent));
    t.push_back('.');
    t.append(digits, static_cast<size_t>(exponent), std::string::npos);
  }
  return t;
}

}  // namespace

Number Number::FromParts(bool negative, std::string digits, int exponent) {
  size_t first = digits.find_first_not_of('0');
  Number n;
  if (first == std::string::npos) return n;  // zero
  size_t last = digits.find_last_not_of('0');
  digits.erase(last + 1);
  digits.erase(0, first);
  n.negative_ = negative;
  n.exponent_ = exponent - static_cast<int>(first);
  n.digits_ = std::move(digits);
  n.text_ = CanonicalText(n.negative_, n.digits_, n.exponent_);
  return n;
}

// Accepts what Java's BigDecimal(String) accepts, which is DynamoDB's number syntax:
// [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits]. No spaces, no NaN/Infinity, no hex.
Number Number::Parse(std::string_view text) {
  const size_t n = text.size();
  size_t i = 0;
  bool negative = false;
  if (i < n && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  const size_t mantissa_begin = i;
  size_t point = std::string_view::npos;
  size_t digit_count = 0;  // mantissa digits, including zeros
  for (; i < n; ++i) {
    char c = text[i];
    if (IsDigit(c)) {
      ++digit_count;
    } else if (c == '.' && point == std::string_view::npos) {
      point = i;
    } else {
      break;
    }
  }
  const size_t mantissa_end = i;
  if (digit_count == 0) ThrowNotNumeric(text);

  int64_t explicit_exponent = 0;
  if (i < n) {
    if (text[i] != 'e' && text[i] != 'E') ThrowNotNumeric(text);
    ++i;
    bool exp_negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    if (i >= n) ThrowNotNumeric(text);
    for (; i < n; ++i) {
      if (!IsDigit(text[i])) ThrowNotNumeric(text);
      if (explicit_exponent < kExponentClamp) {
        explicit_exponent = explicit_exponent * 10 + (text[i] - '0');
      }
    }
    if (exp_negative) explicit_exponent = -explicit_exponent;
  }

  // Find the first and last non-zero mantissa digits.
  size_t first = std::string_view::npos, last = std::string_view::npos;
  int64_t first_index = 0;  // index of `first` among the mantissa digits
  int64_t index = 0;
  for (size_t k = mantissa_begin; k < mantissa_end; ++k) {
    char c = text[k];
    if (c == '.') continue;
    if (c != '0') {
      if (first == std::string_view::npos) {
        first = k;
        first_index = index;
      }
      last = k;
    }
    ++index;
  }
  if (first == std::string_view::npos) return Number();  // zero, whatever the exponent

  const int64_t int_len = point == std::string_view::npos
                              ? static_cast<int64_t>(digit_count)
                              : static_cast<int64_t>(point - mantissa_begin);
  const int64_t exponent = int_len - first_index + explicit_exponent;

  size_t sig = 0;
  for (size_t k = first; k <= last; ++k) sig += text[k] != '.';
  CheckLimits(sig, exponent);

  Number num;
  num.negative_ = negative;
  num.exponent_ = static_cast<int>(exponent);
  num.digits_.reserve(sig);
  for (size_t k = first; k <= last; ++k) {
    if (text[k] != '.') num.digits_.push_back(text[k]);
  }
  num.text_ = CanonicalText(num.negative_, num.digits_, num.exponent_);
  return num;
}

namespace {

// Compares magnitudes |a| and |b| of two non-zero numbers.
std::strong_ordering CompareMagnitude(const Number& a, const Number& b) {
  if (a.exponent() != b.exponent()) return a.exponent() <=> b.exponent();
  int c = a.digits().compare(b.digits());
  return c <=> 0;
}

}  // namespace

std::strong_ordering Number::operator<=>(const Number& other) const {
  const int sa = is_zero() ? 0 : (negative_ ? -1 : 1);
  const int sb = other.is_zero() ? 0 : (other.negative_ ? -1 : 1);
  if (sa != sb) return sa <=> sb;
  if (sa == 0) return std::strong_ordering::equal;
  std::strong_ordering m = CompareMagnitude(*this, other);
  if (sa > 0) return m;
  return 0 <=> m;  // negative numbers: larger magnitude is smaller
}

namespace {

// Exact a + (negate_b ? -b : b). Both operands are valid numbers, so every digit position lies
// between 10^126 and 10^-168: the aligned width stays below 300 digits.
Number AddSigned(const Number& a, const Number& b, bool negate_b) {
  const bool b_negative = b.negative() != negate_b;
  if (b.is_zero()) return a;
  if (a.is_zero()) return Number::FromParts(b_negative, b.digits(), b.exponent());

  const int a_len = static_cast<int>(a.digits().size());
  const int b_len = static_cast<int>(b.digits().size());
  const int high = std::max(a.exponent(), b.exponent());
  const int low = std::min(a.exponent() - a_len, b.exponent() - b_len);
  const int width = high - low;  // digit positions 10^(high-1) .. 10^low

  constexpr int kMaxWidth = 320;
  std::array<uint8_t, kMaxWidth> x{}, y{};
  if (width > kMaxWidth) throw ApiError::Validation(kOverflow);  // unreachable for valid input
  for (int j = 0; j < a_len; ++j) x[high - a.exponent() + j] = a.digits()[j] - '0';
  for (int j = 0; j < b_len; ++j) y[high - b.exponent() + j] = b.digits()[j] - '0';

  std::string out(static_cast<size_t>(width) + 1, '0');  // out[0] is the carry position
  bool negative;
  if (a.negative() == b_negative) {
    negative = a.negative();
    int carry = 0;
    for (int k = width - 1; k >= 0; --k) {
      int s = x[k] + y[k] + carry;
      carry = s >= 10;
      out[k + 1] = static_cast<char>('0' + (s - (carry ? 10 : 0)));
    }
    out[0] = static_cast<char>('0' + carry);
  } else {
    std::strong_ordering m = CompareMagnitude(a, b);
    if (m == 0) return Number();
    const auto* big = &x;
    const auto* small = &y;
    negative = a.negative();
    if (m < 0) {
      std::swap(big, small);
      negative = b_negative;
    }
    int borrow = 0;
    for (int k = width - 1; k >= 0; --k) {
      int d = (*big)[k] - (*small)[k] - borrow;
      borrow = d < 0;
      out[k + 1] = static_cast<char>('0' + (d + (borrow ? 10 : 0)));
    }
  }
  // out represents 0.<out> * 10^(high + 1).
  Number r = Number::FromParts(negative, std::move(out), high + 1);
  // DynamoDB reports a result that needs more than 38 digits as an overflow too (observed: SET
  // b = :a + :b with 1e50 and 1 answers "Number overflow...", per scylladb test_number.py).
  if (!r.is_zero()) {
    if (r.exponent() < kMinExponent) throw ApiError::Validation(kUnderflow);
    if (r.exponent() > kMaxExponent || r.digits().size() > kMaxDigits) {
      throw ApiError::Validation(kOverflow);
    }
  }
  return r;
}

}  // namespace

Number Number::operator+(const Number& other) const { return AddSigned(*this, other, false); }
Number Number::operator-(const Number& other) const { return AddSigned(*this, other, true); }

}  // namespace cruddur::ddb
