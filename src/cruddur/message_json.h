// Messages and message groups as JSON objects: the members the message cache and the CLI's
// --json output share. Each names a message's user in its own way, so the caller writes it.
#pragma once

#include <string>

#include "cruddur/messages.h"
#include "encoding/json.h"

namespace cruddur {

// The members a message and a group share: the group, the user (by `write_user(w, user)`), the
// text and the time.
template <typename WriteUser>
void WriteConversationMembers(encoding::JsonTextWriter& w, const std::string& group_uuid,
                              const UserRef& user, const std::string& text,
                              const std::string& created_at, WriteUser&& write_user) {
  encoding::WriteStringField(w, "message_group_uuid", group_uuid);
  write_user(w, user);
  encoding::WriteStringField(w, "message", text);
  encoding::WriteStringField(w, "created_at", created_at);
}

template <typename WriteUser>
void WriteMessageGroupMembers(encoding::JsonTextWriter& w, const MessageGroup& g,
                              WriteUser&& write_user) {
  WriteConversationMembers(w, g.message_group_uuid, g.other, g.message, g.created_at, write_user);
}

template <typename WriteUser>
void WriteMessageMembers(encoding::JsonTextWriter& w, const Message& m, WriteUser&& write_user) {
  encoding::WriteStringField(w, "message_uuid", m.message_uuid);
  WriteConversationMembers(w, m.message_group_uuid, m.sender, m.message, m.created_at, write_user);
}

}  // namespace cruddur
