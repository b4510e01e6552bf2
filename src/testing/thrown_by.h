#pragma once

// The exception a call throws, for tests that check its details.

#include <gtest/gtest.h>

namespace cruddur::test_util {

// The E that `call` throws; when it throws none, a test failure and `otherwise`.
template <class E, class Call>
E ThrownBy(Call&& call, E otherwise) {
  try {
    call();
  } catch (const E& e) {
    return e;
  }
  ADD_FAILURE() << "nothing was thrown";
  return otherwise;
}

}  // namespace cruddur::test_util
