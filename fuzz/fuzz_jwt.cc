// Fuzzes the bearer-token path of the messaging API: the JWT parser, claim checks, the
// authenticator and the JWKS parser. The first byte picks a mode (byte % 4):
//   '0' a raw token: ParseJwt and base64url (decode, then encode, gives the text back);
//   '1' an Authorization header value through JwtAuthenticator::Authenticate;
//   '2' "<header JSON>\n<payload JSON>": signed here with the fuzzer's RS256 key, so the input
//       reaches signature verification and claim checks; the authenticator must agree with
//       CheckClaims on the payload;
//   '3' a JWKS document: JwkSet::Parse (std::invalid_argument is its documented failure).
// Every failure must be a value (AuthError + reason), never an exception or a crash.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "api/auth.h"
#include "api/jwks.h"
#include "api/jwt.h"
#include "deep_mutator.h"
#include "fuzz_util.h"

namespace cruddur::api {
namespace {

struct Fixture {
  RsaKey key = RsaKey::Generate(2048);
  std::string kid = key.Thumbprint();
  JwtExpectations expect = [] {
    JwtExpectations e;
    e.issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI";
    e.client_id = "5b6ro31g97urk767adrbrdj1g5";
    return e;
  }();
  // 2023-03-01T00:00:00Z: the seed tokens' iat/exp are around it.
  std::chrono::system_clock::time_point now{std::chrono::seconds(1677628800)};
  JwtAuthenticator authenticator;

  Fixture()
      : authenticator(std::make_shared<StaticKeyProvider>([this] {
                        JwkSet set;
                        set.Add(kid, key);
                        return set;
                      }()),
                      expect, [this] { return now; }) {}
};

Fixture& F() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void CheckResult(const AuthResult& r, std::string_view input) {
  if (r.ok()) {
    fuzz::Check(!r.identity.sub.empty(), "accepted a token without a sub", input);
    return;
  }
  fuzz::Check(!r.reason.empty() && r.reason.find('\n') == std::string::npos,
              "failure reason empty or not one line", r.reason);
  fuzz::Check(r.http_status() == 401 || r.http_status() == 503, "failure status not 401/503");
}

void RawToken(std::string_view token) {
  ParsedJwt parsed;
  JwtStatus status = ParseJwt(token, parsed);
  if (!status.ok()) {
    fuzz::Check(!status.reason.empty(), "ParseJwt failed without a reason", token);
  }
  if (std::optional<std::string> bytes = Base64UrlDecode(token)) {
    fuzz::Check(Base64UrlEncode(*bytes) == token, "base64url decode/encode is not the identity",
                token);
  }
  std::optional<std::string> back = Base64UrlDecode(Base64UrlEncode(token));
  fuzz::Check(back && *back == token, "base64url encode/decode is not the identity", token);
  CheckResult(F().authenticator.AuthenticateToken(token), token);
}

void SignedToken(std::string_view input) {
  size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return;
  std::string_view header = input.substr(0, eol), payload = input.substr(eol + 1);
  std::string signing_input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  std::string token = signing_input + "." + Base64UrlEncode(F().key.SignRs256(signing_input));
  AuthResult result = F().authenticator.AuthenticateToken(token);
  CheckResult(result, input);
  JwtClaims claims;
  JwtStatus status = CheckClaims(payload, F().expect, F().now, claims);
  if (result.ok()) {
    fuzz::Check(status.ok(), "authenticator accepted claims that CheckClaims refuses", input);
    fuzz::Check(result.identity.sub == claims.sub, "identity differs from the claims", input);
  }
  // With the header Cognito sends, only the claims can fail.
  if (header == R"({"kid":")" + F().kid + R"(","alg":"RS256"})") {
    fuzz::Check(result.error == status.error, "authenticator and CheckClaims disagree",
                std::string(AuthErrorName(result.error)) + " vs " +
                    std::string(AuthErrorName(status.error)));
  }
}

void Jwks(std::string_view json) {
  JwkSet set;
  try {
    set = JwkSet::Parse(json);
  } catch (const std::invalid_argument&) {
    return;
  }
  JwkSet again = JwkSet::Parse(set.ToJson());
  fuzz::Check(again.size() == set.size(), "JWKS changes size through ToJson", json);
}

}  // namespace
}  // namespace cruddur::api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0:
        cruddur::api::RawToken(text);
        break;
      case 1:
        cruddur::api::CheckResult(cruddur::api::F().authenticator.Authenticate(text), text);
        break;
      case 2:
        cruddur::api::SignedToken(text);
        break;
      default:
        cruddur::api::Jwks(text);
        break;
    }
  } catch (const std::exception& e) {
    cruddur::fuzz::Fail("unexpected exception", e.what());
  }
  return 0;
}

// Long and repeated tokens, JSON and JWKS (deep_mutator.h: a slice repeated or nested many
// times, the mode byte kept) a third of the time, libFuzzer's own mutations else.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return cruddur::fuzz::MutateGenericInput(data, size, max_size, seed, 1);
}
