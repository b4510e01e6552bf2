#include "api/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "encoding/enum_names.h"

namespace cruddur::api {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int kMinRsaBits = 2048;

// ---- OpenSSL ownership --------------------------------------------------------------------------

// A unique_ptr deleter that calls OpenSSL's free function `Free`.
template <auto Free>
struct OpenSslFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioFree = OpenSslFree<BIO_free>;
using BnFree = OpenSslFree<BN_free>;
using MdCtxFree = OpenSslFree<EVP_MD_CTX_free>;
using PkeyCtxFree = OpenSslFree<EVP_PKEY_CTX_free>;
using ParamBldFree = OpenSslFree<OSSL_PARAM_BLD_free>;
using ParamFree = OpenSslFree<OSSL_PARAM_free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

std::shared_ptr<evp_pkey_st> Own(EVP_PKEY* key) {
  return std::shared_ptr<evp_pkey_st>(key, [](EVP_PKEY* k) { EVP_PKEY_free(k); });
}

// The oldest queued OpenSSL error as text (and the queue cleared), for exception messages.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  std::array<char, 256> buffer{};
  ERR_error_string_n(code, buffer.data(), buffer.size());
  return buffer.data();
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Only plain RSA keys of at least 2048 bits are worth trusting for RS256.
void CheckRsa(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA") != 1) throw std::invalid_argument("not an RSA key");
  if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
    throw std::invalid_argument("RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) +
                                " bits is too short (at least 2048 needed)");
  }
}

std::string BignumParamB64Url(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    throw std::runtime_error("cannot read RSA parameter " + std::string(name) + ": " +
                             OpenSslError());
  }
  BnPtr bn(raw);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  return Base64UrlEncode(bytes);
}

std::string Sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed: " + OpenSslError());
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), size);
}

// ---- JSON ---------------------------------------------------------------------------------------

constexpr unsigned kJsonFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// Duplicate member names make a token ambiguous (which "sub" counts?): refuse them anywhere.
bool HasDuplicateMembers(const rapidjson::Value& value) {
  if (value.IsArray()) {
    for (const auto& element : value.GetArray()) {
      if (HasDuplicateMembers(element)) return true;
    }
    return false;
  }
  if (!value.IsObject()) return false;
  std::set<std::string_view> names;
  for (const auto& member : value.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    if (!names.insert(name).second) return true;
    if (HasDuplicateMembers(member.value)) return true;
  }
  return false;
}

// Parses a JSON object; "" on success, else the reason.
std::string ParseObject(std::string_view json, rapidjson::Document& doc) {
  doc.Parse<kJsonFlags>(json.data(), json.size());
  if (doc.HasParseError()) {
    return std::string("invalid JSON (") + rapidjson::GetParseError_En(doc.GetParseError()) + ")";
  }
  if (!doc.IsObject()) return "not a JSON object";
  if (HasDuplicateMembers(doc)) return "duplicate JSON member";
  return "";
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string StringOf(const rapidjson::Value& value) {
  return std::string(value.GetString(), value.GetStringLength());
}

// A NumericDate (seconds since the epoch, possibly fractional); nullopt when not a number.
std::optional<std::int64_t> NumericDate(const rapidjson::Value& value) {
  if (value.IsInt64()) return value.GetInt64();
  if (!value.IsNumber()) return std::nullopt;
  double d = value.GetDouble();
  // Beyond +-2^62 s nothing is meaningful; it also keeps the arithmetic below from overflowing.
  if (!std::isfinite(d) || std::fabs(d) > 4.6e18) return std::nullopt;
  return static_cast<std::int64_t>(std::floor(d));
}

JwtStatus Fail(AuthError error, std::string reason) { return JwtStatus{error, std::move(reason)}; }

}  // namespace

// ---- errors -------------------------------------------------------------------------------------

