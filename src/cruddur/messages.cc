#include "cruddur/messages.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "cruddur/uuid.h"
#include "ddb/error.h"
#include "ddb/json.h"
#include "ddb/value_json.h"
#include "encoding/json.h"

namespace cruddur {
namespace {

using ddb::AttributeValue;
using ddb::Item;
using ddb::JsonWriter;

using encoding::WriteJsonObject;

void Key(JsonWriter& w, std::string_view k) { w.Key(k.data(), static_cast<unsigned>(k.size())); }
void Str(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<unsigned>(s.size())); }
void S(JsonWriter& w, std::string_view name, std::string_view value) {
  Key(w, name);
  w.StartObject();
  Key(w, "S");
  Str(w, value);
  w.EndObject();
}

// The members of a PutItem of `item` that fails, rather than overwrites, when its key is taken.
void WritePutNew(JsonWriter& w, const std::string& table, const Item& item) {
  Key(w, "TableName");
  Str(w, table);
  Key(w, "Item");
  ddb::WriteItem(w, item);
  Key(w, "ConditionExpression");
  Str(w, "attribute_not_exists(pk)");
}

// The same as an element of TransactItems.
void WriteTransactPutNew(JsonWriter& w, const std::string& table, const Item& item) {
  w.StartObject();
  Key(w, "Put");
  w.StartObject();
  WritePutNew(w, table, item);
  w.EndObject();
  w.EndObject();
}

const std::string& Attr(const Item& item, const std::string& name) {
  static const std::string kEmpty;
  auto it = item.find(name);
  return it != item.end() && it->second.type == ddb::ValueType::kS ? it->second.bytes : kEmpty;
}

struct QueryResult {
  std::vector<Item> items;
  bool more = false;
};

QueryResult ParseItems(const std::string& response) {
  ddb::JsonDocument d = client::ParseResponse(response);
  QueryResult r;
  if (d.HasMember("Items")) {
    for (const auto& v : d["Items"].GetArray()) r.items.push_back(ddb::ParseItem(v));
  }
  r.more = d.HasMember("LastEvaluatedKey");
  return r;
}

// A partition newest first, below `upper` (exclusive) when it is set: patterns A and B.
QueryResult NewestFirst(client::DynamoDbClient& ddb, const std::string& table,
                        const std::string& pk, const std::string& upper, int limit) {
  return ParseItems(ddb.Call("Query", WriteJsonObject([&](JsonWriter& w) {
                               Key(w, "TableName");
                               Str(w, table);
                               Key(w, "KeyConditionExpression");
                               Str(w, upper.empty() ? "pk = :pk" : "pk = :pk AND sk < :upper");
                               Key(w, "ExpressionAttributeValues");
                               w.StartObject();
                               S(w, ":pk", pk);
                               if (!upper.empty()) S(w, ":upper", upper);
                               w.EndObject();
                               Key(w, "ScanIndexForward");
                               w.Bool(false);
                               Key(w, "Limit");
                               w.Int(limit);
                             })));
}

// The group items of a conversation (one per member), from the sparse GSI.
std::vector<Item> GroupItems(client::DynamoDbClient& ddb, const std::string& table,
                             const std::string& group_uuid) {
  return ParseItems(ddb.Call("Query", WriteJsonObject([&](JsonWriter& w) {
                               Key(w, "TableName");
                               Str(w, table);
                               Key(w, "IndexName");
                               Str(w, kGroupIndex);
                               Key(w, "KeyConditionExpression");
                               Str(w, "message_group_uuid = :g");
                               Key(w, "ExpressionAttributeValues");
                               w.StartObject();
                               S(w, ":g", group_uuid);
                               w.EndObject();
                             })))
      .items;
}

// Cursors carry only a sort key: the partition always comes from the caller's own request, so a
// crafted cursor cannot reach another conversation.
std::string EncodeCursor(const std::string& sk) { return ddb::Base64Encode(sk); }
std::string DecodeCursor(const std::string& cursor) {
  std::string sk;
  if (!ddb::Base64Decode(cursor, &sk) || sk.empty() || sk.size() > 64) {
    throw std::invalid_argument("invalid cursor");
  }
  return sk;
}

// The next microsecond after a timestamp of FormatTimestamp's form.
std::string NextMicrosecond(const std::string& ts) {
  // "YYYY-MM-DDTHH:MM:SS.ffffffZ": bump the fraction; a carry past .999999 is vanishingly rare
  // and then a fresh NowTimestamp() is as good.
  if (ts.size() != 27) return NowTimestamp();
  int frac = std::stoi(ts.substr(20, 6));
  if (frac == 999999) return NowTimestamp();
  return ts.substr(0, 20) + fmt::format("{:06}", frac + 1) + "Z";
}

bool IsConditionFailure(const ddb::ApiError& e) {
  return e.type() == "ConditionalCheckFailedException" ||
         e.type() == "TransactionCanceledException";
}

// The message_uuid of the item a ConditionalCheckFailedException returned (ALL_OLD), "" when it
// carries none.
std::string ExistingMessageUuid(const ddb::ApiError& e) {
  if (e.extra_json().empty()) return "";
  ddb::JsonDocument d;
  std::string text = "{" + e.extra_json() + "}";
  d.Parse(text.data(), text.size());
  const ddb::JsonValue* item = d.HasParseError() ? nullptr : ddb::MemberValue(d, "Item");
  if (!item || !item->IsObject()) return "";
  return Attr(ddb::ParseItem(*item), "message_uuid");
}

}  // namespace

