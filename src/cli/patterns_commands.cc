// `cruddur ddb patterns ...`: access patterns A (a conversation's messages) and B (a user's
// conversations), as the original bin/ddb/patterns/* scripts ran them, with paging.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "cruddur/message_json.h"
#include "cruddur/messages.h"
#include "cruddur/seed.h"
#include "cruddur/uuid.h"
#include "ddb/json.h"
#include "encoding/json.h"

namespace cruddur::cli {

namespace {

using ddb::JsonWriter;
using encoding::WriteStringField;

void WriteUser(JsonWriter& w, const UserRef& user) {
  WriteStringField(w, "user_uuid", user.uuid);
  WriteStringField(w, "user_display_name", user.display_name);
  WriteStringField(w, "user_handle", user.handle);
}

// The original's line: handle padded to 12, time padded to 22, the text's first 40 characters.
std::string Line(const std::string& handle, const std::string& time, const std::string& text) {
  std::string h = handle, t = DisplayTime(time);
  if (h.size() < 12) h.append(12 - h.size(), ' ');
  if (t.size() < 22) t.append(22 - t.size(), ' ');
  return h + t + FirstChars(text, 40) + "...";
}

// The word `prod` may come where the group uuid or handle would (the original scripts took
// `prod` as their only argument).
void TakeProdWord(DdbTargetOptions& target, std::string& positional, std::string& extra,
                  std::string_view fallback) {
  if (positional == "prod") {
    target.prod_word = "prod";
    positional = extra;
    extra.clear();
  }
  if (!extra.empty()) {
    if (extra != "prod") throw CliError("unexpected argument '" + extra + "'");
    target.prod_word = "prod";
  }
  if (positional.empty()) positional = fallback;
}

struct GetConversationOptions {
  DdbTargetOptions target;
  std::string group;
  std::string extra;
  std::string year;
  std::string since;
  std::string before;
  std::string cursor;
  int limit = 20;
};

// A time as messages carry it (2026-11-01T09:00:00.123456Z), or any leading part of one down
// to the year: messages are compared with it as text.
bool IsMessageTime(const std::string& text) {
  static const std::regex kTime(
      R"(\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d)"
      R"((\.\d{1,9})?)?)?)?)?)?(Z|\+00:00)?)");
  return std::regex_match(text, kTime);
}

// Refuses, as a usage error (exit 2), arguments that would only ever match nothing.
void CheckConversationArguments(const GetConversationOptions& o) {
  if (!IsUuid(o.group)) {
    throw CliError("GROUP_UUID '" + o.group +
                       "' is not a message group uuid (see "
                       "`cruddur ddb patterns list-conversations`)",
                   2);
  }
  if (!o.year.empty() && (o.year.size() != 4 || !IsMessageTime(o.year))) {
    throw CliError("year must have four digits", 2);
  }
  for (const auto& [flag, value] : {std::pair{"--since", &o.since}, {"--before", &o.before}}) {
    if (!value->empty() && !IsMessageTime(*value)) {
      throw CliError(std::string(flag) + " '" + *value +
                         "' is not a UTC time such as 2026-11-01, "
                         "2026-11-01T09:00 or a created_at the command printed",
                     2);
    }
  }
}

void GetConversation(const GlobalOptions& globals, GetConversationOptions options) {
  std::string table = MessageTableName(options.target);
  RunDdbCommand(
      [&] {
        TakeProdWord(options.target, options.group, options.extra, kSeedGroupUuid);
        CheckConversationArguments(options);
        const bool json = options.target.json;
        if (!json) DdbBanner("ddb-patterns-get-conversation");
        DdbTarget target = OpenDdbTarget(globals, options.target, DataDirUse::kReadExisting);
        MessageStore store(*target.client, table);
        MessageQuery query;
        query.year = options.year;
        query.since = options.since;
        query.before = options.before;
        query.cursor = options.cursor;
        query.limit = options.limit;
        Page<Message> page = store.ListMessages(options.group, query);
        if (json) {
          ddb::JsonBuffer buf;
          JsonWriter w(buf);
          w.StartObject();
          w.Key("items");
          w.StartArray();
          for (const Message& m : page.items) {
            w.StartObject();
            WriteMessageMembers(w, m, WriteUser);
            w.EndObject();
          }
          w.EndArray();
          w.Key("next_cursor");
          if (page.next_cursor.empty()) {
            w.Null();
          } else {
            w.String(page.next_cursor.c_str());
          }
          w.EndObject();
          std::printf("%s\n", buf.GetString());
          return;
        }
        for (const Message& m : page.items) {
          std::printf("%s\n", Line(m.sender.handle, m.created_at, m.message).c_str());
        }
        if (page.items.empty()) {
          std::printf("(no messages in group %s match)\n", options.group.c_str());
        } else if (page.next_cursor.empty()) {
          std::printf("(start of the conversation)\n");
        } else {
          std::printf("older messages: cruddur ddb patterns get-conversation %s --before %s\n",
                      options.group.c_str(), page.items.front().created_at.c_str());
        }
      },
      "table " + table + ": run `cruddur ddb schema-load` first");
}

struct ListConversationsOptions {
  DdbTargetOptions target;
  std::string handle;
  std::string extra;
};

void ListConversations(const GlobalOptions& globals, ListConversationsOptions options) {
  std::string table = MessageTableName(options.target);
  RunDdbCommand(
      [&] {
        TakeProdWord(options.target, options.handle, options.extra, "andrewbrown");
        const bool json = options.target.json;
        if (!json) DdbBanner("ddb-patterns-list-conversations");
        std::string where;
        auto users = OpenExistingUsers(globals, options.target.prod(), &where);
        std::optional<User> me = users->FindByHandle(options.handle);
        if (!me) throw CliError("no user " + options.handle + " in " + where);
        users.reset();
        DdbTarget target = OpenDdbTarget(globals, options.target, DataDirUse::kReadExisting);
        MessageStore store(*target.client, table);
        std::vector<MessageGroup> groups;
        std::string cursor;
        do {  // every page: the original read one unbounded page
          Page<MessageGroup> page = store.ListMessageGroups(me->uuid, cursor, 100);
          groups.insert(groups.end(), page.items.begin(), page.items.end());
          cursor = page.next_cursor;
        } while (!cursor.empty());
        if (json) {
          ddb::JsonBuffer buf;
          JsonWriter w(buf);
          w.StartObject();
          WriteStringField(w, "my_uuid", me->uuid);
          w.Key("items");
          w.StartArray();
          for (const MessageGroup& g : groups) {
            w.StartObject();
            WriteMessageGroupMembers(w, g, WriteUser);
            w.EndObject();
          }
          w.EndArray();
          w.EndObject();
          std::printf("%s\n", buf.GetString());
          return;
        }
        std::printf("my-uuid: %s\n", me->uuid.c_str());
        for (const MessageGroup& g : groups) {
          std::printf("%s  %s\n", Line(g.other.handle, g.created_at, g.message).c_str(),
                      g.message_group_uuid.c_str());
        }
        std::printf("(%zu conversation%s)\n", groups.size(), groups.size() == 1 ? "" : "s");
      },
      "table " + table + ": run `cruddur ddb schema-load` first");
}

void AddGetConversation(CLI::App& patterns, GlobalOptions& globals) {
  auto options = std::make_shared<GetConversationOptions>();
  CLI::App* cmd = patterns.add_subcommand(
      "get-conversation",
      "Pattern A: a conversation's newest messages, oldest first, with the command to page back");
  cmd->add_option("GROUP_UUID", options->group,
                  "The message group (default: the seed's " + std::string(kSeedGroupUuid) + ")");
  cmd->add_option("prod", options->extra, "Same as --prod (the original scripts' argument)");
  AddDdbTargetFlags(*cmd, options->target, true, true);
  CLI::Option* year = cmd->add_option("--year", options->year, "Only messages of this year (UTC)")
                          ->type_name("YYYY");
  CLI::Option* since =
      cmd->add_option("--since", options->since,
                      "Only messages sent at or after this time (UTC, e.g. 2026-11-01 or "
                      "2026-11-01T09:00)")
          ->type_name("TIME");
  year->excludes(since);
  cmd->add_option("--before", options->before,
                  "Only messages sent before this time (a time the last line printed)")
      ->type_name("TIME");
  cmd->add_option("--cursor", options->cursor, "Continue from a --json next_cursor")
      ->type_name("CURSOR");
  cmd->add_option("--limit", options->limit, "How many messages (1-100)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->callback([&globals, options] { GetConversation(globals, *options); });
}

void AddListConversations(CLI::App& patterns, GlobalOptions& globals) {
  auto options = std::make_shared<ListConversationsOptions>();
  CLI::App* cmd = patterns.add_subcommand(
      "list-conversations",
      "Pattern B: a user's conversations (users database for the uuid), most recent first");
  cmd->add_option("HANDLE", options->handle, "Whose conversations (default: andrewbrown)");
  cmd->add_option("prod", options->extra, "Same as --prod (the original scripts' argument)");
  AddDdbTargetFlags(*cmd, options->target, true, true);
  cmd->callback([&globals, options] { ListConversations(globals, *options); });
}

}  // namespace

void AddDdbPatternsCommands(CLI::App& ddb, GlobalOptions& globals) {
  CLI::App* patterns =
      AddCommandGroup(ddb, "patterns", "The access patterns of the messages table, run by hand");
  AddGetConversation(*patterns, globals);
  AddListConversations(*patterns, globals);
}

}  // namespace cruddur::cli