// AuthError's names; one entry per enumerator.
constexpr std::array<encoding::EnumName<AuthError>, 15> kAuthErrorNames = {{
    {AuthError::kOk, "ok"},
    {AuthError::kMissingToken, "missing_token"},
    {AuthError::kBadScheme, "bad_scheme"},
    {AuthError::kMalformedToken, "malformed_token"},
    {AuthError::kUnsupportedAlg, "unsupported_alg"},
    {AuthError::kMissingKid, "missing_kid"},
    {AuthError::kUnknownKid, "unknown_kid"},
    {AuthError::kBadSignature, "bad_signature"},
    {AuthError::kExpired, "expired"},
    {AuthError::kNotYetValid, "not_yet_valid"},
    {AuthError::kWrongIssuer, "wrong_issuer"},
    {AuthError::kWrongAudience, "wrong_audience"},
    {AuthError::kWrongTokenUse, "wrong_token_use"},
    {AuthError::kMissingClaim, "missing_claim"},
    {AuthError::kKeysUnavailable, "keys_unavailable"},
}};
static_assert(kAuthErrorNames.back().value == AuthError::kKeysUnavailable);

std::string_view AuthErrorName(AuthError error) {
  return encoding::NameOf(kAuthErrorNames, error, "unknown");
}

int AuthErrorHttpStatus(AuthError error) {
  if (error == AuthError::kOk) return 200;
  return error == AuthError::kKeysUnavailable ? 503 : 401;
}

// ---- base64url ----------------------------------------------------------------------------------

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    unsigned v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // no byte count encodes to this
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, so every byte string has exactly one encoding.
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

// ---- RsaKey -------------------------------------------------------------------------------------

RsaKey::RsaKey(std::shared_ptr<evp_pkey_st> key, bool has_private)
    : key_(std::move(key)), has_private_(has_private) {}

RsaKey RsaKey::FromPem(std::string_view pem) {
  auto read = [&](bool private_key) -> EVP_PKEY* {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return nullptr;
    return private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                       : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  };
  bool has_private = true;
  EVP_PKEY* key = read(true);
  if (key == nullptr) {
    ERR_clear_error();
    has_private = false;
    key = read(false);
  }
  if (key == nullptr) {
    ERR_clear_error();
    throw std::invalid_argument("not a PEM private or public key");
  }
  auto owned = Own(key);
  CheckRsa(key);
  return RsaKey(std::move(owned), has_private);
}

RsaKey RsaKey::FromJwkComponents(std::string_view n_b64url, std::string_view e_b64url) {
  std::optional<std::string> n = Base64UrlDecode(n_b64url);
  std::optional<std::string> e = Base64UrlDecode(e_b64url);
  if (!n || n->empty()) throw std::invalid_argument("\"n\" is not base64url");
  if (!e || e->empty() || e->size() > 8) throw std::invalid_argument("\"e\" is not base64url");
  BnPtr n_bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                       static_cast<int>(n->size()), nullptr));
  BnPtr e_bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                       static_cast<int>(e->size()), nullptr));
  if (!n_bn || !e_bn) throw std::runtime_error("BN_bin2bn failed: " + OpenSslError());
  if (!BN_is_odd(e_bn.get()) || BN_is_one(e_bn.get())) {
    throw std::invalid_argument("\"e\" is not a valid RSA exponent");
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
    throw std::runtime_error("cannot build RSA parameters: " + OpenSslError());
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(builder.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw std::invalid_argument("not a usable RSA public key: " + OpenSslError());
  }
  auto owned = Own(key);
  CheckRsa(key);
  return RsaKey(std::move(owned), false);
}

RsaKey RsaKey::Generate(int bits) {
  if (bits < kMinRsaBits) throw std::invalid_argument("RSA keys need at least 2048 bits");
  EVP_PKEY* key = EVP_RSA_gen(static_cast<unsigned>(bits));
  if (key == nullptr) throw std::runtime_error("RSA key generation failed: " + OpenSslError());
  return RsaKey(Own(key), true);
}

int RsaKey::bits() const { return EVP_PKEY_get_bits(key_.get()); }

std::string RsaKey::PrivatePem() const {
  if (!has_private_) throw std::logic_error("RsaKey::PrivatePem on a public key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot write the private key: " + OpenSslError());
  }
  return BioContents(bio.get());
}

