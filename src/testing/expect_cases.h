#pragma once

// Table-driven checks shared by the unit tests of every layer.

#include <gtest/gtest.h>

namespace cruddur::test_util {

// Expects `f(input) == expected` for each {input, expected} of `cases`; a failure names the input.
template <typename F, typename Cases>
void ExpectCases(F&& f, const Cases& cases) {
  for (const auto& [input, expected] : cases) {
    SCOPED_TRACE(input);
    EXPECT_EQ(f(input), expected);
  }
}

}  // namespace cruddur::test_util
