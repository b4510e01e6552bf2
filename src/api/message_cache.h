// Read-through caching of the messaging API's hot reads, and the unread-message counters, on top
// of a Cache (cache.h). Keys (prefix "cruddur:" by default):
//   groups:<user uuid>      first page of the user's conversations (pattern B), JSON
//   messages:<group uuid>   newest page of a conversation (pattern A), JSON
//   members:<group uuid>    the group's member uuids (the membership check), JSON
//   unread:<user uuid>, unread-seen:<user uuid>   the counters (see Cache::CountUnread)
// Values live `ttl` (a safety net) and are deleted when a message is written (by this process:
// MessagingService::CreateMessage) or applied by the stream consumer (messages of any writer,
// and the group items it moves).
//
// The cache is never needed: when it fails, reads go to the store and the failure is logged once
// (and its recovery once). Invalidations that fail are remembered and retried before the cache
// is read again; until they succeed every read goes to the store, so a write this process knows
// about is never hidden by a stale value. A read that raced with an invalidation does not store
// what it read (per-key generations).
#pragma once

#include <any>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/cache.h"
#include "common/thread_annotations.h"
#include "cruddur/messages.h"

namespace cruddur::api {

struct MessageCacheOptions {
  std::chrono::seconds ttl{60};
  std::string prefix = "cruddur:";
  std::function<void(const std::string&)> log;  // default: stderr
};

class MessageCache {
 public:
  // `cache` and `store` must outlive this. Thread-safe.
  MessageCache(Cache& cache, MessageStore& store, MessageCacheOptions options = {});

  // Pattern B's first page for `user_uuid` (what `load` returns, cached).
  Page<MessageGroup> Groups(const std::string& user_uuid,
                            const std::function<Page<MessageGroup>()>& load);
  // Pattern A's newest page of `group_uuid`.
  Page<Message> NewestMessages(const std::string& group_uuid,
                               const std::function<Page<Message>()>& load);
  // The group's members (MessageStore::Members); empty when there is no such group (not cached).
  std::vector<std::string> Members(const std::string& group_uuid);

  // A message was written to `group_uuid` by this process: its newest page and its members'
  // lists are stale.
  void MessageWritten(const std::string& group_uuid);
  // The stream consumer applied a message (from any writer): invalidates as MessageWritten and
  // counts it as unread for every member but the sender (once per message, see CountUnread).
  void MessageApplied(const std::string& group_uuid, const std::string& sent_at,
                      const std::string& sender_uuid);

  // `user_uuid` read the group up to `seen_through` (the newest message time shown).
  void MarkRead(const std::string& user_uuid, const std::string& group_uuid,
                const std::string& seen_through);
  // The user's non-zero unread counts by group (empty when the cache is unavailable).
  std::map<std::string, std::int64_t> Unread(const std::string& user_uuid);

  std::string Describe() const { return cache_.Describe(); }
  std::uint64_t hits() const { return hits_.load(); }
  std::uint64_t misses() const { return misses_.load(); }

  std::string GroupsKey(const std::string& user_uuid) const;
  std::string MessagesKey(const std::string& group_uuid) const;
  std::string MembersKey(const std::string& group_uuid) const;

 private:
  struct Stripe {
    Mutex mutex;
    std::uint64_t generation GUARDED_BY(mutex) = 0;  // bumped by every invalidation
  };

  template <typename T>
  T ReadThrough(const std::string& key, const std::function<T()>& load,
                const std::function<std::string(const T&)>& encode,
                const std::function<bool(const std::string&, T&)>& decode);
  void Invalidate(std::vector<std::string> keys);
  // False while invalidations that failed cannot be delivered: the cache must not be read.
  bool Usable();
  Stripe& StripeOf(const std::string& key);
  void Failed(const std::exception& e);
  void Succeeded();
  void Log(const std::string& line) const;

  Cache& cache_;
  MessageStore& store_;
  MessageCacheOptions options_;
  std::array<Stripe, 64> stripes_;
  Mutex pending_mutex_;
  std::set<std::string> pending_ GUARDED_BY(pending_mutex_);  // keys still to delete
  std::atomic<bool> has_pending_{false};
  std::atomic<bool> down_{false};
  std::atomic<std::uint64_t> hits_{0}, misses_{0};

  // The last decoded value of each key with the text it was decoded from: a hit whose text is
  // unchanged skips the JSON parse (a pure function of the text, so never stale). Bounded.
  struct Decoded {
    std::string text;
    std::any value;
  };
  static constexpr std::size_t kMaxDecoded = 4096;
  Mutex decoded_mutex_;
  std::unordered_map<std::string, Decoded> decoded_ GUARDED_BY(decoded_mutex_);
};

}  // namespace cruddur::api