namespace {

// What group and message items share: the key, the text and the other user (of a group item) or
// the sender (of a message item).
Item KeyedItem(std::string pk, const std::string& sk, const std::string& text,
               const UserRef& user) {
  return {{"pk", AttributeValue::S(std::move(pk))},
          {"sk", AttributeValue::S(sk)},
          {"message", AttributeValue::S(text)},
          {"user_uuid", AttributeValue::S(user.uuid)},
          {"user_display_name", AttributeValue::S(user.display_name)},
          {"user_handle", AttributeValue::S(user.handle)}};
}

}  // namespace

Item GroupItem(const std::string& owner_uuid, const std::string& group_uuid, const UserRef& other,
               const std::string& text, const std::string& sk) {
  Item item = KeyedItem("GRP#" + owner_uuid, sk, text, other);
  item["message_group_uuid"] = AttributeValue::S(group_uuid);
  return item;
}

Item MessageItem(const std::string& group_uuid, const std::string& message_uuid,
                 const UserRef& sender, const std::string& text, const std::string& sk) {
  Item item = KeyedItem("MSG#" + group_uuid, sk, text, sender);
  item["message_uuid"] = AttributeValue::S(message_uuid);
  return item;
}

std::string FormatTimestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1000000);
}

std::string NowTimestamp() { return FormatTimestamp(std::chrono::system_clock::now()); }

MessageGroup MessageGroupFromItem(const Item& item) {
  return {Attr(item, "message_group_uuid"),
          {Attr(item, "user_uuid"), Attr(item, "user_display_name"), Attr(item, "user_handle")},
          Attr(item, "message"),
          Attr(item, "sk")};
}

Message MessageFromItem(const Item& item) {
  const std::string& pk = Attr(item, "pk");
  return {Attr(item, "message_uuid"),
          pk.starts_with("MSG#") ? pk.substr(4) : std::string(),
          {Attr(item, "user_uuid"), Attr(item, "user_display_name"), Attr(item, "user_handle")},
          Attr(item, "message"),
          Attr(item, "sk")};
}

std::string MessageStore::CreateTable() {
  auto throughput = [](JsonWriter& w) {
    Key(w, "ProvisionedThroughput");
    w.StartObject();
    Key(w, "ReadCapacityUnits");
    w.Int(5);
    Key(w, "WriteCapacityUnits");
    w.Int(5);
    w.EndObject();
  };
  auto key_schema = [](JsonWriter& w, std::string_view hash, std::string_view range) {
    Key(w, "KeySchema");
    w.StartArray();
    for (auto [name, type] : {std::pair{hash, "HASH"}, std::pair{range, "RANGE"}}) {
      w.StartObject();
      Key(w, "AttributeName");
      Str(w, name);
      Key(w, "KeyType");
      Str(w, type);
      w.EndObject();
    }
    w.EndArray();
  };
  return Call("CreateTable", WriteJsonObject([&](JsonWriter& w) {
                Key(w, "TableName");
                Str(w, table_);
                Key(w, "AttributeDefinitions");
                w.StartArray();
                for (std::string_view n : {"message_group_uuid", "pk", "sk"}) {
                  w.StartObject();
                  Key(w, "AttributeName");
                  Str(w, n);
                  Key(w, "AttributeType");
                  Str(w, "S");
                  w.EndObject();
                }
                w.EndArray();
                key_schema(w, "pk", "sk");
                Key(w, "GlobalSecondaryIndexes");
                w.StartArray();
                w.StartObject();
                Key(w, "IndexName");
                Str(w, kGroupIndex);
                key_schema(w, "message_group_uuid", "sk");
                Key(w, "Projection");
                w.StartObject();
                Key(w, "ProjectionType");
                Str(w, "ALL");
                w.EndObject();
                throughput(w);
                w.EndObject();
                w.EndArray();
                Key(w, "BillingMode");
                Str(w, "PROVISIONED");
                throughput(w);
                Key(w, "StreamSpecification");
                w.StartObject();
                Key(w, "StreamEnabled");
                w.Bool(true);
                Key(w, "StreamViewType");
                Str(w, "NEW_IMAGE");
                w.EndObject();
              }));
}

