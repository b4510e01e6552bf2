// Cruddur's users database: the `users` and `activities` tables of the original schema.sql, kept
// either in an embedded SQLite file or in PostgreSQL, behind one interface.
//
// Differences from the original (original-system.md, sections 4 and 8):
// - `users.handle` is UNIQUE, so a handle names at most one user;
// - timestamps are UTC (TIMESTAMP columns hold UTC wall time; SQLite stores ISO-8601 text);
// - the seed creates all three users;
// - every query is parameterised.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cruddur {

struct User {
  std::string uuid;
  std::string display_name;
  std::string handle;
  std::string email;
  std::string cognito_user_id;
  std::string created_at;  // ISO-8601 UTC, e.g. 2023-03-20T22:52:11.123456+00:00
};

// The two participants of a new message (the original create_message_users.sql).
struct MessageUsers {
  std::optional<User> sender;    // the user whose cognito_user_id sent the request
  std::optional<User> receiver;  // the user with the receiver handle
};

// The three seed users of the original seed.sql (all with cognito_user_id "MOCK").
const std::vector<User>& SeedUsers();
inline constexpr std::string_view kSeedActivityMessage = "This was imported as seed data!";

// Raised by every UserStore operation that fails for a reason other than "not found"
// (connection lost, SQL error, duplicate handle...). what() is one line.
class UserStoreError : public std::runtime_error {
 public:
  enum class Kind { kUnavailable, kDuplicateHandle, kOther };
  UserStoreError(Kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// The users repository. Implementations are safe to share between threads (calls are
// serialised on one connection). Lookups that find nothing return std::nullopt.
class UserStore {
 public:
  virtual ~UserStore() = default;

  // Creates the tables if they do not exist (idempotent, never drops data).
  virtual void CreateSchema() = 0;
  // Drops both tables if they exist.
  virtual void DropSchema() = 0;
  // Inserts the seed users that are missing (by handle) and, when andrewbrown is created, the
  // seed activity expiring in 10 days. Returns the number of users created (0 when re-run).
  virtual int Seed() = 0;

  // Creates a user with a new uuid and created_at = now. Throws kDuplicateHandle if the handle
  // is taken.
  virtual User CreateUser(const User& user) = 0;

  virtual std::optional<User> FindByHandle(std::string_view handle) = 0;
  // Several users may share a cognito_user_id (the seed's "MOCK"): the earliest created one
  // (then the smallest handle) is returned, so the answer is deterministic.
  virtual std::optional<User> FindByCognitoUserId(std::string_view cognito_user_id) = 0;
  // A string that is not a uuid finds nothing.
  virtual std::optional<User> FindByUuid(std::string_view uuid) = 0;
  // Every user, ordered by handle.
  virtual std::vector<User> ListUsers() = 0;

  // Sets the cognito_user_id of the user with this handle; false if there is no such user.
  virtual bool UpdateCognitoUserId(std::string_view handle, std::string_view cognito_user_id) = 0;

  // The sender (by cognito_user_id) and the receiver (by handle) of a new message. When they
  // are the same user, both are set; refusing to message oneself is the caller's decision.
  MessageUsers FindMessageUsers(std::string_view sender_cognito_user_id,
                                std::string_view receiver_handle);
};

struct UserStoreConfig {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string sqlite_path;   // kSqlite: the database file (created if missing)
  std::string postgres_url;  // kPostgres: a postgresql:// URL naming the database

  static UserStoreConfig Sqlite(std::string path) { return {Kind::kSqlite, std::move(path), {}}; }
  static UserStoreConfig Postgres(std::string url) { return {Kind::kPostgres, {}, std::move(url)}; }
};

// Opens (connects to) the store. Throws UserStoreError(kUnavailable) with a one-line reason.
std::unique_ptr<UserStore> OpenUserStore(const UserStoreConfig& config);

}  // namespace cruddur
