#include "cruddur/users.h"

#include "cruddur/user_store_internal.h"

namespace cruddur {

const std::vector<User>& SeedUsers() {
  static const std::vector<User> kUsers = {
      {"", "Andrew Brown", "andrewbrown", "andrew@exampro.co", "MOCK", ""},
      {"", "Andrew Bayko", "bayko", "bayko@exampro.co", "MOCK", ""},
      {"", "Londo Mollari", "londo", "lmollari@centari.com", "MOCK", ""},
  };
  return kUsers;
}

MessageUsers UserStore::FindMessageUsers(std::string_view sender_cognito_user_id,
                                         std::string_view receiver_handle) {
  MessageUsers users;
  users.sender = FindByCognitoUserId(sender_cognito_user_id);
  if (!receiver_handle.empty()) users.receiver = FindByHandle(receiver_handle);
  return users;
}

std::unique_ptr<UserStore> OpenUserStore(const UserStoreConfig& config) {
  switch (config.kind) {
    case UserStoreConfig::Kind::kSqlite:
      return internal::OpenSqliteUserStore(config.sqlite_path);
    case UserStoreConfig::Kind::kPostgres:
      return internal::OpenPostgresUserStore(config.postgres_url);
  }
  throw UserStoreError(UserStoreError::Kind::kOther, "unknown user store kind");
}

namespace internal {

std::string FirstLine(std::string_view text) {
  std::size_t end = text.find_first_of("\r\n");
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
  return line;
}

}  // namespace internal

}  // namespace cruddur
