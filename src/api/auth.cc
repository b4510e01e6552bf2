#include "api/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <utility>

#include "cruddur/users.h"
#include "cruddur/uuid.h"

namespace cruddur::api {

namespace fs = std::filesystem;

namespace {

AuthResult Failure(AuthError error, std::string reason, std::string detail = "") {
  AuthResult result;
  result.error = error;
  result.reason = std::move(reason);
  result.detail = std::move(detail);
  return result;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Region and pool ids end up in a URL: allow only the characters AWS uses in them.
bool IsSafeIdentifier(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::system_error SystemError(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

// Reads the whole key file; refuses files others could read (like ssh does).
std::string ReadKeyFile(int fd, const fs::path& path) {
  struct stat st {};
  if (fstat(fd, &st) != 0) throw SystemError("cannot stat " + path.string());
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(path.string() + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    throw std::runtime_error(path.string() + " is readable by other users: chmod 600 it");
  }
  if (st.st_size > 64 * 1024) throw std::runtime_error(path.string() + " is too large");
  std::string pem(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < pem.size()) {
    ssize_t n = read(fd, pem.data() + done, pem.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("cannot read " + path.string());
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  pem.resize(done);
  return pem;
}

void WriteAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("cannot write " + path.string());
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Writes `pem` to a private temporary file, then links it into place: link() fails if another
// process got there first, so every process ends up using the same key. Returns false when the
// file already existed.
bool PublishNewKey(const fs::path& path, const std::string& pem) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(getpid()) + "." + NewUuidV4();
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw SystemError("cannot create " + tmp.string());
  try {
    WriteAll(fd, pem, tmp);
    if (fsync(fd) != 0) throw SystemError("cannot sync " + tmp.string());
  } catch (...) {
    close(fd);
    unlink(tmp.c_str());
    throw;
  }
  close(fd);
  if (link(tmp.c_str(), path.c_str()) == 0) {
    unlink(tmp.c_str());
    return true;
  }
  int error = errno;
  if (error == EEXIST) {
    unlink(tmp.c_str());
    return false;
  }
  // Some filesystems have no hard links: fall back to rename (last writer wins).
  if (rename(tmp.c_str(), path.c_str()) == 0) return true;
  error = errno;
  unlink(tmp.c_str());
  throw std::system_error(error, std::generic_category(), "cannot create " + path.string());
}

std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

// ---- AuthResult / bearer ------------------------------------------------------------------------

std::string AuthResult::WwwAuthenticate() const {
  std::string value = "Bearer realm=\"cruddur\"";
  if (error == AuthError::kMissingToken || error == AuthError::kOk) return value;
  value +=
      error == AuthError::kBadScheme ? ", error=\"invalid_request\"" : ", error=\"invalid_token\"";
  value += ", error_description=\"" + Escape(reason) + "\"";
  return value;
}

AuthResult ExtractBearerToken(std::string_view header, std::string_view& token) {
  while (!header.empty() && IsBlank(header.front())) header.remove_prefix(1);
  while (!header.empty() && IsBlank(header.back())) header.remove_suffix(1);
  if (header.empty()) return Failure(AuthError::kMissingToken, "authentication required");
  std::size_t space = 0;
  while (space < header.size() && !IsBlank(header[space])) ++space;
  std::string_view scheme = header.substr(0, space);
  std::string_view rest = header.substr(space);
  while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
  static constexpr std::string_view kBearer = "bearer";
  bool is_bearer = scheme.size() == kBearer.size();
  for (std::size_t i = 0; is_bearer && i < scheme.size(); ++i) {
    char c = scheme[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    is_bearer = c == kBearer[i];
  }
  if (!is_bearer) {
    return Failure(AuthError::kBadScheme, "the Authorization header must be \"Bearer <token>\"");
  }
  if (rest.empty()) return Failure(AuthError::kBadScheme, "the Authorization header has no token");
  for (char c : rest) {
    if (IsBlank(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Failure(AuthError::kBadScheme,
                     "the Authorization header must be \"Bearer <token>\", with one token");
    }
  }
  token = rest;
  return {};
}

// ---- JwtAuthenticator ---------------------------------------------------------------------------

JwtAuthenticator::JwtAuthenticator(std::shared_ptr<KeyProvider> keys, JwtExpectations expect,
                                   Clock now, std::size_t cache_size)
    : keys_(std::move(keys)),
      expect_(std::move(expect)),
      now_(std::move(now)),
      cache_size_(cache_size) {}

AuthResult JwtAuthenticator::Authenticate(std::string_view authorization_header) {
  std::string_view token;
  AuthResult result = ExtractBearerToken(authorization_header, token);
  if (!result.ok()) return result;
  return AuthenticateToken(token);
}

std::size_t JwtAuthenticator::cached_tokens() const {
  MutexLock lock(cache_mutex_);
  return cache_.size();
}

std::optional<Identity> JwtAuthenticator::FromCache(std::string_view token, std::int64_t now_s) {
  const std::string key(token);
  std::string kid;
  const evp_pkey_st* verified_with = nullptr;
  {
    MutexLock lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it == cache_.end()) return std::nullopt;
    // Expired: full verification gives the precise 401.
    if (now_s > it->second.exp + expect_.leeway.count()) {
      cache_.erase(it);
      return std::nullopt;
    }
    kid = it->second.kid;
    verified_with = it->second.key.get();
  }
  // Outside the lock: a JwksProvider may reload here. The key must still be the one that
  // verified the token (a rotation that drops the kid, or any reload, means verify again).
  KeyLookup lookup = keys_->Find(kid);
  MutexLock lock(cache_mutex_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  if (!lookup.error.empty() || !lookup.key || lookup.key->get() != verified_with ||
      it->second.key.get() != verified_with) {
    cache_.erase(it);
    return std::nullopt;
  }
  return it->second.identity;
}

AuthResult JwtAuthenticator::AuthenticateToken(std::string_view token) {
  const std::chrono::system_clock::time_point now = now_();
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (cache_size_ > 0 && token.size() <= kMaxTokenBytes) {
    if (std::optional<Identity> identity = FromCache(token, now_s)) {
      AuthResult result;
      result.identity = std::move(*identity);
      return result;
    }
  }
  return Verify(token, now);
}

AuthResult JwtAuthenticator::Verify(std::string_view token,
                                    std::chrono::system_clock::time_point now) {
  try {
    ParsedJwt parsed;
    if (JwtStatus status = ParseJwt(token, parsed); !status.ok()) {
      return Failure(status.error, std::move(status.reason));
    }
    KeyLookup lookup = keys_->Find(parsed.kid);
    if (!lookup.error.empty()) {
      return Failure(AuthError::kKeysUnavailable, "the token signing keys are unavailable",
                     std::move(lookup.error));
    }
    if (!lookup.key) return Failure(AuthError::kUnknownKid, "token signed by an unknown key");
    if (!lookup.key->VerifyRs256(parsed.signing_input, parsed.signature)) {
      return Failure(AuthError::kBadSignature, "token signature is invalid");
    }
    JwtClaims claims;
    if (JwtStatus status = CheckClaims(parsed.payload_json, expect_, now, claims); !status.ok()) {
      return Failure(status.error, std::move(status.reason));
    }
    AuthResult result;
    result.identity.sub = std::move(claims.sub);
    result.identity.username = std::move(claims.username);
    result.identity.token_use = std::move(claims.token_use);
    if (cache_size_ > 0) {
      CachedToken entry{result.identity, claims.exp, std::move(parsed.kid), std::move(*lookup.key)};
      MutexLock lock(cache_mutex_);
      if (cache_.size() >= cache_size_) cache_.clear();  // simple bound; refills from traffic
      cache_.insert_or_assign(std::string(token), std::move(entry));
    }
    return result;
  } catch (const std::exception& e) {
    // Nothing above should throw for bad input; if something does, it is still the token's 401.
    return Failure(AuthError::kMalformedToken, "token could not be processed", e.what());
  }
}

// ---- development key ----------------------------------------------------------------------------

DevSigningKey::DevSigningKey(RsaKey key) : key_(std::move(key)), kid_(key_.Thumbprint()) {
  if (!key_.has_private()) throw std::invalid_argument("the signing key has no private part");
}

DevSigningKey DevSigningKey::LoadOrCreate(const fs::path& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) throw std::runtime_error("cannot create " + data_dir.string() + ": " + ec.message());
  const fs::path path = data_dir / kDevSigningKeyFile;
  for (int attempt = 0; attempt < 3; ++attempt) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      std::string pem;
      try {
        pem = ReadKeyFile(fd, path);
      } catch (...) {
        close(fd);
        throw;
      }
      close(fd);
      try {
        return DevSigningKey(RsaKey::FromPem(pem));
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path.string() + ": not a usable RSA private key (" + e.what() +
                                 ")");
      }
    }
    if (errno != ENOENT) throw SystemError("cannot open " + path.string());
    RsaKey key = RsaKey::Generate(2048);
    if (PublishNewKey(path, key.PrivatePem())) return DevSigningKey(std::move(key));
    // Another process created it first: loop and load theirs.
  }
  throw std::runtime_error("cannot load or create " + path.string());
}

JwkSet DevSigningKey::PublicJwks() const {
  JwkSet set;
  set.Add(kid_, key_);
  return set;
}

std::string DevSigningKey::MintToken(std::string_view sub, std::string_view username,
                                     std::chrono::seconds ttl,
                                     std::chrono::system_clock::time_point now) const {
  if (sub.empty()) throw std::invalid_argument("a token needs a sub");
  if (ttl.count() <= 0) throw std::invalid_argument("a token's lifetime must be positive");
  const std::int64_t iat =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&](const char* name, std::string_view value) {
    writer.Key(name);
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  auto number = [&](const char* name, std::int64_t value) {
    writer.Key(name);
    writer.Int64(value);
  };
  // The claims (and their order) of a Cognito access token.
  writer.StartObject();
  string("sub", sub);
  string("iss", kDevIssuer);
  string("client_id", kDevClientId);
  string("origin_jti", NewUuidV4());
  string("token_use", "access");
  string("scope", "aws.cognito.signin.user.admin");
  number("auth_time", iat);
  number("exp", iat + ttl.count());
  number("iat", iat);
  string("jti", NewUuidV4());
  string("username", username);
  writer.EndObject();
  return SignJwt(key_, kid_, std::string_view(buffer.GetString(), buffer.GetSize()));
}

JwtExpectations DevExpectations() {
  JwtExpectations expect;
  expect.issuer = std::string(kDevIssuer);
  expect.client_id = std::string(kDevClientId);
  return expect;
}

// ---- configuration ------------------------------------------------------------------------------

AuthConfig AuthConfig::FromEnvironment(fs::path data_dir, std::string jwks_source) {
  AuthConfig config;
  config.data_dir = std::move(data_dir);
  config.jwks_source = std::move(jwks_source);
  config.user_pool_id = Env("AWS_COGNITO_USER_POOL_ID");
  if (config.user_pool_id.empty()) return config;
  config.mode = Mode::kCognito;
  config.client_id = Env("AWS_COGNITO_USER_POOL_CLIENT_ID");
  // A pool id is "<region>_<id>": the pool's own region beats whatever region the shell has.
  std::size_t underscore = config.user_pool_id.find('_');
  if (underscore != std::string::npos && underscore > 0) {
    config.region = config.user_pool_id.substr(0, underscore);
  } else {
    config.region = Env("AWS_REGION");
    if (config.region.empty()) config.region = Env("AWS_DEFAULT_REGION");
  }
  return config;
}

void AuthConfig::Validate() const {
  if (mode == Mode::kDevelopment) {
    if (data_dir.empty()) throw std::invalid_argument("development auth needs a data dir");
    return;
  }
  if (!IsSafeIdentifier(user_pool_id)) {
    throw std::invalid_argument("AWS_COGNITO_USER_POOL_ID '" + user_pool_id +
                                "' is not a user pool id");
  }
  if (client_id.empty()) {
    throw std::invalid_argument(
        "AWS_COGNITO_USER_POOL_CLIENT_ID must be set when AWS_COGNITO_USER_POOL_ID is");
  }
  if (!IsSafeIdentifier(region)) {
    throw std::invalid_argument("no AWS region for the Cognito user pool (set AWS_REGION)");
  }
}

std::string AuthConfig::Issuer() const { return CognitoIssuer(region, user_pool_id); }

std::string AuthConfig::JwksSource() const {
  return jwks_source.empty() ? CognitoJwksUrl(region, user_pool_id) : jwks_source;
}

std::unique_ptr<Authenticator> MakeAuthenticator(const AuthConfig& config) {
  config.Validate();
  if (config.mode == AuthConfig::Mode::kDevelopment) {
    DevSigningKey key = DevSigningKey::LoadOrCreate(config.data_dir);
    JwtExpectations expect = DevExpectations();
    expect.leeway = config.leeway;
    return std::make_unique<JwtAuthenticator>(std::make_shared<StaticKeyProvider>(key.PublicJwks()),
                                              std::move(expect));
  }
  JwtExpectations expect;
  expect.issuer = config.Issuer();
  expect.client_id = config.client_id;
  expect.leeway = config.leeway;
  std::shared_ptr<KeyProvider> keys = JwksProvider::FromSource(config.JwksSource());
  return std::make_unique<JwtAuthenticator>(std::move(keys), std::move(expect));
}

std::optional<DevToken> MintDevToken(UserStore& users, const DevSigningKey& key,
                                     std::string_view handle, std::chrono::seconds ttl) {
  if (!handle.empty() && handle.front() == '@') handle.remove_prefix(1);
  std::optional<User> user = users.FindByHandle(handle);
  if (!user) return std::nullopt;
  DevToken out;
  out.handle = user->handle;
  const std::string& current = user->cognito_user_id;
  constexpr std::string_view kMockCognitoUserId = "MOCK";  // the seed's: identifies nobody
  if (!current.empty() && current != kMockCognitoUserId) {
    int holders = 0;  // a development database is small: a scan is fine
    for (const User& other : users.ListUsers()) holders += other.cognito_user_id == current;
    if (holders == 1) out.sub = current;
  }
  if (out.sub.empty()) {
    out.sub = NewUuidV4();
    if (!users.UpdateCognitoUserId(user->handle, out.sub)) {
      throw std::runtime_error("user " + user->handle +
                               " disappeared while assigning a cognito_user_id");
    }
    out.sub_assigned = true;
    out.previous_sub = current;
  }
  out.token = key.MintToken(out.sub, user->handle, ttl);
  return out;
}

}  // namespace cruddur::api
