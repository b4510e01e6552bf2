// Fuzzes SigV4 Authorization parsing and verification with arbitrary requests. The input is an
// HTTP request in text form: "METHOD TARGET" on the first line, then "Name: value" header lines,
// an empty line and the body. The request goes through ParseAuthorization (every Authorization
// header), Verifier::Verify without and with a secret (the AWS test suite's key and date), and a
// round trip: once signed by Sign, the same request must verify. Results are checked for shape
// (an error has an AWS error type and a message); crashes and exceptions are bugs.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "deep_mutator.h"
#include "fuzz_util.h"
#include "http/message.h"

namespace cruddur::aws {
namespace {

constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::chrono::system_clock::time_point Now() {
  return *ParseAmzDate("20150830T123600Z");  // the date of the AWS SigV4 test suite
}

// Returns false when the text is not an HTTP request the server would accept.
bool ParseRequest(std::string_view text, http::Request* request) {
  auto next_line = [&text]() {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  std::string_view start = next_line();
  size_t space = start.find(' ');
  if (space == std::string_view::npos) return false;
  request->method = std::string(start.substr(0, space));
  request->target = std::string(start.substr(space + 1));
  if (!fuzz::IsToken(request->method) || request->target.empty() ||
      !fuzz::IsFieldValue(request->target) || request->target.find(' ') != std::string::npos) {
    return false;
  }
  while (!text.empty()) {
    std::string_view line = next_line();
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (!fuzz::IsToken(name) || !fuzz::IsFieldValue(value)) return false;
    request->headers.Add(name, value);
  }
  request->body = std::string(text);
  return true;
}

void CheckError(const std::optional<AuthError>& error) {
  if (!error) return;
  fuzz::Check(error->type.ends_with("Exception") && !error->message.empty(),
              "AuthError without a type or message", error->type + ": " + error->message);
}

void Run(std::string_view text) {
  http::Request request;
  if (!ParseRequest(text, &request)) {
    ParseAuthorization(text);  // still a header value worth parsing
    return;
  }
  for (const http::Headers::Field& field : request.headers) {
    if (!http::EqualsIgnoreCase(field.name, "authorization")) continue;
    ParsedAuthorization parsed = ParseAuthorization(field.value);
    fuzz::Check(parsed.authorization.has_value() || !parsed.error.message.empty(),
                "ParseAuthorization failed without a message", field.value);
  }
  static const Verifier open;
  static const Verifier strict({{std::string(kAccessKey), std::string(kSecret)}});
  CheckError(open.Verify(request, Now()));
  CheckError(strict.Verify(request, Now()));

  // Whatever the request, our own signature must verify.
  if (!request.headers.Has("Host")) request.headers.Add("Host", "localhost:8000");
  Sign(request, Credentials{std::string(kAccessKey), std::string(kSecret), ""}, "us-east-1",
       "dynamodb", Now());
  std::optional<AuthError> error = strict.Verify(request, Now());
  fuzz::Check(!error, "a request signed by Sign does not verify",
              error ? error->type + ": " + error->message : "");
  fuzz::Check(!open.Verify(request, Now()), "a signed request is refused without secrets");
}

}  // namespace
}  // namespace cruddur::aws

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    cruddur::aws::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& e) {
    cruddur::fuzz::Fail("unexpected exception", e.what());
  }
  return 0;
}

// Long and repeated headers, values and bodies (deep_mutator.h: a slice repeated or nested many
// times) a third of the time, libFuzzer's own mutations else.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return cruddur::fuzz::MutateGenericInput(data, size, max_size, seed);
}
