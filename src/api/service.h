// The messaging services behind `cruddur serve`, without HTTP: the original's MessageGroups,
// Messages, CreateMessage and UsersShort (original-system.md, section 3), plus the checks the
// original lacked (section 8): only a group's two members read or write it, every validation
// error is reported, lookups that find nothing are a 4xx with a reason.
//
// Callers pass the verified token subject (`sub`, a Cognito user id); the service maps it to a
// user. Every outcome is a value: either the result or a ServiceError carrying the HTTP status.
// Storage failures are not caught here (they are the server's fault: the routes answer 500/503).
//
// Choices (documented in src/api/README.md):
// - A group the caller is not a member of answers exactly like a group that does not exist
//   (404 message_group_not_found), so group uuids cannot be probed.
// - A new conversation by handle with someone the caller already talks to reuses that
//   conversation: the message is a reply in it, and the answer is still {message_group_uuid}.
// - Replies answer {message_group_uuid, uuid, display_name, handle, message, created_at} with
//   `uuid` = the new MESSAGE's uuid (the original sent the sender's user uuid by mistake).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/message_cache.h"
#include "common/thread_annotations.h"
#include "cruddur/messages.h"
#include "cruddur/users.h"

namespace cruddur::api {

// The original's limit: more than this many characters (Unicode code points) is refused.
inline constexpr std::size_t kMaxMessageChars = 1024;
inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;

struct ServiceError {
  int status = 400;
  // 422: the original's validation codes, all of them. Other statuses: one code.
  std::vector<std::string> codes;
  std::string reason;  // one line, safe to show to the client
};

template <typename T>
struct Outcome {
  std::optional<T> value;
  ServiceError error;

  bool ok() const { return value.has_value(); }
  static Outcome Ok(T v) { return Outcome{std::move(v), {}}; }
  static Outcome Fail(int status, std::string code, std::string reason) {
    return Outcome{std::nullopt, ServiceError{status, {std::move(code)}, std::move(reason)}};
  }
  static Outcome Fail(ServiceError e) { return Outcome{std::nullopt, std::move(e)}; }
};

// POST /api/messages, as parsed from its JSON body. A member absent (or null) is nullopt.
// Mode: message_group_uuid present (even blank) -> reply; absent -> new conversation by handle.
struct CreateMessageRequest {
  std::optional<std::string> message;
  std::optional<std::string> message_group_uuid;
  std::optional<std::string> handle;
};

struct CreateMessageResult {
  std::string message_group_uuid;
  // Set for a reply (update mode); empty for a new conversation (create mode) — also when an
  // existing conversation was reused for it, so the client redirects to it as after a create.
  std::optional<Message> message;
  bool new_group = false;  // a group was created
};

// The caller's unread messages (GET /api/messages/counter).
struct UnreadCounts {
  std::int64_t total = 0;
  std::map<std::string, std::int64_t> groups;  // group uuid -> count, non-zero ones only
};

// Number of Unicode code points in UTF-8 text (each byte that does not continue a sequence).
std::size_t Utf8Length(std::string_view text);
// Handles: 1-64 characters of [A-Za-z0-9_.-].
bool IsValidHandle(std::string_view handle);

// The token subject -> user lookup runs on every request; the service keeps recent answers
// for a short time. A user's deletion, handle or display-name change, or a cognito_user_id
// reassignment is seen by at most `ttl` late; subjects with no user are never cached (a new
// user is served at once).
struct UserCacheOptions {
  std::chrono::milliseconds ttl = std::chrono::seconds(10);  // 0 disables the cache
  std::size_t max_entries = 10000;                           // emptied when full
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

class MessagingService {
 public:
  // Both stores (and the cache, if any) must outlive the service. Thread-safe if the stores
  // are. With a cache, the first page of MessageGroups and the newest page of Messages (default
  // limit) and group memberships are read through it, writes invalidate it, and reading a
  // conversation resets the caller's unread count for it; without one, nothing is cached and
  // nothing counted.
  MessagingService(MessageStore& messages, UserStore& users, MessageCache* cache = nullptr,
                   UserCacheOptions user_cache = {})
      : messages_(messages), users_(users), cache_(cache), user_cache_(std::move(user_cache)) {}

  // Pattern B: the caller's conversations, most recent first. `cursor` from a previous page.
  Outcome<Page<MessageGroup>> MessageGroups(std::string_view sub, std::string_view cursor,
                                            int limit = kDefaultPageSize);
  // Pattern A: the newest messages of a group in reading order; the cursor pages back in time.
  Outcome<Page<Message>> Messages(std::string_view sub, std::string_view group_uuid,
                                  std::string_view cursor, int limit = kDefaultPageSize);
  // Pattern C.
  Outcome<CreateMessageResult> CreateMessage(std::string_view sub,
                                             const CreateMessageRequest& request);
  // {uuid, handle, display_name} of a user (the route requires a token; the service does not
  // need to know who asks).
  Outcome<UserRef> UsersShort(std::string_view handle);
  // The caller's unread counts (all zero without a cache).
  Outcome<UnreadCounts> Unread(std::string_view sub);

  MessageStore& messages() { return messages_; }
  UserStore& users() { return users_; }
  MessageCache* cache() { return cache_; }
  // Drops every cached sub -> user answer (e.g. after a cognito_user_id reassignment).
  void ForgetUsers();
  // Subjects currently cached (tests, diagnostics).
  std::size_t cached_users();

 private:
  // The caller's user, or a 403 (an empty sub is a 401: nothing was authenticated).
  Outcome<User> Caller(std::string_view sub);
  bool IsMember(const std::string& user_uuid, const std::string& group_uuid);

  MessageStore& messages_;
  UserStore& users_;
  MessageCache* cache_;

  struct CachedUser {
    User user;
    std::chrono::steady_clock::time_point expires;
  };
  const UserCacheOptions user_cache_;
  Mutex users_mutex_;
  std::unordered_map<std::string, CachedUser> users_by_sub_ GUARDED_BY(users_mutex_);
};

}  // namespace cruddur::api
