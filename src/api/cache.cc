#include "api/cache.h"

#include <algorithm>

namespace cruddur::api {

MemoryCache::MemoryCache(std::size_t max_entries, Clock clock)
    : max_entries_(std::max<std::size_t>(max_entries, 1)), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point MemoryCache::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

void MemoryCache::EraseLocked(
    std::unordered_map<std::string, std::list<Entry>::iterator>::iterator it) {
  lru_.erase(it->second);
  index_.erase(it);
}

std::optional<std::string> MemoryCache::Get(const std::string& key) {
  MutexLock lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  if (it->second->expires <= Now()) {
    EraseLocked(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void MemoryCache::Set(const std::string& key, const std::string& value, std::chrono::seconds ttl) {
  auto expires = Now() + std::max(ttl, std::chrono::seconds(1));
  MutexLock lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->value = value;
    it->second->expires = expires;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front(Entry{key, value, expires});
  index_[key] = lru_.begin();
  while (lru_.size() > max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void MemoryCache::Delete(const std::vector<std::string>& keys) {
  MutexLock lock(mutex_);
  for (const auto& key : keys) {
    if (auto it = index_.find(key); it != index_.end()) EraseLocked(it);
  }
}

bool MemoryCache::CountUnread(const std::string& user, const std::string& group,
                              const std::string& sent_at) {
  MutexLock lock(mutex_);
  Counter& c = counters_[user][group];
  if (!c.newest.empty() && sent_at <= c.newest) return false;
  c.newest = sent_at;
  ++c.count;
  return true;
}

void MemoryCache::ResetUnread(const std::string& user, const std::string& group,
                              const std::string& seen_through) {
  MutexLock lock(mutex_);
  Counter& c = counters_[user][group];
  c.count = 0;
  if (seen_through > c.newest) c.newest = seen_through;
}

std::map<std::string, std::int64_t> MemoryCache::Unread(const std::string& user) {
  MutexLock lock(mutex_);
  std::map<std::string, std::int64_t> out;
  auto it = counters_.find(user);
  if (it == counters_.end()) return out;
  for (const auto& [group, c] : it->second) {
    if (c.count > 0) out.emplace(group, c.count);
  }
  return out;
}

std::size_t MemoryCache::size() const {
  MutexLock lock(mutex_);
  return lru_.size();
}

}  // namespace cruddur::api
