// UserStore on an embedded SQLite file: uuids are generated here (SQLite has no uuid type) and
// timestamps are ISO-8601 UTC text, which sorts in time order.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/thread_annotations.h"
#include "cruddur/user_store_internal.h"
#include "cruddur/users.h"
#include "cruddur/uuid.h"

namespace cruddur::internal {

namespace {

constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kCreateSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS users (
  uuid TEXT PRIMARY KEY NOT NULL,
  display_name TEXT NOT NULL,
  handle TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  cognito_user_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS activities (
  uuid TEXT PRIMARY KEY NOT NULL,
  user_uuid TEXT NOT NULL,
  message TEXT NOT NULL,
  replies_count INTEGER DEFAULT 0,
  reposts_count INTEGER DEFAULT 0,
  likes_count INTEGER DEFAULT 0,
  reply_to_activity_uuid INTEGER,
  expires_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_cognito_user_id ON users (cognito_user_id);
)sql";

constexpr const char* kDropSchemaSql = R"sql(
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS activities;
)sql";

constexpr const char* kUserColumns =
    "uuid, display_name, handle, email, cognito_user_id, created_at";

// Time as ISO-8601 UTC with microseconds, e.g. 2023-03-20T22:52:11.123456+00:00.
std::string IsoUtc(std::chrono::system_clock::time_point when) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch());
  std::time_t seconds = static_cast<std::time_t>(micros.count() / 1000000);
  long fraction = static_cast<long>(micros.count() % 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];  // room for any int the compiler can imagine
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
  return text;
}

UserStoreError::Kind KindOf(int code) {
  int primary = code & 0xff;  // extended result codes are on
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_CANTOPEN) {
    return UserStoreError::Kind::kUnavailable;
  }
  return UserStoreError::Kind::kOther;
}

UserStoreError ErrorFrom(sqlite3* db, int code, const std::string& what) {
  int extended = db != nullptr ? sqlite3_extended_errcode(db) : code;
  std::string message = what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  if (extended == SQLITE_CONSTRAINT_UNIQUE) {
    return UserStoreError(UserStoreError::Kind::kDuplicateHandle, message);
  }
  return UserStoreError(KindOf(code), message);
}

