// Cruddur's direct messages in DynamoDB, single-table design (the table `cruddur-messages`):
//   message group (one per member)  pk = GRP#<member uuid>   sk = time of the group's last message
//                                   message_group_uuid, message (last text), user_uuid /
//                                   user_display_name / user_handle describing the OTHER member
//   message                         pk = MSG#<group uuid>    sk = time the message was sent
//                                   message_uuid, message, user_* describing the SENDER
// and the sparse GSI `message-group-sk-index` (message_group_uuid, sk), which holds only group
// items. Times are UTC in one fixed-width format, so string order is time order.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/dynamodb_client.h"
#include "ddb/value.h"

namespace cruddur {

inline constexpr std::string_view kDefaultMessageTable = "cruddur-messages";
inline constexpr std::string_view kGroupIndex = "message-group-sk-index";

// "2026-11-25T20:38:31.123456Z": fixed width, so lexical order is chronological order.
std::string FormatTimestamp(std::chrono::system_clock::time_point t);
std::string NowTimestamp();

struct UserRef {
  std::string uuid;
  std::string display_name;
  std::string handle;
};

// One member's view of a conversation.
struct MessageGroup {
  std::string message_group_uuid;
  UserRef other;           // the other member
  std::string message;     // the last message's text
  std::string created_at;  // the last message's time (the item's sort key)
};

struct Message {
  std::string message_uuid;
  std::string message_group_uuid;
  UserRef sender;
  std::string message;
  std::string created_at;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // empty on the last page; opaque otherwise
};

// Read filters of access pattern A.
struct MessageQuery {
  std::string cursor;  // from a previous page: continue with older messages
  std::string before;  // only messages sent before this time (exclusive)
  std::string since;   // only messages sent at or after this time
  std::string year;    // only messages of this year ("2026")
  int limit = 20;
};

class MessageStore {
 public:
  MessageStore(client::DynamoDbClient& ddb, std::string table = std::string(kDefaultMessageTable))
      : ddb_(ddb), table_(std::move(table)) {}

  const std::string& table() const { return table_; }

  // The table as the original defined it: pk/sk strings, the GSI message-group-sk-index (ALL),
  // PROVISIONED 5/5, stream NEW_IMAGE. Returns the CreateTable response.
  std::string CreateTable();

  // Pattern A: the newest `limit` messages of a group matching the filters, in reading order
  // (oldest first); next_cursor pages back to older ones.
  Page<Message> ListMessages(const std::string& group_uuid, const MessageQuery& q) const;

  // Pattern B: a member's conversations, most recent first.
  Page<MessageGroup> ListMessageGroups(const std::string& user_uuid, const std::string& cursor,
                                       int limit = 20) const;

  // The member uuids of a group (from its group items); empty when the group does not exist.
  std::vector<std::string> Members(const std::string& group_uuid) const;
  // The group item of `user_uuid` for `group_uuid`, if the user is a member.
  std::optional<MessageGroup> FindGroup(const std::string& user_uuid,
                                        const std::string& group_uuid) const;

  // Pattern C, reply: one PutItem of a message item (its sort key made unique in the group).
  Message CreateMessage(const std::string& group_uuid, const UserRef& sender,
                        const std::string& text);
  // Pattern C, new conversation: both group items and the first message in one transaction.
  // Returns the new group's uuid.
  std::string CreateMessageGroup(const UserRef& sender, const UserRef& receiver,
                                 const std::string& text);
  // The existing conversation between two users, if any.
  std::optional<std::string> FindConversation(const std::string& user_uuid,
                                              const std::string& other_uuid) const;

  // Pattern D: moves every member's group item of the message's group to the message's time and
  // text, unless it already shows a newer (or this) message. Idempotent; safe to run
  // concurrently. Returns how many group items it moved.
  int ApplyMessage(const std::string& group_uuid, const std::string& sent_at,
                   const std::string& text);
  // The same, from a stream record's NewImage (ignores anything that is not a message item).
  int ApplyMessageItem(const ddb::Item& new_image);

  // Writes an item as is (seeding).
  void PutRaw(const ddb::Item& item);

 private:
  std::string Call(std::string_view op, const std::string& json) const {
    return ddb_.Call(op, json);
  }

  client::DynamoDbClient& ddb_;
  std::string table_;
};

MessageGroup MessageGroupFromItem(const ddb::Item& item);
Message MessageFromItem(const ddb::Item& item);
// The items themselves: `owner_uuid`'s view of a group ("GRP#<owner>", showing `other`) and a
// message ("MSG#<group>"), both sorted by `sk` (the time). The store and the seed write these.
ddb::Item GroupItem(const std::string& owner_uuid, const std::string& group_uuid,
                    const UserRef& other, const std::string& text, const std::string& sk);
ddb::Item MessageItem(const std::string& group_uuid, const std::string& message_uuid,
                      const UserRef& sender, const std::string& text, const std::string& sk);

}  // namespace cruddur
