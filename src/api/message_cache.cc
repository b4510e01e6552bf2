#include "api/message_cache.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <functional>

#include "cruddur/message_json.h"
#include "encoding/json.h"
#include "log/log.h"

namespace cruddur::api {
namespace {

using encoding::StringMember;
using encoding::WriteStringField;
using Writer = encoding::JsonTextWriter;

// {"next": cursor, "items": [...]}
template <typename T>
std::string EncodePage(const Page<T>& page, const std::function<void(Writer&, const T&)>& item) {
  return encoding::WriteJson([&](Writer& w) {
    w.StartObject();
    WriteStringField(w, "next", page.next_cursor);
    w.Key("items");
    w.StartArray();
    for (const auto& i : page.items) {
      w.StartObject();
      item(w, i);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

template <typename T>
bool DecodePage(const std::string& text, Page<T>& page,
                const std::function<T(const rapidjson::Value&)>& item) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("items") || !d["items"].IsArray()) {
    return false;
  }
  page.next_cursor = StringMember(d, "next");
  for (const auto& v : d["items"].GetArray()) {
    if (!v.IsObject()) return false;
    page.items.push_back(item(v));
  }
  return true;
}

void WriteRef(Writer& w, const UserRef& u) {
  WriteStringField(w, "user_uuid", u.uuid);
  WriteStringField(w, "display_name", u.display_name);
  WriteStringField(w, "handle", u.handle);
}

UserRef ReadRef(const rapidjson::Value& v) {
  return {StringMember(v, "user_uuid"), StringMember(v, "display_name"), StringMember(v, "handle")};
}

std::string EncodeGroups(const Page<MessageGroup>& page) {
  return EncodePage<MessageGroup>(
      page, [](Writer& w, const MessageGroup& g) { WriteMessageGroupMembers(w, g, WriteRef); });
}

bool DecodeGroups(const std::string& text, Page<MessageGroup>& page) {
  return DecodePage<MessageGroup>(text, page, [](const rapidjson::Value& v) {
    return MessageGroup{StringMember(v, "message_group_uuid"), ReadRef(v),
                        StringMember(v, "message"), StringMember(v, "created_at")};
  });
}

std::string EncodeMessages(const Page<Message>& page) {
  return EncodePage<Message>(
      page, [](Writer& w, const Message& m) { WriteMessageMembers(w, m, WriteRef); });
}

bool DecodeMessages(const std::string& text, Page<Message>& page) {
  return DecodePage<Message>(text, page, [](const rapidjson::Value& v) {
    return Message{StringMember(v, "message_uuid"), StringMember(v, "message_group_uuid"),
                   ReadRef(v), StringMember(v, "message"), StringMember(v, "created_at")};
  });
}

std::string EncodeMembers(const std::vector<std::string>& members) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const auto& m : members) w.String(m.data(), static_cast<rapidjson::SizeType>(m.size()));
  w.EndArray();
  return {buf.GetString(), buf.GetSize()};
}

bool DecodeMembers(const std::string& text, std::vector<std::string>& members) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsArray() || d.Empty()) return false;
  for (const auto& v : d.GetArray()) {
    if (!v.IsString()) return false;
    members.emplace_back(v.GetString(), v.GetStringLength());
  }
  return true;
}

}  // namespace

MessageCache::MessageCache(Cache& cache, MessageStore& store, MessageCacheOptions options)
    : cache_(cache), store_(store), options_(std::move(options)) {}

std::string MessageCache::GroupsKey(const std::string& user_uuid) const {
  return options_.prefix + "groups:" + user_uuid;
}
std::string MessageCache::MessagesKey(const std::string& group_uuid) const {
  return options_.prefix + "messages:" + group_uuid;
}
std::string MessageCache::MembersKey(const std::string& group_uuid) const {
  return options_.prefix + "members:" + group_uuid;
}

void MessageCache::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    log::Warn("cache", line);
  }
}

void MessageCache::Failed(const std::exception& e) {
  if (!down_.exchange(true)) {
    Log(std::string("unavailable, reading from the store until it is back: ") + e.what());
  }
}

void MessageCache::Succeeded() {
  if (down_.load() && down_.exchange(false)) Log(cache_.Describe() + " available again");
}

MessageCache::Stripe& MessageCache::StripeOf(const std::string& key) {
  return stripes_[std::hash<std::string>{}(key) % stripes_.size()];
}

bool MessageCache::Usable() {
  if (!has_pending_.load()) return true;
  MutexLock lock(pending_mutex_);
  if (pending_.empty()) return true;
  try {
    cache_.Delete(std::vector<std::string>(pending_.begin(), pending_.end()));
  } catch (const CacheUnavailable& e) {
    Failed(e);
    return false;
  }
  pending_.clear();
  has_pending_.store(false);
  Succeeded();
  return true;
}

