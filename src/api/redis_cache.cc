#include "api/redis_cache.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <stdexcept>

#include "encoding/percent.h"
#include "encoding/url.h"

namespace cruddur::api {
namespace {

// Sends one command with binary-safe arguments; the reply, or null when the connection broke.
redisReply* SendCommand(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
}

std::string PercentDecode(std::string_view s) {
  auto out = encoding::PercentDecode(s);
  if (!out) throw std::invalid_argument("bad percent-encoding in the cache URL");
  return std::move(*out);
}

int ParseNumber(std::string_view text, int max, const char* what) {
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > max) {
    throw std::invalid_argument(std::string("bad ") + what + " in the cache URL");
  }
  return value;
}

// Byte-wise "a is newer than b" for message times: Redis's Lua compares strings with strcoll,
// whose order depends on the server's locale.
constexpr const char* kNewerFunction = R"(
local function newer(a, b)
  if a == b then return false end
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end
)";

// KEYS: unread hash, seen hash. ARGV: group, message time. Returns 1 when counted.
const std::string kCountScript = std::string(kNewerFunction) + R"(
local seen = redis.call('HGET', KEYS[2], ARGV[1])
if seen and not newer(ARGV[2], seen) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
)";

// KEYS: unread hash, seen hash. ARGV: group, time seen through ("" = unknown).
const std::string kResetScript = std::string(kNewerFunction) + R"(
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  local seen = redis.call('HGET', KEYS[2], ARGV[1])
  if not seen or newer(ARGV[2], seen) then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
end
return 1
)";

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::int64_t NowTicks() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

}  // namespace

RedisUrl ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) {
    throw std::invalid_argument("the cache URL must start with redis:// (TLS is not supported)");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisUrl out;
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path =
      rest.find('/') == std::string_view::npos ? std::string_view() : rest.substr(rest.find('/'));
  encoding::Authority parts = encoding::SplitAuthority(authority);
  if (parts.userinfo) {
    std::string_view userinfo = *parts.userinfo;
    std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      out.password = PercentDecode(userinfo);  // redis://secret@host: a password alone
    } else {
      out.user = PercentDecode(userinfo.substr(0, colon));
      out.password = PercentDecode(userinfo.substr(colon + 1));
    }
  }
  if (!parts.error.empty()) throw std::invalid_argument("bad host in the cache URL");
  if (!parts.host.empty()) out.host = std::string(parts.host);
  if (parts.port) out.port = ParseNumber(*parts.port, 65535, "port");
  if (path.size() > 1) out.db = ParseNumber(path.substr(1), 1 << 20, "database number");
  return out;
}

struct RedisCache::Connection {
  explicit Connection(redisContext* c) : context(c) {}
  ~Connection() {
    if (context != nullptr) redisFree(context);
  }
  redisContext* context;
};

struct RedisCache::Reply {
  int type = REDIS_REPLY_NIL;
  long long integer = 0;
  std::string str;
  std::vector<std::string> elements;  // string/integer elements of an array
};

RedisCache::RedisCache(RedisUrl url, RedisCacheOptions options)
    : url_(std::move(url)), options_(options) {
  // hiredis writes with write(2): a Redis that died under an open connection would kill the
  // whole process with SIGPIPE. The write then fails with EPIPE instead (CacheUnavailable).
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
}

RedisCache::~RedisCache() = default;

std::string RedisCache::Describe() const {
  bool v6 = url_.host.find(':') != std::string::npos;
  std::string d =
      "redis://" + (v6 ? "[" + url_.host + "]" : url_.host) + ":" + std::to_string(url_.port);
  if (url_.db != 0) d += "/" + std::to_string(url_.db);
  return d;
}

