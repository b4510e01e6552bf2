#pragma once

// Table-driven checks shared by the unit tests of every layer.

#include <gtest/gtest.h>

#include <source_location>

namespace cruddur::test_util {

// Expects `f(input) == expected` for each {input, expected} of `cases`; a failure names the
// caller's line and the input.
template <typename F, typename Cases>
void ExpectCases(F&& f, const Cases& cases,
                 std::source_location where = std::source_location::current()) {
  for (const auto& [input, expected] : cases) {
    ::testing::ScopedTrace trace(where.file_name(), static_cast<int>(where.line()), input);
    EXPECT_EQ(f(input), expected);
  }
}

}  // namespace cruddur::test_util
