// The Cache on a Redis server, through hiredis (CACHE_URL=redis://...).
//
// Values are plain strings with SET ... EX; the unread counters of a user are two hashes,
// "<prefix>unread:<user>" (group -> count) and "<prefix>unread-seen:<user>" (group -> newest
// message time counted or seen), changed together by small Lua scripts so that concurrent
// consumers and readers cannot interleave.
//
// Connections: a small pool, one connection per concurrent caller, idle ones kept. Every
// command has a timeout; after a failure no connection is attempted for `retry_after`, so an
// outage costs callers nothing but a CacheUnavailable (they fall back to the store).
// Constructing one makes the process ignore SIGPIPE (hiredis writes with plain write(2)).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/cache.h"
#include "common/thread_annotations.h"

struct redisContext;

namespace cruddur::api {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // Redis 6 ACL user; "" = the default user
  std::string password;  // "" = no AUTH
  int db = 0;
};

// Parses "redis://[[user]:password@]host[:port][/db]" (percent-decoded user and password,
// "[::1]" for IPv6). Throws std::invalid_argument with the reason.
RedisUrl ParseRedisUrl(std::string_view url);

struct RedisCacheOptions {
  std::chrono::milliseconds timeout{250};       // connect and each command
  std::chrono::milliseconds retry_after{1000};  // no reconnect attempt this soon after a failure
  std::size_t max_idle = 4;                     // idle connections kept
};

class RedisCache : public Cache {
 public:
  explicit RedisCache(RedisUrl url, RedisCacheOptions options = {});
  ~RedisCache() override;
  RedisCache(const RedisCache&) = delete;
  RedisCache& operator=(const RedisCache&) = delete;

  std::optional<std::string> Get(const std::string& key) override;
  void Set(const std::string& key, const std::string& value, std::chrono::seconds ttl) override;
  void Delete(const std::vector<std::string>& keys) override;
  bool CountUnread(const std::string& user, const std::string& group,
                   const std::string& sent_at) override;
  void ResetUnread(const std::string& user, const std::string& group,
                   const std::string& seen_through) override;
  std::map<std::string, std::int64_t> Unread(const std::string& user) override;
  std::string Describe() const override;

  // Unread hashes live under "<prefix>unread:" and "<prefix>unread-seen:" (default "cruddur:").
  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }

 private:
  struct Connection;
  struct Reply;

  // One command on a pooled connection; throws CacheUnavailable on I/O failure or an error
  // reply (the connection is then dropped).
  Reply Command(const std::vector<std::string>& args);
  std::unique_ptr<Connection> Acquire();
  void Release(std::unique_ptr<Connection> connection);
  std::unique_ptr<Connection> Connect();

  const RedisUrl url_;
  const RedisCacheOptions options_;
  std::string prefix_ = "cruddur:";
  Mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(mutex_);
  std::atomic<std::int64_t> down_until_{0};  // steady_clock ticks; no connects before this
};

}  // namespace cruddur::api