template <typename T>
T MessageCache::ReadThrough(const std::string& key, const std::function<T()>& load,
                            const std::function<std::string(const T&)>& encode,
                            const std::function<bool(const std::string&, T&)>& decode) {
  if (!Usable()) return load();
  Stripe& stripe = StripeOf(key);
  std::uint64_t generation;
  {
    MutexLock lock(stripe.mutex);
    generation = stripe.generation;
  }
  try {
    if (std::optional<std::string> text = cache_.Get(key)) {
      Succeeded();
      {
        MutexLock lock(decoded_mutex_);
        auto it = decoded_.find(key);
        if (it != decoded_.end() && it->second.text == *text) {
          if (const T* memo = std::any_cast<T>(&it->second.value)) {
            ++hits_;
            return *memo;
          }
        }
      }
      T value;
      if (decode(*text, value)) {
        ++hits_;
        MutexLock lock(decoded_mutex_);
        if (decoded_.size() >= kMaxDecoded) decoded_.clear();
        decoded_.insert_or_assign(key, Decoded{std::move(*text), value});
        return value;
      }
    }
  } catch (const CacheUnavailable& e) {
    Failed(e);
    return load();
  }
  ++misses_;
  T value = load();
  MutexLock lock(stripe.mutex);
  // An invalidation since we started may have been for a write our load did not see.
  if (stripe.generation != generation) return value;
  std::string text = encode(value);
  if (text.empty()) return value;  // not worth caching
  try {
    cache_.Set(key, text, options_.ttl);
    Succeeded();
  } catch (const CacheUnavailable& e) {
    Failed(e);
  }
  return value;
}

Page<MessageGroup> MessageCache::Groups(const std::string& user_uuid,
                                        const std::function<Page<MessageGroup>()>& load) {
  return ReadThrough<Page<MessageGroup>>(GroupsKey(user_uuid), load, EncodeGroups, DecodeGroups);
}

Page<Message> MessageCache::NewestMessages(const std::string& group_uuid,
                                           const std::function<Page<Message>()>& load) {
  return ReadThrough<Page<Message>>(MessagesKey(group_uuid), load, EncodeMessages, DecodeMessages);
}

std::vector<std::string> MessageCache::Members(const std::string& group_uuid) {
  // An empty list (no such group, yet) is not cached, so a group created a moment later is found.
  return ReadThrough<std::vector<std::string>>(
      MembersKey(group_uuid), [&] { return store_.Members(group_uuid); },
      [](const std::vector<std::string>& m) {
        return m.empty() ? std::string() : EncodeMembers(m);
      },
      DecodeMembers);
}

void MessageCache::Invalidate(std::vector<std::string> keys) {
  for (const auto& key : keys) {
    Stripe& stripe = StripeOf(key);
    MutexLock lock(stripe.mutex);
    ++stripe.generation;
  }
  try {
    cache_.Delete(keys);
    Succeeded();
  } catch (const CacheUnavailable& e) {
    Failed(e);
    MutexLock lock(pending_mutex_);
    pending_.insert(keys.begin(), keys.end());
    has_pending_.store(true);
  }
}

void MessageCache::MessageWritten(const std::string& group_uuid) {
  std::vector<std::string> keys{MessagesKey(group_uuid)};
  for (const auto& member : Members(group_uuid)) keys.push_back(GroupsKey(member));
  Invalidate(std::move(keys));
}

void MessageCache::MessageApplied(const std::string& group_uuid, const std::string& sent_at,
                                  const std::string& sender_uuid) {
  std::vector<std::string> members = Members(group_uuid);
  std::vector<std::string> keys{MessagesKey(group_uuid)};
  for (const auto& member : members) keys.push_back(GroupsKey(member));
  Invalidate(std::move(keys));
  for (const auto& member : members) {
    if (member == sender_uuid) continue;
    try {
      cache_.CountUnread(member, group_uuid, sent_at);
      Succeeded();
    } catch (const CacheUnavailable& e) {
      Failed(e);  // the count is lost: counters are a hint, the messages are not
    }
  }
}

void MessageCache::MarkRead(const std::string& user_uuid, const std::string& group_uuid,
                            const std::string& seen_through) {
  try {
    cache_.ResetUnread(user_uuid, group_uuid, seen_through);
    Succeeded();
  } catch (const CacheUnavailable& e) {
    Failed(e);
  }
}

std::map<std::string, std::int64_t> MessageCache::Unread(const std::string& user_uuid) {
  try {
    auto out = cache_.Unread(user_uuid);
    Succeeded();
    return out;
  } catch (const CacheUnavailable& e) {
    Failed(e);
    return {};
  }
}

}  // namespace cruddur::api
