// DynamoDB's number type: a decimal of up to 38 significant digits with magnitude between
// 1E-130 and 9.9999999999999999999999999999999999999E+125 (and zero). Numbers are kept in the
// canonical text form DynamoDB returns ("00012.500" -> "12.5", "-0" -> "0", "1E2" -> "100").
#pragma once

#include <compare>
#include <string>
#include <string_view>

namespace cruddur::ddb {

class Number {
 public:
  Number() = default;  // zero

  // Parses DynamoDB number text. Throws ApiError::Validation with DynamoDB's message when the text
  // is not a number, has more than 38 significant digits, or is out of range.
  static Number Parse(std::string_view text);

  // The canonical text DynamoDB returns.
  const std::string& text() const { return text_; }

  bool is_zero() const { return digits_.empty(); }
  bool negative() const { return negative_; }

  // Numeric order; equal values compare equal whatever text they were parsed from.
  std::strong_ordering operator<=>(const Number& other) const;
  bool operator==(const Number& other) const { return (*this <=> other) == 0; }

  // Exact decimal arithmetic for UpdateExpression's + and - and ADD. Throws ApiError::Validation
  // ("Number overflow..." etc., DynamoDB's wording) when the result leaves the allowed range or
  // needs more than 38 significant digits.
  Number operator+(const Number& other) const;
  Number operator-(const Number& other) const;

  // Significant digits without leading/trailing zeros ("" for zero), and the decimal exponent
  // such that value = 0.<digits> * 10^exponent. Used by the order-preserving key encoding.
  const std::string& digits() const { return digits_; }
  int exponent() const { return exponent_; }

  // value = (negative ? -1 : 1) * 0.<digits> * 10^exponent. Strips leading and trailing zeros
  // (all zeros gives zero) but does not check DynamoDB's limits: callers decoding stored data
  // validate first.
  static Number FromParts(bool negative, std::string digits, int exponent);

 private:
  bool negative_ = false;
  std::string digits_;
  int exponent_ = 0;
  std::string text_ = "0";
};

}  // namespace cruddur::ddb
