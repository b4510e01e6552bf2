#include "api/service.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "cruddur/uuid.h"

namespace cruddur::api {
namespace {

bool IsBlank(const std::optional<std::string>& s) {
  return !s || std::all_of(s->begin(), s->end(), [](unsigned char c) { return std::isspace(c); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

UserRef RefOf(const User& u) { return {u.uuid, u.display_name, u.handle}; }

template <typename T>
Outcome<T> BadCursor() {
  return Outcome<T>::Fail(400, "cursor_invalid", "the cursor is not one this server handed out");
}

}  // namespace

std::size_t Utf8Length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool IsValidHandle(std::string_view handle) {
  if (handle.empty() || handle.size() > 64) return false;
  return std::all_of(handle.begin(), handle.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

Outcome<User> MessagingService::Caller(std::string_view sub) {
  if (sub.empty()) return Outcome<User>::Fail(401, "unauthenticated", "no token subject");
  const bool caching = user_cache_.ttl.count() > 0 && user_cache_.max_entries > 0;
  std::chrono::steady_clock::time_point now{};
  if (caching) {
    now = user_cache_.now();
    MutexLock lock(users_mutex_);
    auto it = users_by_sub_.find(std::string(sub));
    if (it != users_by_sub_.end()) {
      if (now < it->second.expires) return Outcome<User>::Ok(it->second.user);
      users_by_sub_.erase(it);
    }
  }
  std::optional<User> user = users_.FindByCognitoUserId(sub);
  if (user && caching) {
    MutexLock lock(users_mutex_);
    if (users_by_sub_.size() >= user_cache_.max_entries) users_by_sub_.clear();
    users_by_sub_.insert_or_assign(std::string(sub), CachedUser{*user, now + user_cache_.ttl});
  }
  if (!user) {
    return Outcome<User>::Fail(403, "user_not_found",
                               "the token's subject is not a Cruddur user (no users row with "
                               "this cognito_user_id)");
  }
  return Outcome<User>::Ok(std::move(*user));
}

void MessagingService::ForgetUsers() {
  MutexLock lock(users_mutex_);
  users_by_sub_.clear();
}

std::size_t MessagingService::cached_users() {
  MutexLock lock(users_mutex_);
  return users_by_sub_.size();
}

bool MessagingService::IsMember(const std::string& user_uuid, const std::string& group_uuid) {
  if (cache_ == nullptr) return messages_.FindGroup(user_uuid, group_uuid).has_value();
  std::vector<std::string> members = cache_->Members(group_uuid);
  return std::find(members.begin(), members.end(), user_uuid) != members.end();
}

Outcome<Page<MessageGroup>> MessagingService::MessageGroups(std::string_view sub,
                                                            std::string_view cursor, int limit) {
  using R = Outcome<Page<MessageGroup>>;
  Outcome<User> me = Caller(sub);
  if (!me.ok()) return R::Fail(me.error);
  const std::string& uuid = me.value->uuid;
  limit = std::clamp(limit, 1, kMaxPageSize);
  try {
    if (cache_ != nullptr && cursor.empty() && limit == kDefaultPageSize) {
      return R::Ok(
          cache_->Groups(uuid, [&] { return messages_.ListMessageGroups(uuid, "", limit); }));
    }
    return R::Ok(messages_.ListMessageGroups(uuid, std::string(cursor), limit));
  } catch (const std::invalid_argument&) {
    return BadCursor<Page<MessageGroup>>();
  }
}

Outcome<Page<Message>> MessagingService::Messages(std::string_view sub, std::string_view group_uuid,
                                                  std::string_view cursor, int limit) {
  using R = Outcome<Page<Message>>;
  Outcome<User> me = Caller(sub);
  if (!me.ok()) return R::Fail(me.error);
  // Not a uuid: it cannot name a group, and junk never reaches DynamoDB.
  if (!IsUuid(group_uuid)) {
    return R::Fail(404, "message_group_not_found", "no such message group");
  }
  std::string group = Lower(group_uuid);
  // Before anything is served, from the cache or not.
  if (!IsMember(me.value->uuid, group)) {
    return R::Fail(404, "message_group_not_found", "no such message group");
  }
  MessageQuery q;
  q.cursor = std::string(cursor);
  q.limit = std::clamp(limit, 1, kMaxPageSize);
  try {
    if (cache_ == nullptr || !cursor.empty()) return R::Ok(messages_.ListMessages(group, q));
    Page<Message> page =
        q.limit == kDefaultPageSize
            ? cache_->NewestMessages(group, [&] { return messages_.ListMessages(group, q); })
            : messages_.ListMessages(group, q);
    // The newest messages were shown: the conversation is read up to the last one.
    cache_->MarkRead(me.value->uuid, group, page.items.empty() ? "" : page.items.back().created_at);
    return R::Ok(std::move(page));
  } catch (const std::invalid_argument&) {
    return BadCursor<Page<Message>>();
  }
}

Outcome<CreateMessageResult> MessagingService::CreateMessage(std::string_view sub,
                                                             const CreateMessageRequest& req) {
  using R = Outcome<CreateMessageResult>;
  const bool reply = req.message_group_uuid.has_value();
  // The original's checks, in its order, but every failing one is reported.
  ServiceError invalid{422, {}, "invalid message"};
  if (reply && IsBlank(req.message_group_uuid)) {
    invalid.codes.push_back("message_group_uuid_blank");
  }
  if (sub.empty()) invalid.codes.push_back("cognito_user_id_blank");
  if (!reply && IsBlank(req.handle)) invalid.codes.push_back("user_reciever_handle_blank");
  if (IsBlank(req.message)) {
    invalid.codes.push_back("message_blank");
  } else if (Utf8Length(*req.message) > kMaxMessageChars) {
    invalid.codes.push_back("message_exceed_max_chars");
  }
  if (!invalid.codes.empty()) return R::Fail(std::move(invalid));

  Outcome<User> me = Caller(sub);
  if (!me.ok()) return R::Fail(me.error);
  const UserRef sender = RefOf(*me.value);
  const std::string& text = *req.message;

  if (reply) {
    const std::string& group_text = *req.message_group_uuid;
    if (!IsUuid(group_text) || !IsMember(sender.uuid, Lower(group_text))) {
      return R::Fail(404, "message_group_not_found", "no such message group");
    }
    CreateMessageResult result;
    result.message_group_uuid = Lower(group_text);
    result.message = messages_.CreateMessage(result.message_group_uuid, sender, text);
    if (cache_ != nullptr) cache_->MessageWritten(result.message_group_uuid);
    return R::Ok(std::move(result));
  }

  const std::string& handle = *req.handle;
  std::optional<User> receiver;
  if (IsValidHandle(handle)) receiver = users_.FindByHandle(handle);
  if (!receiver) {
    return R::Fail(
        ServiceError{422, {"user_reciever_handle_not_found"}, "no user with that handle"});
  }
  if (receiver->uuid == sender.uuid) {
    return R::Fail(ServiceError{422, {"user_reciever_handle_self"}, "you cannot message yourself"});
  }
  CreateMessageResult result;
  if (std::optional<std::string> existing =
          messages_.FindConversation(sender.uuid, receiver->uuid)) {
    // Users expect one conversation per pair: the new message continues the existing one.
    result.message_group_uuid = *existing;
    messages_.CreateMessage(*existing, sender, text);
  } else {
    result.message_group_uuid = messages_.CreateMessageGroup(sender, RefOf(*receiver), text);
    result.new_group = true;
  }
  if (cache_ != nullptr) cache_->MessageWritten(result.message_group_uuid);
  return R::Ok(std::move(result));
}

Outcome<UserRef> MessagingService::UsersShort(std::string_view handle) {
  using R = Outcome<UserRef>;
  if (!IsValidHandle(handle)) {
    return R::Fail(400, "handle_invalid", "a handle is 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  std::optional<User> user = users_.FindByHandle(handle);
  if (!user) return R::Fail(404, "user_not_found", "no user with that handle");
  return R::Ok(RefOf(*user));
}

Outcome<UnreadCounts> MessagingService::Unread(std::string_view sub) {
  using R = Outcome<UnreadCounts>;
  Outcome<User> me = Caller(sub);
  if (!me.ok()) return R::Fail(me.error);
  UnreadCounts counts;
  if (cache_ != nullptr) counts.groups = cache_->Unread(me.value->uuid);
  for (const auto& [group, n] : counts.groups) counts.total += n;
  return R::Ok(std::move(counts));
}

}  // namespace cruddur::api
