// The API's cache: string values with a time to live, and the per-user unread-message counters
// the original began with Momento (original-system.md, section 7). Two implementations: an
// in-process MemoryCache (the default) and RedisCache (redis_cache.h, CACHE_URL=redis://...).
//
// The cache is never the source of truth: MessageCache (message_cache.h) reads through it and
// falls back to the store when it fails. Every method of a remote cache may throw
// CacheUnavailable; MemoryCache never throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/thread_annotations.h"

namespace cruddur::api {

// The cache cannot be reached (connection refused, timeout, protocol error).
class CacheUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Cache {
 public:
  virtual ~Cache() = default;

  // The value stored under `key`, or nullopt when absent or expired.
  virtual std::optional<std::string> Get(const std::string& key) = 0;
  // Stores `value` under `key` for `ttl` (at least one second).
  virtual void Set(const std::string& key, const std::string& value, std::chrono::seconds ttl) = 0;
  // Removes the keys (absent ones are ignored).
  virtual void Delete(const std::vector<std::string>& keys) = 0;

  // Unread counters, per user and group. A message counts once: only when its time `sent_at`
  // is newer than the newest message counted (or seen) for that user and group, so replaying
  // a stream never counts twice. Returns true when it was counted. Atomic.
  virtual bool CountUnread(const std::string& user, const std::string& group,
                           const std::string& sent_at) = 0;
  // The user read the group up to `seen_through` (a message time; "" = unknown): the count goes
  // back to 0 and messages up to that time will not be counted later. Atomic.
  virtual void ResetUnread(const std::string& user, const std::string& group,
                           const std::string& seen_through) = 0;
  // The user's non-zero counts by group.
  virtual std::map<std::string, std::int64_t> Unread(const std::string& user) = 0;

  // "memory" or "redis://host:port" (never the password), for logs and the start line.
  virtual std::string Describe() const = 0;
};

// Thread-safe, bounded: at most `max_entries` values, the least recently used dropped first;
// expired values are dropped when met. Counters are kept apart from the values and are not
// evicted (one small record per user and group that received a message).
class MemoryCache : public Cache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit MemoryCache(std::size_t max_entries = 10000, Clock clock = nullptr);

  std::optional<std::string> Get(const std::string& key) override;
  void Set(const std::string& key, const std::string& value, std::chrono::seconds ttl) override;
  void Delete(const std::vector<std::string>& keys) override;
  bool CountUnread(const std::string& user, const std::string& group,
                   const std::string& sent_at) override;
  void ResetUnread(const std::string& user, const std::string& group,
                   const std::string& seen_through) override;
  std::map<std::string, std::int64_t> Unread(const std::string& user) override;
  std::string Describe() const override { return "memory"; }

  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  struct Counter {
    std::int64_t count = 0;
    std::string newest;  // the newest message time counted or seen
  };

  std::chrono::steady_clock::time_point Now() const;
  void EraseLocked(std::unordered_map<std::string, std::list<Entry>::iterator>::iterator it)
      REQUIRES(mutex_);

  const std::size_t max_entries_;
  const Clock clock_;
  mutable Mutex mutex_;
  std::list<Entry> lru_ GUARDED_BY(mutex_);  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_ GUARDED_BY(mutex_);
  std::map<std::string, std::map<std::string, Counter>> counters_ GUARDED_BY(mutex_);
};

// "" -> MemoryCache; "redis://[[user]:password@]host[:port][/db]" -> RedisCache (connects
// lazily: a Redis that is down at start does not stop the server). Throws std::invalid_argument
// for any other URL.
std::unique_ptr<Cache> MakeCache(std::string_view url);

}  // namespace cruddur::api
