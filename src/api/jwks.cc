#include "api/jwks.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "http/client.h"
#include "http/message.h"

namespace cruddur::api {

namespace {

std::string_view StringOf(const rapidjson::Value& value) {
  return std::string_view(value.GetString(), value.GetStringLength());
}

// The string member `name`, or nullopt when absent or not a string.
std::optional<std::string_view> StringMember(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return StringOf(it->value);
}

bool IsUrl(std::string_view source) {
  return source.starts_with("http://") || source.starts_with("https://");
}

std::string ReadFileLimited(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string data;
  data.resize(limit + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (data.size() > limit) throw std::runtime_error(path + " is too large for a JWKS document");
  return data;
}

// GETs the document with one keep-alive client, created on first use. Only ever called with the
// provider's load mutex held, so the client needs no lock of its own.
JwksProvider::Fetcher UrlFetcher(const std::string& url, const JwksProviderOptions& options) {
  http::Url parsed = http::Url::Parse(url);  // throws std::invalid_argument now, not later
  http::ClientOptions client_options;
  client_options.connect_timeout = options.connect_timeout;
  client_options.request_timeout = options.request_timeout;
  client_options.body_limit = options.max_document_bytes;
  auto client = std::make_shared<std::unique_ptr<http::Client>>();
  return [client, parsed, client_options]() -> std::string {
    if (!*client) *client = std::make_unique<http::Client>(parsed.Origin(), client_options);
    http::Request request;
    request.method = "GET";
    request.target = parsed.target;
    request.headers.Set("Accept", "application/json");
    http::Response response = (*client)->Send(request);
    if (response.status != 200) {
      throw std::runtime_error("GET " + parsed.Origin() + parsed.target + " returned HTTP " +
                               std::to_string(response.status));
    }
    return std::move(response.body);
  };
}

}  // namespace

// ---- JwkSet -------------------------------------------------------------------------------------

JwkSet JwkSet::Parse(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    throw std::invalid_argument(std::string("JWKS is not valid JSON (") +
                                rapidjson::GetParseError_En(doc.GetParseError()) + ")");
  }
  if (!doc.IsObject()) throw std::invalid_argument("JWKS is not a JSON object");
  const rapidjson::Value& root = doc;  // const iterators compare unambiguously under C++20
  auto keys = root.FindMember("keys");
  if (keys == root.MemberEnd() || !keys->value.IsArray()) {
    throw std::invalid_argument("JWKS has no \"keys\" array");
  }
  JwkSet set;
  for (const auto& jwk : keys->value.GetArray()) {
    if (!jwk.IsObject()) continue;
    auto kty = StringMember(jwk, "kty");
    auto kid = StringMember(jwk, "kid");
    auto n = StringMember(jwk, "n");
    auto e = StringMember(jwk, "e");
    if (kty != "RSA" || !kid || kid->empty() || !n || !e) continue;
    if (jwk.HasMember("use") && StringMember(jwk, "use") != "sig") continue;
    if (jwk.HasMember("alg") && StringMember(jwk, "alg") != "RS256") continue;
    if (set.Find(*kid) != nullptr) continue;  // the first key with a kid wins
    try {
      set.Add(std::string(*kid), RsaKey::FromJwkComponents(*n, *e));
    } catch (const std::exception&) {
      // One unusable key must not disable the others.
    }
  }
  return set;
}

void JwkSet::Add(std::string kid, RsaKey key) { keys_.insert_or_assign(std::move(kid), key); }

const RsaKey* JwkSet::Find(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

std::string JwkSet::ToJson() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto field = [&](const char* name, const std::string& value) {
    writer.Key(name);
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  writer.StartObject();
  writer.Key("keys");
  writer.StartArray();
  for (const auto& [kid, key] : keys_) {
    writer.StartObject();  // the member order Cognito uses
    field("alg", "RS256");
    field("e", key.ExponentB64Url());
    field("kid", kid);
    field("kty", "RSA");
    field("n", key.ModulusB64Url());
    field("use", "sig");
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// ---- providers ----------------------------------------------------------------------------------

KeyLookup StaticKeyProvider::Find(std::string_view kid) {
  const RsaKey* key = keys_.Find(kid);
  if (key == nullptr) return {};
  return {*key, ""};
}

JwksProvider::JwksProvider(std::string source, Fetcher fetch, JwksProviderOptions options)
    : source_(std::move(source)), fetch_(std::move(fetch)), options_(std::move(options)) {}

std::unique_ptr<JwksProvider> JwksProvider::FromSource(const std::string& source,
                                                       JwksProviderOptions options) {
  if (IsUrl(source)) {
    Fetcher fetch = UrlFetcher(source, options);
    return std::make_unique<JwksProvider>(source, std::move(fetch), std::move(options));
  }
  if (!source.starts_with("file://") && source.find("://") != std::string::npos) {
    throw std::invalid_argument("unsupported JWKS source '" + source +
                                "' (an http(s):// URL or a file)");
  }
  std::string path = source.starts_with("file://") ? source.substr(7) : source;
  std::size_t limit = options.max_document_bytes;
  return std::make_unique<JwksProvider>(
      source, [path, limit] { return ReadFileLimited(path, limit); }, std::move(options));
}

int JwksProvider::load_attempts() const {
  MutexLock lock(mutex_);
  return load_attempts_;
}

KeyLookup JwksProvider::Find(std::string_view kid) {
  {
    MutexLock lock(mutex_);
    if (keys_) {
      if (const RsaKey* key = keys_->Find(kid)) return {*key, ""};
    }
  }
  MutexLock load(load_mutex_);
  // Another thread may have loaded the key while this one waited for load_mutex_.
  bool known = false;
  {
    MutexLock lock(mutex_);
    known = keys_ && keys_->Find(kid) != nullptr;
  }
  if (!known) MaybeLoad();
  MutexLock lock(mutex_);
  if (keys_) {
    const RsaKey* key = keys_->Find(kid);
    if (key != nullptr) return {*key, ""};
    return {};
  }
  return {std::nullopt, "cannot load the JSON Web Key Set: " + last_error_};
}

namespace {
std::atomic<std::uint64_t> g_loads_succeeded{0};
std::atomic<std::uint64_t> g_loads_failed{0};
}  // namespace

JwksLoadCounts JwksLoads() { return {g_loads_succeeded.load(), g_loads_failed.load()}; }

void JwksProvider::MaybeLoad() {
  {
    MutexLock lock(mutex_);
    auto now = options_.now();
    if (attempted_ && now - last_attempt_ < options_.min_refresh_interval) return;
    attempted_ = true;
    last_attempt_ = now;
    ++load_attempts_;
  }
  try {
    auto keys = std::make_shared<const JwkSet>(JwkSet::Parse(fetch_()));
    MutexLock lock(mutex_);
    keys_ = std::move(keys);
    last_error_.clear();
    ++g_loads_succeeded;
  } catch (const std::exception& e) {
    ++g_loads_failed;
    MutexLock lock(mutex_);
    last_error_ = source_ + ": " + e.what();  // keep the previous keys, if any
  }
}

std::string CognitoIssuer(std::string_view region, std::string_view user_pool_id) {
  return "https://cognito-idp." + std::string(region) + ".amazonaws.com/" +
         std::string(user_pool_id);
}

std::string CognitoJwksUrl(std::string_view region, std::string_view user_pool_id) {
  return CognitoIssuer(region, user_pool_id) + "/.well-known/jwks.json";
}

}  // namespace cruddur::api
