// The UserStore contract, run against SQLite (always) and PostgreSQL (when
// CRUDDUR_TEST_POSTGRES_URL names a server; each test gets its own database there).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <regex>
#include <thread>
#include <vector>

#include "cruddur/postgres_admin.h"
#include "cruddur/users.h"
#include "cruddur/uuid.h"

namespace cruddur {
namespace {

namespace fs = std::filesystem;

std::string PostgresTestUrl() {
  const char* url = std::getenv("CRUDDUR_TEST_POSTGRES_URL");
  return url != nullptr ? url : "";
}

std::string TempName(std::string_view prefix) {
  std::string uuid = NewUuidV4();
  return std::string(prefix) + uuid.substr(0, 8) + uuid.substr(24);
}

// A database of its own on the test server, dropped at the end; url() is empty without one
// (CRUDDUR_TEST_POSTGRES_URL unset). Stores opened on it must close first (declared after it).
class TempPostgresDatabase {
 public:
  TempPostgresDatabase() {
    const std::string base = PostgresTestUrl();
    if (base.empty()) return;
    url_ = WithPostgresDatabase(base, TempName("cruddur_test_"));
    CreatePostgresDatabase(url_);
  }
  ~TempPostgresDatabase() {
    if (url_.empty()) return;
    try {
      DropPostgresDatabase(url_);
    } catch (const UserStoreError& e) {
      ADD_FAILURE() << e.what();
    }
  }
  TempPostgresDatabase(const TempPostgresDatabase&) = delete;
  TempPostgresDatabase& operator=(const TempPostgresDatabase&) = delete;

  const std::string& url() const { return url_; }

 private:
  std::string url_;
};

class UserStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = fs::temp_directory_path() / TempName("cruddur_users_test_");
      fs::create_directories(dir_);
      store_ = OpenUserStore(UserStoreConfig::Sqlite((dir_ / "users.db").string()));
    } else {
      postgres_.emplace();
      if (postgres_->url().empty()) GTEST_SKIP() << "CRUDDUR_TEST_POSTGRES_URL is not set";
      store_ = OpenUserStore(UserStoreConfig::Postgres(postgres_->url()));
    }
    store_->CreateSchema();
  }

  void TearDown() override {
    store_.reset();  // closes the connections, so the database can be dropped
    postgres_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  fs::path dir_;
  std::optional<TempPostgresDatabase> postgres_;
  std::unique_ptr<UserStore> store_;
};

TEST_P(UserStoreTest, SeedCreatesTheThreeOriginalUsers) {
  EXPECT_EQ(store_->Seed(), 3);
  std::vector<User> users = store_->ListUsers();
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0].handle, "andrewbrown");
  EXPECT_EQ(users[0].display_name, "Andrew Brown");
  EXPECT_EQ(users[0].email, "andrew@exampro.co");
  EXPECT_EQ(users[1].handle, "bayko");
  EXPECT_EQ(users[1].display_name, "Andrew Bayko");
  EXPECT_EQ(users[1].email, "bayko@exampro.co");
  EXPECT_EQ(users[2].handle, "londo");
  EXPECT_EQ(users[2].display_name, "Londo Mollari");
  EXPECT_EQ(users[2].email, "lmollari@centari.com");
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00)");
  for (const User& user : users) {
    EXPECT_TRUE(IsUuid(user.uuid)) << user.uuid;
    EXPECT_EQ(user.cognito_user_id, "MOCK");
    EXPECT_TRUE(std::regex_match(user.created_at, iso)) << user.created_at;
  }
  EXPECT_NE(users[0].uuid, users[1].uuid);
}

TEST_P(UserStoreTest, SeedTwiceAddsNothing) {
  EXPECT_EQ(store_->Seed(), 3);
  EXPECT_EQ(store_->Seed(), 0);
  EXPECT_EQ(store_->ListUsers().size(), 3u);
}