std::unique_ptr<RedisCache::Connection> RedisCache::Connect() {
  if (NowTicks() < down_until_.load()) {
    throw CacheUnavailable("redis " + Describe() + " is unavailable (retrying shortly)");
  }
  auto fail = [&](const std::string& why) {
    down_until_.store(NowTicks() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       options_.retry_after)
                                       .count());
    return CacheUnavailable("redis " + Describe() + ": " + why);
  };
  redisContext* c =
      redisConnectWithTimeout(url_.host.c_str(), url_.port, ToTimeval(options_.timeout));
  if (c == nullptr) throw fail("cannot allocate a connection");
  auto conn = std::make_unique<Connection>(c);
  if (c->err != 0) throw fail(c->errstr);
  redisSetTimeout(c, ToTimeval(options_.timeout));
  redisEnableKeepAlive(c);
  auto setup = [&](std::vector<std::string> args) {
    redisReply* r = SendCommand(c, args);
    if (r == nullptr) throw fail(c->errstr);
    std::string error = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "";
    freeReplyObject(r);
    if (!error.empty()) throw fail(args[0] + ": " + error);
  };
  if (!url_.password.empty()) {
    if (url_.user.empty()) {
      setup({"AUTH", url_.password});
    } else {
      setup({"AUTH", url_.user, url_.password});
    }
  }
  if (url_.db != 0) setup({"SELECT", std::to_string(url_.db)});
  return conn;
}

std::unique_ptr<RedisCache::Connection> RedisCache::Acquire() {
  {
    MutexLock lock(mutex_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return Connect();
}

void RedisCache::Release(std::unique_ptr<Connection> connection) {
  MutexLock lock(mutex_);
  if (idle_.size() < options_.max_idle) idle_.push_back(std::move(connection));
}

RedisCache::Reply RedisCache::Command(const std::vector<std::string>& args) {
  std::unique_ptr<Connection> conn = Acquire();
  redisReply* r = SendCommand(conn->context, args);
  if (r == nullptr) {
    // The connection is broken (closed, timed out): drop it, and every idle one with it, since
    // they most likely share its fate.
    std::string why = conn->context->errstr;
    {
      MutexLock lock(mutex_);
      idle_.clear();
    }
    throw CacheUnavailable("redis " + Describe() + ": " + why);
  }
  Reply out;
  out.type = r->type;
  out.integer = r->integer;
  if (r->str != nullptr) out.str.assign(r->str, r->len);
  for (std::size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    out.elements.push_back(e->type == REDIS_REPLY_INTEGER ? std::to_string(e->integer)
                           : e->str != nullptr            ? std::string(e->str, e->len)
                                                          : std::string());
  }
  freeReplyObject(r);
  Release(std::move(conn));  // an error reply leaves the connection usable
  if (out.type == REDIS_REPLY_ERROR) {
    throw CacheUnavailable("redis " + Describe() + ": " + args[0] + ": " + out.str);
  }
  return out;
}

std::optional<std::string> RedisCache::Get(const std::string& key) {
  Reply r = Command({"GET", key});
  if (r.type != REDIS_REPLY_STRING) return std::nullopt;
  return std::move(r.str);
}

void RedisCache::Set(const std::string& key, const std::string& value, std::chrono::seconds ttl) {
  Command({"SET", key, value, "EX", std::to_string(std::max<long long>(ttl.count(), 1))});
}

void RedisCache::Delete(const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  std::vector<std::string> args{"DEL"};
  args.insert(args.end(), keys.begin(), keys.end());
  Command(args);
}

bool RedisCache::CountUnread(const std::string& user, const std::string& group,
                             const std::string& sent_at) {
  Reply r = Command({"EVAL", kCountScript, "2", prefix_ + "unread:" + user,
                     prefix_ + "unread-seen:" + user, group, sent_at});
  return r.type == REDIS_REPLY_INTEGER && r.integer == 1;
}

void RedisCache::ResetUnread(const std::string& user, const std::string& group,
                             const std::string& seen_through) {
  Command({"EVAL", kResetScript, "2", prefix_ + "unread:" + user, prefix_ + "unread-seen:" + user,
           group, seen_through});
}

std::map<std::string, std::int64_t> RedisCache::Unread(const std::string& user) {
  Reply r = Command({"HGETALL", prefix_ + "unread:" + user});
  std::map<std::string, std::int64_t> out;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    std::int64_t n = std::strtoll(r.elements[i + 1].c_str(), nullptr, 10);
    if (n > 0) out.emplace(r.elements[i], n);
  }
  return out;
}

std::unique_ptr<Cache> MakeCache(std::string_view url) {
  if (url.empty() || url == "memory") return std::make_unique<MemoryCache>();
  return std::make_unique<RedisCache>(ParseRedisUrl(url));
}

}  // namespace cruddur::api