Page<Message> MessageStore::ListMessages(const std::string& group_uuid,
                                         const MessageQuery& q) const {
  // Newest first from the upper bound; the lower bound is applied here, since a Query's key
  // condition takes one range only.
  std::string upper = q.before;
  if (!q.cursor.empty()) {
    std::string c = DecodeCursor(q.cursor);
    if (upper.empty() || c < upper) upper = c;
  }
  std::string lower = q.since;
  if (!q.year.empty()) {
    if (q.year.size() != 4 || !std::all_of(q.year.begin(), q.year.end(), ::isdigit)) {
      throw std::invalid_argument("year must have four digits");
    }
    std::string next_year = std::to_string(std::stoi(q.year) + 1);
    if (upper.empty() || next_year < upper) upper = next_year;
    if (q.year > lower) lower = q.year;
  }
  QueryResult r =
      NewestFirst(ddb_, table_, "MSG#" + group_uuid, upper, std::clamp(q.limit, 1, 100));
  Page<Message> page;
  bool reached_lower = false;
  for (const auto& item : r.items) {
    Message m = MessageFromItem(item);
    if (!lower.empty() && m.created_at < lower) {
      reached_lower = true;
      break;
    }
    page.items.push_back(std::move(m));
  }
  if (r.more && !reached_lower && !page.items.empty()) {
    page.next_cursor = EncodeCursor(page.items.back().created_at);
  }
  std::reverse(page.items.begin(), page.items.end());
  return page;
}

Page<MessageGroup> MessageStore::ListMessageGroups(const std::string& user_uuid,
                                                   const std::string& cursor, int limit) const {
  std::string upper = cursor.empty() ? std::string() : DecodeCursor(cursor);
  QueryResult r = NewestFirst(ddb_, table_, "GRP#" + user_uuid, upper, std::clamp(limit, 1, 100));
  Page<MessageGroup> page;
  for (const auto& item : r.items) page.items.push_back(MessageGroupFromItem(item));
  if (r.more && !page.items.empty()) {
    page.next_cursor = EncodeCursor(page.items.back().created_at);
  }
  return page;
}

std::vector<std::string> MessageStore::Members(const std::string& group_uuid) const {
  std::vector<Item> group_items = GroupItems(ddb_, table_, group_uuid);
  std::vector<std::string> members;
  for (const auto& item : group_items) {
    const std::string& pk = Attr(item, "pk");
    if (pk.starts_with("GRP#")) members.push_back(pk.substr(4));
  }
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  return members;
}

std::optional<MessageGroup> MessageStore::FindGroup(const std::string& user_uuid,
                                                    const std::string& group_uuid) const {
  std::vector<Item> group_items = GroupItems(ddb_, table_, group_uuid);
  for (const auto& item : group_items) {
    if (Attr(item, "pk") == "GRP#" + user_uuid) return MessageGroupFromItem(item);
  }
  return std::nullopt;
}