// One prepared statement; values are bound, never spliced into the SQL.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw ErrorFrom(db, rc, "sqlite prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, std::string_view text) {
    int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                               SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) throw ErrorFrom(db_, rc, "sqlite bind");
    return *this;
  }

  // True while there is a row to read; false when done.
  bool Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw ErrorFrom(db_, rc, "sqlite");
  }

  std::string Text(int column) const {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

  User ReadUser() const { return User{Text(0), Text(1), Text(2), Text(3), Text(4), Text(5)}; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteUserStore : public UserStore {
 public:
  explicit SqliteUserStore(const std::string& path) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw UserStoreError(UserStoreError::Kind::kUnavailable,
                           "cannot open SQLite database " + path + ": " + reason);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
      // WAL lets readers (e.g. `cruddur serve`) run while the CLI writes.
      Execute("PRAGMA journal_mode=WAL", "cannot enable WAL on " + path);
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
  }
  ~SqliteUserStore() override { sqlite3_close(db_); }

  void CreateSchema() override {
    MutexLock lock(mutex_);
    Execute(kCreateSchemaSql, "create schema");
  }

  void DropSchema() override {
    MutexLock lock(mutex_);
    Execute(kDropSchemaSql, "drop schema");
  }

  int Seed() override {
    MutexLock lock(mutex_);
    Transaction tx(*this);
    auto now = std::chrono::system_clock::now();
    std::string created_at = IsoUtc(now);
    int created = 0;
    for (const User& seed : SeedUsers()) {
      std::string uuid = NewUuidV4();
      Statement insert(
          db_,
          "INSERT INTO users (uuid, display_name, handle, email, cognito_user_id, "
          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (handle) DO NOTHING");
      insert.Bind(1, uuid).Bind(2, seed.display_name).Bind(3, seed.handle).Bind(4, seed.email);
      insert.Bind(5, seed.cognito_user_id).Bind(6, created_at).Step();
      if (sqlite3_changes(db_) == 0) continue;
      ++created;
      if (seed.handle == "andrewbrown") {
        Statement activity(db_,
                           "INSERT INTO activities (uuid, user_uuid, message, expires_at, "
                           "created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
        activity.Bind(1, NewUuidV4()).Bind(2, uuid).Bind(3, kSeedActivityMessage);
        activity.Bind(4, IsoUtc(now + std::chrono::hours(24 * 10))).Bind(5, created_at).Step();
      }
    }
    tx.Commit();
    return created;
  }

  User CreateUser(const User& user) override {
    MutexLock lock(mutex_);
    User created = user;
    created.uuid = NewUuidV4();
    created.created_at = IsoUtc(std::chrono::system_clock::now());
    Statement insert(db_,
                     "INSERT INTO users (uuid, display_name, handle, email, cognito_user_id, "
                     "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    insert.Bind(1, created.uuid).Bind(2, created.display_name).Bind(3, created.handle);
    insert.Bind(4, created.email).Bind(5, created.cognito_user_id).Bind(6, created.created_at);
    try {
      insert.Step();
    } catch (const UserStoreError& e) {
      if (e.kind() == UserStoreError::Kind::kDuplicateHandle) {
        throw UserStoreError(e.kind(), "handle '" + user.handle + "' is already taken");
      }
      throw;
    }
    return created;
  }

  std::optional<User> FindByHandle(std::string_view handle) override {
    return FindOne(std::string("SELECT ") + kUserColumns + " FROM users WHERE handle = ?1", handle);
  }

  std::optional<User> FindByCognitoUserId(std::string_view cognito_user_id) override {
    return FindOne(std::string("SELECT ") + kUserColumns +
                       " FROM users WHERE cognito_user_id = ?1 ORDER BY created_at, handle LIMIT 1",
                   cognito_user_id);
  }

  std::optional<User> FindByUuid(std::string_view uuid) override {
    if (!IsUuid(uuid)) return std::nullopt;
    return FindOne(std::string("SELECT ") + kUserColumns + " FROM users WHERE uuid = lower(?1)",
                   uuid);
  }

  std::vector<User> ListUsers() override {
    MutexLock lock(mutex_);
    std::string sql = std::string("SELECT ") + kUserColumns + " FROM users ORDER BY handle";
    Statement select(db_, sql.c_str());
    std::vector<User> users;
    while (select.Step()) users.push_back(select.ReadUser());
    return users;
  }

  bool UpdateCognitoUserId(std::string_view handle, std::string_view cognito_user_id) override {
    MutexLock lock(mutex_);
    Statement update(db_, "UPDATE users SET cognito_user_id = ?1 WHERE handle = ?2");
    update.Bind(1, cognito_user_id).Bind(2, handle).Step();
    return sqlite3_changes(db_) > 0;
  }

 private:
  // BEGIN IMMEDIATE takes the write lock up front, so a busy database waits (busy timeout)
  // instead of failing half-way; anything not committed is rolled back.
  class Transaction {
   public:
    explicit Transaction(SqliteUserStore& store) : store_(store) {
      store_.Execute("BEGIN IMMEDIATE", "begin transaction");
    }
    ~Transaction() {
      if (!done_) sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void Commit() {
      store_.Execute("COMMIT", "commit");
      done_ = true;
    }

   private:
    SqliteUserStore& store_;
    bool done_ = false;
  };

  // Runs constant SQL (no values).
  void Execute(const char* sql, const std::string& what) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string reason = error != nullptr ? error : sqlite3_errstr(rc);
      sqlite3_free(error);
      throw UserStoreError(KindOf(rc), what + ": " + reason);
    }
  }

  std::optional<User> FindOne(const std::string& sql, std::string_view value) {
    MutexLock lock(mutex_);
    Statement select(db_, sql.c_str());
    select.Bind(1, value);
    if (!select.Step()) return std::nullopt;
    return select.ReadUser();
  }

  Mutex mutex_;  // one connection, one caller at a time
  sqlite3* db_ PT_GUARDED_BY(mutex_) = nullptr;
};

}  // namespace

std::unique_ptr<UserStore> OpenSqliteUserStore(const std::string& path) {
  return std::make_unique<SqliteUserStore>(path);
}

}  // namespace cruddur::internal