std::string RsaKey::PublicPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    throw std::runtime_error("cannot write the public key: " + OpenSslError());
  }
  return BioContents(bio.get());
}

std::string RsaKey::ModulusB64Url() const {
  return BignumParamB64Url(key_.get(), OSSL_PKEY_PARAM_RSA_N);
}

std::string RsaKey::ExponentB64Url() const {
  return BignumParamB64Url(key_.get(), OSSL_PKEY_PARAM_RSA_E);
}

std::string RsaKey::Thumbprint() const {
  // RFC 7638: the required members in lexicographic order, no whitespace.
  std::string canonical =
      "{\"e\":\"" + ExponentB64Url() + "\",\"kty\":\"RSA\",\"n\":\"" + ModulusB64Url() + "\"}";
  return Base64UrlEncode(Sha256(canonical));
}

bool RsaKey::VerifyRs256(std::string_view signing_input, std::string_view signature) const {
  if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()))) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();  // a failed verification queues errors nobody will read
  return ok;
}

std::string RsaKey::SignRs256(std::string_view signing_input) const {
  if (!has_private_) throw std::logic_error("RsaKey::SignRs256 on a public key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw std::runtime_error("RS256 signing failed: " + OpenSslError());
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw std::runtime_error("RS256 signing failed: " + OpenSslError());
  }
  signature.resize(size);
  return signature;
}

// ---- parsing and claims -------------------------------------------------------------------------

JwtStatus ParseJwt(std::string_view token, ParsedJwt& out) {
  if (token.empty()) return Fail(AuthError::kMalformedToken, "empty token");
  if (token.size() > kMaxTokenBytes) {
    return Fail(AuthError::kMalformedToken,
                "token longer than " + std::to_string(kMaxTokenBytes) + " bytes");
  }
  std::size_t first = token.find('.');
  std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Fail(AuthError::kMalformedToken, "a JWT has exactly three dot-separated segments");
  }
  std::string_view header_b64 = token.substr(0, first);
  std::string_view payload_b64 = token.substr(first + 1, second - first - 1);
  std::string_view signature_b64 = token.substr(second + 1);

  std::optional<std::string> header = Base64UrlDecode(header_b64);
  std::optional<std::string> payload = Base64UrlDecode(payload_b64);
  std::optional<std::string> signature = Base64UrlDecode(signature_b64);
  if (!header || !payload || !signature) {
    return Fail(AuthError::kMalformedToken, "a token segment is not base64url");
  }

  rapidjson::Document header_doc;
  if (std::string why = ParseObject(*header, header_doc); !why.empty()) {
    return Fail(AuthError::kMalformedToken, "token header: " + why);
  }
  const rapidjson::Value* alg = Member(header_doc, "alg");
  if (alg == nullptr || !alg->IsString()) {
    return Fail(AuthError::kMalformedToken, "token header has no \"alg\"");
  }
  if (StringOf(*alg) != "RS256") {
    // Never let the token pick the algorithm: "none" and HS256-with-the-public-key end here.
    return Fail(AuthError::kUnsupportedAlg, "token algorithm must be RS256");
  }
  if (Member(header_doc, "crit") != nullptr) {
    return Fail(AuthError::kMalformedToken, "token header has unsupported \"crit\" extensions");
  }
  const rapidjson::Value* kid = Member(header_doc, "kid");
  if (kid == nullptr || !kid->IsString() || kid->GetStringLength() == 0) {
    return Fail(AuthError::kMissingKid, "token header has no \"kid\"");
  }

  rapidjson::Document payload_doc;
  if (std::string why = ParseObject(*payload, payload_doc); !why.empty()) {
    return Fail(AuthError::kMalformedToken, "token payload: " + why);
  }
  if (signature->empty()) return Fail(AuthError::kBadSignature, "token has no signature");

  out.kid = StringOf(*kid);
  out.signing_input = std::string(token.substr(0, second));
  out.signature = std::move(*signature);
  out.payload_json = std::move(*payload);
  return {};
}