TEST_P(UserStoreTest, FindByHandle) {
  store_->Seed();
  std::optional<User> bayko = store_->FindByHandle("bayko");
  ASSERT_TRUE(bayko.has_value());
  EXPECT_EQ(bayko->display_name, "Andrew Bayko");
  EXPECT_FALSE(store_->FindByHandle("nobody").has_value());
  EXPECT_FALSE(store_->FindByHandle("").has_value());
  // Values are parameters, not SQL.
  EXPECT_FALSE(store_->FindByHandle("' OR '1'='1").has_value());
  EXPECT_FALSE(store_->FindByHandle("bayko'; DROP TABLE users; --").has_value());
  EXPECT_EQ(store_->ListUsers().size(), 3u);
}

TEST_P(UserStoreTest, FindByCognitoUserIdIsDeterministicForSharedIds) {
  store_->Seed();
  std::optional<User> mock = store_->FindByCognitoUserId("MOCK");
  ASSERT_TRUE(mock.has_value());
  EXPECT_EQ(mock->handle, "andrewbrown");  // same created_at: the smallest handle wins
  EXPECT_FALSE(store_->FindByCognitoUserId("no-such-sub").has_value());
}

TEST_P(UserStoreTest, FindByUuid) {
  store_->Seed();
  User londo = *store_->FindByHandle("londo");
  std::optional<User> found = store_->FindByUuid(londo.uuid);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->handle, "londo");
  EXPECT_EQ(found->created_at, londo.created_at);
  std::string upper = londo.uuid;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(store_->FindByUuid(upper).has_value());
  EXPECT_FALSE(store_->FindByUuid(NewUuidV4()).has_value());
  EXPECT_FALSE(store_->FindByUuid("not-a-uuid").has_value());
  EXPECT_FALSE(store_->FindByUuid("").has_value());
}

TEST_P(UserStoreTest, UpdateCognitoUserId) {
  store_->Seed();
  EXPECT_TRUE(store_->UpdateCognitoUserId("bayko", "sub-of-bayko"));
  std::optional<User> bayko = store_->FindByCognitoUserId("sub-of-bayko");
  ASSERT_TRUE(bayko.has_value());
  EXPECT_EQ(bayko->handle, "bayko");
  EXPECT_EQ(store_->FindByHandle("londo")->cognito_user_id, "MOCK");
  EXPECT_FALSE(store_->UpdateCognitoUserId("nobody", "sub"));
}

TEST_P(UserStoreTest, CreateUserRejectsATakenHandle) {
  User user{"", "Jean-Luc Picard", "picard", "picard@example.com", "sub-picard", ""};
  User created = store_->CreateUser(user);
  EXPECT_TRUE(IsUuid(created.uuid));
  EXPECT_EQ(created.handle, "picard");
  EXPECT_FALSE(created.created_at.empty());
  EXPECT_EQ(store_->FindByHandle("picard")->uuid, created.uuid);
  EXPECT_EQ(store_->FindByCognitoUserId("sub-picard")->uuid, created.uuid);
  try {
    store_->CreateUser(user);
    FAIL() << "a second 'picard' was created";
  } catch (const UserStoreError& e) {
    EXPECT_EQ(e.kind(), UserStoreError::Kind::kDuplicateHandle);
    EXPECT_NE(std::string(e.what()).find("picard"), std::string::npos);
  }
  EXPECT_EQ(store_->ListUsers().size(), 1u);
}

TEST_P(UserStoreTest, FindMessageUsers) {
  store_->Seed();
  store_->UpdateCognitoUserId("andrewbrown", "sub-andrew");
  MessageUsers users = store_->FindMessageUsers("sub-andrew", "bayko");
  ASSERT_TRUE(users.sender.has_value());
  ASSERT_TRUE(users.receiver.has_value());
  EXPECT_EQ(users.sender->handle, "andrewbrown");
  EXPECT_EQ(users.receiver->handle, "bayko");

  users = store_->FindMessageUsers("sub-andrew", "nobody");
  EXPECT_TRUE(users.sender.has_value());
  EXPECT_FALSE(users.receiver.has_value());

  users = store_->FindMessageUsers("unknown-sub", "bayko");
  EXPECT_FALSE(users.sender.has_value());
  EXPECT_TRUE(users.receiver.has_value());

  users = store_->FindMessageUsers("sub-andrew", "andrewbrown");
  EXPECT_EQ(users.sender->uuid, users.receiver->uuid);

  users = store_->FindMessageUsers("sub-andrew", "");  // update mode: no receiver
  EXPECT_TRUE(users.sender.has_value());
  EXPECT_FALSE(users.receiver.has_value());
}

