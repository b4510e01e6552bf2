// What the exception being handled says, for a `catch (...)` that must report what it caught
// (scripts/check-catch-all.py).
#pragma once

#include <exception>

namespace cruddur {

// The what() of the exception being handled, or a note that it is not a std::exception. Call
// only inside a catch block; the text lives as long as that block.
inline const char* CurrentExceptionWhat() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {  // check-catch-all: the answer names it
    return "an exception not derived from std::exception";
  }
}

}  // namespace cruddur
