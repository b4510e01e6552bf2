// Shared by the fuzz targets: how a target says "this is a bug" so libFuzzer records a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

// Every UBSan report stops the run (so libFuzzer records it), except the suppressed ones.
// CRUDDUR_FUZZ_DIR is set by fuzz/CMakeLists.txt.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" CRUDDUR_FUZZ_DIR "/ubsan.supp";
}

namespace cruddur::fuzz {

// Prints the broken property and aborts; libFuzzer then saves the input as a crash file.
[[noreturn]] inline void Fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n*** fuzz property violated: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void Check(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) Fail(what, detail);
}

// A header field name as HTTP allows it (RFC 9110 token): the server refuses anything else, so
// the HTTP-shaped targets skip inputs that break it.
inline bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// A header field value (or request target) the server lets through: no CR, LF or NUL.
inline bool IsFieldValue(std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace cruddur::fuzz