TEST_P(UserStoreTest, CreateSchemaKeepsDataAndDropSchemaRemovesIt) {
  store_->Seed();
  store_->CreateSchema();
  EXPECT_EQ(store_->ListUsers().size(), 3u);
  store_->DropSchema();
  store_->DropSchema();  // IF EXISTS
  EXPECT_THROW(store_->ListUsers(), UserStoreError);
  store_->CreateSchema();
  EXPECT_TRUE(store_->ListUsers().empty());
}

TEST_P(UserStoreTest, ConcurrentCallersShareTheStore) {
  store_->Seed();
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<int> found(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (store_->FindByHandle(i % 2 == 0 ? "bayko" : "londo").has_value()) ++found[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int count : found) EXPECT_EQ(count, 25);
}

INSTANTIATE_TEST_SUITE_P(Backends, UserStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---- SQLite only ------------------------------------------------------------------------------

class SqliteUserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / TempName("cruddur_sqlite_test_");
    fs::create_directories(dir_);
    path_ = (dir_ / "users.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs a query on a separate connection and returns the first column of each row.
  std::vector<std::string> Query(const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::vector<std::string> rows;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      rows.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SqliteUserStoreTest, UsesWriteAheadLogging) {
  auto store = OpenUserStore(UserStoreConfig::Sqlite(path_));
  store->CreateSchema();
  EXPECT_EQ(Query("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

TEST_F(SqliteUserStoreTest, SeedAddsTheActivityExpiringInTenDays) {
  auto store = OpenUserStore(UserStoreConfig::Sqlite(path_));
  store->CreateSchema();
  store->Seed();
  std::string andrew = store->FindByHandle("andrewbrown")->uuid;
  EXPECT_EQ(Query("SELECT user_uuid FROM activities"), std::vector<std::string>{andrew});
  EXPECT_EQ(Query("SELECT message FROM activities"),
            std::vector<std::string>{"This was imported as seed data!"});
  // expires_at - created_at is 10 days (julianday understands the ISO text).
  EXPECT_EQ(Query("SELECT CAST(round(julianday(expires_at) - julianday(created_at)) AS INTEGER) "
                  "FROM activities"),
            std::vector<std::string>{"10"});
  store->Seed();  // re-running adds no second activity
  EXPECT_EQ(Query("SELECT count(*) FROM activities"), std::vector<std::string>{"1"});
}

TEST_F(SqliteUserStoreTest, HandleIsUniqueInTheSchema) {
  auto store = OpenUserStore(UserStoreConfig::Sqlite(path_));
  store->CreateSchema();
  EXPECT_EQ(Query("SELECT count(*) FROM pragma_index_list('users') WHERE \"unique\" = 1 AND "
                  "origin = 'u'"),
            std::vector<std::string>{"1"});
}

TEST_F(SqliteUserStoreTest, UnopenableFileIsUnavailable) {
  try {
    OpenUserStore(UserStoreConfig::Sqlite((dir_ / "missing" / "dir" / "users.db").string()));
    FAIL() << "opened a file in a missing directory";
  } catch (const UserStoreError& e) {
    EXPECT_EQ(e.kind(), UserStoreError::Kind::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("users.db"), std::string::npos);
  }
}

TEST_F(SqliteUserStoreTest, DataSurvivesReopening) {
  {
    auto store = OpenUserStore(UserStoreConfig::Sqlite(path_));
    store->CreateSchema();
    store->Seed();
  }
  auto store = OpenUserStore(UserStoreConfig::Sqlite(path_));
  EXPECT_EQ(store->ListUsers().size(), 3u);
}

// ---- PostgreSQL only --------------------------------------------------------------------------

TEST(PostgresUserStoreTest, UnreachableServerIsUnavailableAndThePasswordIsHidden) {
  try {
    OpenUserStore(UserStoreConfig::Postgres("postgresql://postgres:s3cret@127.0.0.1:1/cruddur"));
    FAIL() << "connected to port 1";
  } catch (const UserStoreError& e) {
    std::string message = e.what();
    EXPECT_EQ(e.kind(), UserStoreError::Kind::kUnavailable);
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find("postgres:***@127.0.0.1:1"), std::string::npos) << message;
  }
}

// A server that takes the connection and never answers (a hung PostgreSQL, a proxy with no
// backend) fails the connection after the default connect_timeout, 5 s, where libpq alone waits
// forever, holding one of the store's connections meanwhile.
TEST(PostgresUserStoreTest, AServerThatNeverAnswersTimesOut) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  ASSERT_EQ(::bind(listener, generic, length), 0);
  ASSERT_EQ(::listen(listener, 8), 0);  // the kernel completes handshakes; nothing is read
  ASSERT_EQ(::getsockname(listener, generic, &length), 0);
  const std::string url =
      "postgresql://postgres:pw@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/db";
  auto opened = std::async(std::launch::async, [&url]() -> std::string {
    try {
      OpenUserStore(UserStoreConfig::Postgres(url));
      return "connected";
    } catch (const UserStoreError& e) {
      return (e.kind() == UserStoreError::Kind::kUnavailable ? "unavailable: " : "other: ") +
             std::string(e.what());
    }
  });
  if (opened.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "still connecting after 60 s";
    std::_Exit(1);  // the connecting thread cannot be stopped
  }
  const std::string outcome = opened.get();
  EXPECT_TRUE(outcome.starts_with("unavailable: ")) << outcome;
  EXPECT_NE(outcome.find("timeout expired"), std::string::npos) << outcome;
  ::close(listener);
}

TEST(PostgresUserStoreTest, CreateAndDropDatabaseQuoteTheName) {
  std::string base = PostgresTestUrl();
  if (base.empty()) GTEST_SKIP() << "CRUDDUR_TEST_POSTGRES_URL is not set";
  // A name that needs quoting: a double quote, a space and upper case.
  std::string url = WithPostgresDatabase(base, TempName("Cruddur \"test\" "));
  CreatePostgresDatabase(url);
  EXPECT_THROW(CreatePostgresDatabase(url), UserStoreError);  // already exists
  {
    auto store = OpenUserStore(UserStoreConfig::Postgres(url));
    store->CreateSchema();
    EXPECT_EQ(store->Seed(), 3);
  }
  std::vector<PostgresSession> sessions = ListPostgresSessions(url);
  EXPECT_FALSE(sessions.empty());
  DropPostgresDatabase(url);
  DropPostgresDatabase(url);  // IF EXISTS
  EXPECT_THROW(OpenUserStore(UserStoreConfig::Postgres(url)), UserStoreError);
}

// Runs `sql` with psql on `url`'s server, connected to `database` as `app` (application_name);
// the first line it prints, or "error" when psql fails.
std::string Psql(const std::string& url, const std::string& database, const std::string& sql,
                 const std::string& app = "psql") {
  const std::string command = "PGAPPNAME=" + app + " psql -qtA -d '" +
                              WithPostgresDatabase(url, database) + "' -c \"" + sql + "\"";
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return "error";
  std::array<char, 256> line{};
  const bool read = std::fgets(line.data(), line.size(), out) != nullptr;
  if (pclose(out) != 0) return "error";
  std::string text = read ? line.data() : "";
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Ends the sessions on `url`'s server that `where` selects from pg_stat_activity, as a restart or
// failover of the server does, and waits until they are gone (pg_terminate_backend's timeout,
// PostgreSQL 14 on). Returns how many, or -1 when psql fails.
int TerminateSessionsWhere(const std::string& url, const std::string& where) {
  // FILTER: only the rows WHERE keeps (a plain AND may end psql's own session first).
  const std::string ended = Psql(url, "postgres",
                                 "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) "
                                 "FROM pg_stat_activity WHERE " +
                                     where);
  return ended == "error" ? -1 : std::atoi(ended.c_str());
}

// Ends every session of `url`'s database.
int TerminateSessions(const std::string& url) {
  return TerminateSessionsWhere(url, "datname = '" + PostgresUrlDatabase(url) + "'");
}

// Polls `sql` (on the postgres database) until it prints `want`, for up to 30 s.
bool PsqlEventually(const std::string& url, const std::string& sql, const std::string& want) {
  for (int i = 0; i < 600; ++i) {
    if (Psql(url, "postgres", sql) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// A store on `url` with the schema and the three seed users.
std::unique_ptr<UserStore> OpenSeeded(const std::string& url) {
  auto store = OpenUserStore(UserStoreConfig::Postgres(url));
  store->CreateSchema();
  EXPECT_EQ(store->Seed(), 3);
  return store;
}

// The store's connection, closed by the server, is replaced by the next call, which succeeds:
// PostgreSQL can restart under a running `cruddur serve`.
TEST(PostgresUserStoreTest, AConnectionTheServerClosedIsReplaced) {
  TempPostgresDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "CRUDDUR_TEST_POSTGRES_URL is not set";
  const std::string& url = db.url();
  auto store = OpenSeeded(url);
  EXPECT_EQ(TerminateSessions(url), 1);
  EXPECT_TRUE(store->FindByHandle("londo").has_value());
  EXPECT_EQ(TerminateSessions(url), 1);
  EXPECT_TRUE(store->UpdateCognitoUserId("londo", "after-restart"));
  EXPECT_EQ(store->FindByHandle("londo")->cognito_user_id, "after-restart");
  EXPECT_EQ(store->ListUsers().size(), 3u);
}

// A call waiting on a lock holds up no other: each runs on a connection of its own.
TEST(PostgresUserStoreTest, ACallWaitingOnALockHoldsUpNoOther) {
  TempPostgresDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "CRUDDUR_TEST_POSTGRES_URL is not set";
  const std::string& url = db.url();
  auto store = OpenSeeded(url);
  const std::string database = PostgresUrlDatabase(url);
  const std::string locker_app = "application_name = 'cruddur-test-locker'";
  std::thread locker;
  std::thread waiting;
  // However the test ends, the locker's session ends and both threads are joined first (a
  // joinable std::thread's destructor would end the process).
  struct Joined {
    std::function<void()> before;
    std::vector<std::thread*> threads;
    ~Joined() {
      before();
      for (std::thread* thread : threads) {
        if (thread->joinable()) thread->join();
      }
    }
  } joined{[&] { TerminateSessionsWhere(url, locker_app); }, {&locker, &waiting}};
  // Another session locks londo's row for up to 60 s.
  locker = std::thread([&] {
    Psql(url, database,
         "BEGIN; SELECT 1 FROM users WHERE handle = 'londo' FOR UPDATE; SELECT pg_sleep(60); "
         "COMMIT;",
         "cruddur-test-locker");
  });
  const std::string locker_waiting = "SELECT count(*) FROM pg_stat_activity WHERE " + locker_app +
                                     " AND query LIKE '%pg_sleep%' AND state = 'active'";
  ASSERT_TRUE(PsqlEventually(url, locker_waiting, "1"));
  // A call that waits for that lock...
  std::atomic<bool> updated{false};
  waiting = std::thread([&] {
    try {
      updated = store->UpdateCognitoUserId("londo", "after-the-lock");
    } catch (const UserStoreError& e) {
      ADD_FAILURE() << e.what();
    }
  });
  const std::string lock_waits = "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                 database + "' AND wait_event_type = 'Lock'";
  EXPECT_TRUE(PsqlEventually(url, lock_waits, "1"));
  // ... while another call reads, and is answered before the lock is let go.
  EXPECT_EQ(store->FindByHandle("bayko")->handle, "bayko");
  EXPECT_FALSE(updated.load());
  EXPECT_EQ(TerminateSessionsWhere(url, locker_app), 1);
  waiting.join();
  EXPECT_TRUE(updated.load());
  EXPECT_EQ(store->FindByHandle("londo")->cognito_user_id, "after-the-lock");
}

TEST(PostgresUserStoreTest, SessionsListTheCallersConnection) {
  TempPostgresDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "CRUDDUR_TEST_POSTGRES_URL is not set";
  const std::string& url = db.url();
  auto store = OpenUserStore(UserStoreConfig::Postgres(url));
  std::vector<PostgresSession> sessions = ListPostgresSessions(url);
  bool seen = false;
  for (const PostgresSession& session : sessions) {
    if (session.db == PostgresUrlDatabase(url)) seen = true;
    EXPECT_FALSE(session.process_id.empty());
  }
  EXPECT_TRUE(seen) << "the store's own session is missing from pg_stat_activity";
}

}  // namespace
}  // namespace cruddur