std::optional<std::string> MessageStore::FindConversation(const std::string& user_uuid,
                                                          const std::string& other_uuid) const {
  std::string cursor;
  do {
    auto page = ListMessageGroups(user_uuid, cursor, 100);
    for (const auto& g : page.items) {
      if (g.other.uuid == other_uuid) return g.message_group_uuid;
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  return std::nullopt;
}

Message MessageStore::CreateMessage(const std::string& group_uuid, const UserRef& sender,
                                    const std::string& text) {
  Message m{NewUuidV4(), group_uuid, sender, text, NowTimestamp()};
  // Two messages of one group in the same microsecond would share a key: the condition makes
  // the second one move to the next free microsecond instead of overwriting the first. It also
  // makes the write idempotent: when a retried PutItem (its first attempt committed, but the
  // answer was lost) finds the key taken, the item returned is this very message (its uuid).
  for (int attempt = 0;; ++attempt) {
    Item item = MessageItem(group_uuid, m.message_uuid, sender, text, m.created_at);
    try {
      Call("PutItem", WriteJsonObject([&](JsonWriter& w) {
             WritePutNew(w, table_, item);
             Key(w,
                 "ReturnValuesOnConditionCheckFailure");  // the item found: was it our own write?
             Str(w, "ALL_OLD");
           }));
      return m;
    } catch (const ddb::ApiError& e) {
      if (!IsConditionFailure(e)) throw;
      if (ExistingMessageUuid(e) == m.message_uuid) return m;  // our own earlier attempt
      if (attempt == 5) throw;
      m.created_at = NextMicrosecond(m.created_at);
    }
  }
}

std::string MessageStore::CreateMessageGroup(const UserRef& sender, const UserRef& receiver,
                                             const std::string& text) {
  std::string group_uuid = NewUuidV4();
  std::string now = NowTimestamp();
  std::vector<Item> items = {GroupItem(sender.uuid, group_uuid, receiver, text, now),
                             GroupItem(receiver.uuid, group_uuid, sender, text, now),
                             MessageItem(group_uuid, NewUuidV4(), sender, text, now)};
  // The group's uuid as ClientRequestToken: a retry of a transaction that committed unseen (its
  // answer lost) succeeds again without writing, instead of failing on its conditions.
  Call("TransactWriteItems", WriteJsonObject([&](JsonWriter& w) {
         Key(w, "ClientRequestToken");
         Str(w, group_uuid);
         Key(w, "TransactItems");
         w.StartArray();
         for (const auto& item : items) WriteTransactPutNew(w, table_, item);
         w.EndArray();
       }));
  return group_uuid;
}

int MessageStore::ApplyMessage(const std::string& group_uuid, const std::string& sent_at,
                               const std::string& text) {
  int moved = 0;
  // A conflicting writer makes the transaction fail; re-reading then shows either a newer
  // message (nothing to do) or the new old position (try again).
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::vector<Item> group_items = GroupItems(ddb_, table_, group_uuid);
    bool conflict = false;
    for (const auto& item : group_items) {
      if (Attr(item, "sk") >= sent_at) continue;  // already shows this or a newer message
      Item moved_item = item;
      moved_item["sk"] = AttributeValue::S(sent_at);
      moved_item["message"] = AttributeValue::S(text);
      try {
        Call("TransactWriteItems", WriteJsonObject([&](JsonWriter& w) {
               Key(w, "TransactItems");
               w.StartArray();
               w.StartObject();
               Key(w, "Delete");
               w.StartObject();
               Key(w, "TableName");
               Str(w, table_);
               Key(w, "Key");
               w.StartObject();
               S(w, "pk", Attr(item, "pk"));
               S(w, "sk", Attr(item, "sk"));
               w.EndObject();
               Key(w, "ConditionExpression");
               Str(w, "attribute_exists(pk)");
               w.EndObject();
               w.EndObject();
               WriteTransactPutNew(w, table_, moved_item);
               w.EndArray();
             }));
        ++moved;
      } catch (const ddb::ApiError& e) {
        if (!IsConditionFailure(e)) throw;
        conflict = true;
      }
    }
    if (!conflict) return moved;
  }
  // Returning would mark the record done with a group item left behind: the stream consumer
  // reads it again on a later poll instead.
  throw std::runtime_error("message group " + group_uuid + " kept changing while moving it to " +
                           sent_at);
}

int MessageStore::ApplyMessageItem(const Item& new_image) {
  const std::string& pk = Attr(new_image, "pk");
  if (!pk.starts_with("MSG#")) return 0;
  return ApplyMessage(pk.substr(4), Attr(new_image, "sk"), Attr(new_image, "message"));
}

void MessageStore::PutRaw(const Item& item) {
  Call("PutItem", WriteJsonObject([&](JsonWriter& w) {
         Key(w, "TableName");
         Str(w, table_);
         Key(w, "Item");
         ddb::WriteItem(w, item);
       }));
}

}  // namespace cruddur