JwtStatus CheckClaims(std::string_view payload_json, const JwtExpectations& expect,
                      std::chrono::system_clock::time_point now, JwtClaims& out) {
  rapidjson::Document doc;
  if (std::string why = ParseObject(payload_json, doc); !why.empty()) {
    return Fail(AuthError::kMalformedToken, "token payload: " + why);
  }
  JwtClaims claims;
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t leeway = expect.leeway.count();

  auto string_claim = [&](const char* name, std::string& value) {
    const rapidjson::Value* v = Member(doc, name);
    if (v == nullptr || !v->IsString()) return false;
    value = StringOf(*v);
    return true;
  };
  auto date_claim = [&](const char* name, std::optional<std::int64_t>& value) {
    const rapidjson::Value* v = Member(doc, name);
    if (v == nullptr) return true;  // absent is fine; the caller decides if it is required
    value = NumericDate(*v);
    return value.has_value();
  };

  std::optional<std::int64_t> exp;
  if (!date_claim("exp", exp) || !exp) {
    return Fail(AuthError::kMissingClaim, "token has no numeric \"exp\"");
  }
  claims.exp = *exp;
  if (!date_claim("nbf", claims.nbf)) return Fail(AuthError::kMissingClaim, "\"nbf\" not numeric");
  if (!date_claim("iat", claims.iat)) return Fail(AuthError::kMissingClaim, "\"iat\" not numeric");
  if (now_s > claims.exp + leeway) return Fail(AuthError::kExpired, "token has expired");
  if (claims.nbf && *claims.nbf > now_s + leeway) {
    return Fail(AuthError::kNotYetValid, "token is not valid yet (nbf)");
  }
  if (claims.iat && *claims.iat > now_s + leeway) {
    return Fail(AuthError::kNotYetValid, "token was issued in the future (iat)");
  }

  if (!string_claim("iss", claims.iss)) {
    return Fail(AuthError::kMissingClaim, "token has no \"iss\"");
  }
  if (claims.iss != expect.issuer) return Fail(AuthError::kWrongIssuer, "token issuer not trusted");

  if (!string_claim("token_use", claims.token_use)) {
    return Fail(AuthError::kMissingClaim, "token has no \"token_use\"");
  }
  if (claims.token_use == "access" && expect.accept_access_tokens) {
    if (!string_claim("client_id", claims.client_id) || claims.client_id != expect.client_id) {
      return Fail(AuthError::kWrongAudience, "token was issued to another client");
    }
    string_claim("username", claims.username);
  } else if (claims.token_use == "id" && expect.accept_id_tokens) {
    // RFC 7519: aud is one string or an array of strings.
    const rapidjson::Value* aud = Member(doc, "aud");
    bool match = false;
    if (aud != nullptr && aud->IsString()) {
      match = StringOf(*aud) == expect.client_id;
    } else if (aud != nullptr && aud->IsArray()) {
      for (const auto& entry : aud->GetArray()) {
        match = match || (entry.IsString() && StringOf(entry) == expect.client_id);
      }
    }
    if (!match) return Fail(AuthError::kWrongAudience, "token was issued to another client");
    claims.aud = expect.client_id;
    string_claim("cognito:username", claims.username);
  } else {
    return Fail(AuthError::kWrongTokenUse, "token_use must be \"access\" or \"id\"");
  }

  if (!string_claim("sub", claims.sub) || claims.sub.empty()) {
    return Fail(AuthError::kMissingClaim, "token has no \"sub\"");
  }
  out = std::move(claims);
  return {};
}

std::string SignJwt(const RsaKey& key, std::string_view kid, std::string_view payload_json) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("kid");
  writer.String(kid.data(), static_cast<rapidjson::SizeType>(kid.size()));
  writer.Key("alg");
  writer.String("RS256");
  writer.EndObject();
  std::string signing_input =
      Base64UrlEncode(std::string_view(buffer.GetString(), buffer.GetSize())) + "." +
      Base64UrlEncode(payload_json);
  std::string signature = key.SignRs256(signing_input);
  return signing_input + "." + Base64UrlEncode(signature);
}

}  // namespace cruddur::api
