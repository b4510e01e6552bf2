// Seed data of the messaging table: the conversation between andrewbrown and bayko that the
// original shipped (with our own text), and synthetic conversations for large data sets.
#pragma once

#include <functional>
#include <string>

#include "cruddur/messages.h"

namespace cruddur {

// The group uuid the original seed and scripts used.
inline constexpr std::string_view kSeedGroupUuid = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399";

struct SeedOptions {
  // Messages in all; the first ones form the scripted conversation (about a hundred), the rest
  // go into synthetic conversations of 100 messages each between generated member uuids.
  long total_messages = 0;  // 0: just the scripted conversation
  // Called after each batch with (messages written, total).
  std::function<void(long, long)> progress;
};

struct SeedResult {
  long messages = 0;
  long groups = 0;
};

// The scripted conversation's lines, alternating andrewbrown (even) and bayko (odd).
const std::vector<std::string_view>& SeedConversation();

// Writes the seed: message i of the scripted conversation is sent one minute after message
// i-1, ending now (so no message lies in the future), and both group items point at the last
// message. Writes go out in BatchWriteItem calls of 25, retrying unprocessed items.
SeedResult Seed(client::DynamoDbClient& ddb, const std::string& table, const UserRef& andrew,
                const UserRef& bayko, const SeedOptions& options);

}  // namespace cruddur
