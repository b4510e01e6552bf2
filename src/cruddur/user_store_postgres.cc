// UserStore on PostgreSQL through libpq, and the server-level operations of postgres_admin.h.
// Values always travel as query parameters ($1, $2...); the only identifier ever put into SQL
// text (a database name) goes through the server's identifier quoting.
//
// libpq is loaded with dlopen on first use, not linked: its dependencies (Kerberos, LDAP, GnuTLS,
// SASL...) cost every start of `cruddur` ~2.5 ms and ~3.5 MB of RSS, and only a postgresql://
// users database needs it (issue 21, bench/footprint_findings.md).
#include <dlfcn.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "cruddur/postgres_admin.h"
#include "cruddur/user_store_internal.h"
#include "cruddur/users.h"
#include "cruddur/uuid.h"

namespace cruddur {

namespace {

using internal::FirstLine;
// gen_random_uuid() is built in since PostgreSQL 13, so no extension (and no superuser) is needed.
// TIMESTAMP columns hold UTC wall time whatever the session's TimeZone is.
constexpr const char* kCreateSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS public.users (
  uuid UUID DEFAULT gen_random_uuid() PRIMARY KEY,
  display_name text NOT NULL,
  handle text NOT NULL UNIQUE,
  email text NOT NULL,
  cognito_user_id text NOT NULL,
  created_at TIMESTAMP DEFAULT (current_timestamp AT TIME ZONE 'UTC') NOT NULL
);
CREATE TABLE IF NOT EXISTS public.activities (
  uuid UUID DEFAULT gen_random_uuid() PRIMARY KEY,
  user_uuid UUID NOT NULL,
  message text NOT NULL,
  replies_count integer DEFAULT 0,
  reposts_count integer DEFAULT 0,
  likes_count integer DEFAULT 0,
  reply_to_activity_uuid integer,
  expires_at TIMESTAMP,
  created_at TIMESTAMP DEFAULT (current_timestamp AT TIME ZONE 'UTC') NOT NULL
);
CREATE INDEX IF NOT EXISTS users_cognito_user_id ON public.users (cognito_user_id);
)sql";

constexpr const char* kDropSchemaSql = R"sql(
DROP TABLE IF EXISTS public.users;
DROP TABLE IF EXISTS public.activities;
)sql";

using Kind = UserStoreError::Kind;

// The libpq functions used here, resolved once from libpq.so.5.
struct Libpq {
  decltype(&PQconnectdbParams) connectdb_params;
  decltype(&PQstatus) status;
  decltype(&PQtransactionStatus) transaction_status;
  decltype(&PQerrorMessage) error_message;
  decltype(&PQfinish) finish;
  decltype(&PQsetNoticeProcessor) set_notice_processor;
  decltype(&PQexec) exec;
  decltype(&PQexecParams) exec_params;
  decltype(&PQresultStatus) result_status;
  decltype(&PQresultErrorMessage) result_error_message;
  decltype(&PQresultErrorField) result_error_field;
  decltype(&PQclear) clear;
  decltype(&PQntuples) ntuples;
  decltype(&PQgetvalue) getvalue;
  decltype(&PQgetisnull) getisnull;
  decltype(&PQcmdTuples) cmd_tuples;
  decltype(&PQescapeIdentifier) escape_identifier;
  decltype(&PQfreemem) freemem;
};

constexpr const char* kLibpqName = "libpq.so.5";

Libpq LoadLibpq() {
  // Never closed: the functions stay in use for the life of the process.
  void* handle = dlopen(kLibpqName, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw UserStoreError(Kind::kUnavailable,
                         std::string("cannot load the PostgreSQL client library: ") + dlerror());
  }
  auto resolve = [handle](const char* name, auto& fn) {
    void* symbol = dlsym(handle, name);
    if (symbol == nullptr) {
      throw UserStoreError(Kind::kUnavailable, std::string(kLibpqName) + " lacks " + name);
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(symbol);
  };
  Libpq pq{};
  resolve("PQconnectdbParams", pq.connectdb_params);
  resolve("PQstatus", pq.status);
  resolve("PQtransactionStatus", pq.transaction_status);
  resolve("PQerrorMessage", pq.error_message);
  resolve("PQfinish", pq.finish);
  resolve("PQsetNoticeProcessor", pq.set_notice_processor);
  resolve("PQexec", pq.exec);
  resolve("PQexecParams", pq.exec_params);
  resolve("PQresultStatus", pq.result_status);
  resolve("PQresultErrorMessage", pq.result_error_message);
  resolve("PQresultErrorField", pq.result_error_field);
  resolve("PQclear", pq.clear);
  resolve("PQntuples", pq.ntuples);
  resolve("PQgetvalue", pq.getvalue);
  resolve("PQgetisnull", pq.getisnull);
  resolve("PQcmdTuples", pq.cmd_tuples);
  resolve("PQescapeIdentifier", pq.escape_identifier);
  resolve("PQfreemem", pq.freemem);
  return pq;
}

// A failed load throws, and the next call tries again (a function-local static's initialisation).
const Libpq& Pq() {
  static const Libpq kLibpq = LoadLibpq();
  return kLibpq;
}

// One statement's result, in text form.
class Result {
 public:
  explicit Result(PGresult* result) : result_(result) {}
  ~Result() { Pq().clear(result_); }
  Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  PGresult* raw() const { return result_; }

  int rows() const { return Pq().ntuples(result_); }
  bool empty() const { return rows() == 0; }
  bool IsNull(int row, int column) const { return Pq().getisnull(result_, row, column) != 0; }
  std::string Text(int row, int column) const { return Pq().getvalue(result_, row, column); }
  // The row count of an INSERT, UPDATE or DELETE.
  int affected_rows() const { return std::atoi(Pq().cmd_tuples(result_)); }

 private:
  PGresult* result_;
};

// Same text form as the SQLite store.
#define CRUDDUR_USER_COLUMNS                                   \
  "uuid::text, display_name, handle, email, cognito_user_id, " \
  "to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"

User ReadUser(const Result& r, int row) {
  return User{r.Text(row, 0), r.Text(row, 1), r.Text(row, 2),
              r.Text(row, 3), r.Text(row, 4), r.Text(row, 5)};
}

// Connection parameters the URL may override (its own come after them). libpq waits forever by
// default for a server that takes the connection and never answers, and notices a dead peer of
// an idle connection after hours; the call waiting holds one of the store's connections.
constexpr std::array<const char*, 5> kDefaultKeywords = {
    "connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count", "dbname"};
constexpr std::array<const char*, 4> kDefaultValues = {"5", "30", "10", "3"};

PGconn* Connect(const std::string& url) {
  std::array<const char*, kDefaultKeywords.size() + 1> keywords{};
  std::array<const char*, kDefaultKeywords.size() + 1> values{};
  std::copy(kDefaultKeywords.begin(), kDefaultKeywords.end(), keywords.begin());
  std::copy(kDefaultValues.begin(), kDefaultValues.end(), values.begin());
  values[kDefaultValues.size()] = url.c_str();  // dbname: the URL, expanded
  return Pq().connectdb_params(keywords.data(), values.data(), /*expand_dbname=*/1);
}

// One connection. Every failure throws UserStoreError with the server's one-line reason.
class Connection {
 public:
  explicit Connection(const std::string& url) : conn_(Connect(url)) {
    if (conn_ == nullptr || Pq().status(conn_) != CONNECTION_OK) {
      std::string reason =
          conn_ != nullptr ? FirstLine(Pq().error_message(conn_)) : "out of memory";
      Pq().finish(conn_);
      throw UserStoreError(Kind::kUnavailable, "cannot connect to PostgreSQL at " +
                                                   RedactPostgresUrl(url) + ": " + reason);
    }
    // Notices ("relation already exists, skipping") are not the command's output.
    Pq().set_notice_processor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~Connection() { Pq().finish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (several statements when there are no parameters) with $1, $2... bound to `params`.
  Result Exec(const char* sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const std::string& param : params) values.push_back(param.c_str());
    Result result(params.empty() ? Pq().exec(conn_, sql)
                                 : Pq().exec_params(conn_, sql, static_cast<int>(values.size()),
                                                    nullptr, values.data(), nullptr, nullptr, 0));
    ThrowIfFailed(result);
    return result;
  }

  // The identifier quoted for SQL text.
  std::string QuoteName(const std::string& name) {
    char* quoted = Pq().escape_identifier(conn_, name.data(), name.size());
    if (quoted == nullptr) throw UserStoreError(Kind::kOther, FirstLine(Pq().error_message(conn_)));
    std::string text = quoted;
    Pq().freemem(quoted);
    return text;
  }

  // Whether the server has closed the connection (a restart, a failover, an idle timeout, a
  // terminated backend). libpq sees it only once a statement meets it.
  bool broken() const { return Pq().status(conn_) == CONNECTION_BAD; }
  // Connected, and in no transaction: ready for the next call.
  bool ready() const { return !broken() && Pq().transaction_status(conn_) == PQTRANS_IDLE; }

  // Runs `fn(*this)` in one transaction opened by `begin`, committed if it returns normally.
  template <typename Fn>
  auto InTransaction(const char* begin, Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    Exec(begin);
    return Begun(fn);
  }

  // Runs `fn(*this)` in the transaction just begun, committed if it returns normally.
  template <typename Fn>
  auto Begun(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    try {
      if constexpr (std::is_void_v<decltype(fn(*this))>) {
        fn(*this);
        Exec("COMMIT");
      } else {
        auto result = fn(*this);
        Exec("COMMIT");
        return result;
      }
    } catch (...) {
      Pq().clear(Pq().exec(conn_, "ROLLBACK"));  // best effort: the first error is the one reported
      throw;
    }
  }

 private:
  void ThrowIfFailed(const Result& result) {
    PGresult* raw = result.raw();
    ExecStatusType status = Pq().result_status(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    const char* state = raw != nullptr ? Pq().result_error_field(raw, PG_DIAG_SQLSTATE) : nullptr;
    Kind kind = Kind::kOther;
    if (state != nullptr && std::string_view(state) == "23505") {  // unique_violation
      kind = Kind::kDuplicateHandle;
    } else if (Pq().status(conn_) == CONNECTION_BAD) {
      kind = Kind::kUnavailable;
    }
    const char* message = raw != nullptr ? Pq().result_error_message(raw) : "";
    if (*message == '\0') message = Pq().error_message(conn_);
    throw UserStoreError(kind, FirstLine(message));
  }

  PGconn* conn_;
};

// Adds `what` to the reason of a failure of `fn`.
template <typename Fn>
auto Translate(const std::string& what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const UserStoreError& e) {
    throw UserStoreError(e.kind(), what + ": " + e.what());
  } catch (const std::exception& e) {
    throw UserStoreError(Kind::kOther, what + ": " + FirstLine(e.what()));
  }
}

class PostgresUserStore : public UserStore {
 public:
  // Opens one connection at once, so that a wrong URL fails here; more open as concurrent calls
  // need them.
  explicit PostgresUserStore(const std::string& url) : url_(url) {
    auto first = std::make_unique<Connection>(url);
    MutexLock lock(mutex_);
    idle_.push_back(std::move(first));
    open_ = 1;
  }

  void CreateSchema() override {
    Run("create schema", [&](Connection& tx) { tx.Exec(kCreateSchemaSql); });
  }

  void DropSchema() override {
    Run("drop schema", [&](Connection& tx) { tx.Exec(kDropSchemaSql); });
  }

  int Seed() override {
    return Run("seed", [&](Connection& tx) {
      int created = 0;
      for (const User& seed : SeedUsers()) {
        Result inserted = tx.Exec(
            "INSERT INTO public.users (display_name, email, handle, cognito_user_id) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (handle) DO NOTHING RETURNING uuid::text",
            {seed.display_name, seed.email, seed.handle, seed.cognito_user_id});
        if (inserted.empty()) continue;
        ++created;
        if (seed.handle == "andrewbrown") {
          tx.Exec(
              "INSERT INTO public.activities (user_uuid, message, expires_at) VALUES ($1::uuid, "
              "$2, (current_timestamp AT TIME ZONE 'UTC') + interval '10 day')",
              {inserted.Text(0, 0), std::string(kSeedActivityMessage)});
        }
      }
      return created;
    });
  }

  User CreateUser(const User& user) override {
    try {
      return Run("create user", [&](Connection& tx) {
        Result r = tx.Exec(
            "INSERT INTO public.users (display_name, handle, email, cognito_user_id) "
            "VALUES ($1, $2, $3, $4) RETURNING " CRUDDUR_USER_COLUMNS,
            {user.display_name, user.handle, user.email, user.cognito_user_id});
        return ReadUser(r, 0);
      });
    } catch (const UserStoreError& e) {
      if (e.kind() == UserStoreError::Kind::kDuplicateHandle) {
        throw UserStoreError(e.kind(), "handle '" + user.handle + "' is already taken");
      }
      throw;
    }
  }

  std::optional<User> FindByHandle(std::string_view handle) override {
    return FindOne("SELECT " CRUDDUR_USER_COLUMNS " FROM public.users WHERE handle = $1", handle);
  }

  std::optional<User> FindByCognitoUserId(std::string_view cognito_user_id) override {
    return FindOne("SELECT " CRUDDUR_USER_COLUMNS
                   " FROM public.users WHERE cognito_user_id = $1"
                   " ORDER BY created_at, handle LIMIT 1",
                   cognito_user_id);
  }

  std::optional<User> FindByUuid(std::string_view uuid) override {
    // The server would reject a malformed uuid with an error; it simply finds nothing.
    if (!IsUuid(uuid)) return std::nullopt;
    return FindOne("SELECT " CRUDDUR_USER_COLUMNS " FROM public.users WHERE uuid = $1::uuid", uuid);
  }

  std::vector<User> ListUsers() override {
    return Run("list users", [&](Connection& tx) {
      std::vector<User> users;
      Result r = tx.Exec("SELECT " CRUDDUR_USER_COLUMNS " FROM public.users ORDER BY handle");
      users.reserve(static_cast<size_t>(r.rows()));
      for (int row = 0; row < r.rows(); ++row) users.push_back(ReadUser(r, row));
      return users;
    });
  }

  bool UpdateCognitoUserId(std::string_view handle, std::string_view cognito_user_id) override {
    return Run("update cognito_user_id", [&](Connection& tx) {
      Result r = tx.Exec("UPDATE public.users SET cognito_user_id = $1 WHERE handle = $2",
                         {std::string(cognito_user_id), std::string(handle)});
      return r.affected_rows() > 0;
    });
  }

 private:
  // Calls run at once on connections of their own, up to this many (PostgreSQL allows 100 by
  // default); the others wait for one to be returned. A call holds its connection only for its
  // transaction, so a slow one (a lock wait) holds up no other.
  static constexpr size_t kMaxConnections = 8;

  // A connection lent to one call; given back when the call ends.
  class Lease {
   public:
    Lease(PostgresUserStore& store, std::unique_ptr<Connection> conn)
        : store_(store), conn_(std::move(conn)) {}
    ~Lease() { store_.GiveBack(std::move(conn_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    // The connection; null until Run makes one.
    Connection* get() const { return conn_.get(); }
    void Replace(std::unique_ptr<Connection> conn) { conn_ = std::move(conn); }

   private:
    PostgresUserStore& store_;
    std::unique_ptr<Connection> conn_;  // null: a connection to make (Run does)
  };

  // An idle connection, or none (null) when the caller may make one; waits while the store has
  // kMaxConnections open and lent.
  Lease Borrow() {
    MutexLock lock(mutex_);
    while (idle_.empty() && open_ >= kMaxConnections) lock.Wait(returned_);
    if (idle_.empty()) {
      ++open_;  // the caller's to make
      return Lease(*this, nullptr);
    }
    std::unique_ptr<Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(conn));
  }

  // Keeps a lent connection for the next call; a broken one (or one a failed ROLLBACK left in its
  // transaction), or none, is closed and counted out.
  void GiveBack(std::unique_ptr<Connection> conn) {
    const bool keep = conn != nullptr && conn->ready();
    if (!keep) conn.reset();
    {
      MutexLock lock(mutex_);
      if (keep) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    returned_.notify_one();
  }

  // Runs `fn` in one transaction, committed if it returns normally. The connection may have been
  // closed by the server since its last call (PostgreSQL restarted, failed over, or ended an idle
  // session): a BEGIN that fails on a broken connection ran nothing, so the transaction runs on
  // a new connection instead. One that breaks after BEGIN fails (its outcome is the server's),
  // and the connection is replaced by the next call that needs one; while the server is down
  // each call is kUnavailable.
  template <typename Fn>
  auto Run(const std::string& what, Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    Lease lease = Borrow();
    if (Connection* conn = lease.get(); conn != nullptr) {
      bool begun = false;
      try {
        return Translate(what, [&] {
          conn->Exec("BEGIN");
          begun = true;
          return conn->Begun(fn);
        });
      } catch (const UserStoreError&) {
        if (begun || !conn->broken()) throw;
      }
    }
    lease.Replace(Translate(what, [&] { return std::make_unique<Connection>(url_); }));
    Connection& conn = *lease.get();
    return Translate(what, [&] { return conn.InTransaction("BEGIN", fn); });
  }

  std::optional<User> FindOne(const char* sql, std::string_view value) {
    return Run("find user", [&](Connection& tx) -> std::optional<User> {
      Result r = tx.Exec(sql, {std::string(value)});
      if (r.empty()) return std::nullopt;
      return ReadUser(r, 0);
    });
  }

  const std::string url_;
  Mutex mutex_;
  std::condition_variable_any returned_;  // a connection was given back, or counted out
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(mutex_);
  size_t open_ GUARDED_BY(mutex_) = 0;  // idle, lent, or being made
};

// A connection to the `postgres` maintenance database of the server `url` points at.
std::unique_ptr<Connection> ConnectToServer(const std::string& url) {
  return std::make_unique<Connection>(WithPostgresDatabase(url, "postgres"));
}

std::string DatabaseOrDefault(const std::string& url) {
  std::string database = PostgresUrlDatabase(url);
  return database.empty() ? std::string(kDefaultDatabaseName) : database;
}

// Runs `statement` followed by the URL's database name, quoted, on its server. CREATE and DROP
// DATABASE cannot run in a transaction block, nor take the name as a parameter.
void ExecOnDatabase(const std::string& url, const std::string& what, const std::string& statement) {
  std::string database = DatabaseOrDefault(url);
  auto conn = ConnectToServer(url);
  Translate(what + database, [&] { conn->Exec((statement + conn->QuoteName(database)).c_str()); });
}

}  // namespace

void CreatePostgresDatabase(const std::string& url) {
  ExecOnDatabase(url, "create database ", "CREATE DATABASE ");
}

void DropPostgresDatabase(const std::string& url) {
  ExecOnDatabase(url, "drop database ", "DROP DATABASE IF EXISTS ");
}

std::vector<PostgresSession> ListPostgresSessions(const std::string& url) {
  auto conn = ConnectToServer(url);
  return Translate("list sessions", [&] {
    return conn->InTransaction("BEGIN READ ONLY", [](Connection& tx) {
      std::vector<PostgresSession> sessions;
      Result r = tx.Exec(
          "SELECT pid::text AS process_id, usename AS user, datname AS db, "
          "host(client_addr) AS client_addr, application_name AS app, state "
          "FROM pg_stat_activity ORDER BY pid");
      for (int row = 0; row < r.rows(); ++row) {
        auto text = [&](int i) { return r.IsNull(row, i) ? std::string() : r.Text(row, i); };
        sessions.push_back({text(0), text(1), text(2), text(3), text(4), text(5)});
      }
      return sessions;
    });
  });
}

namespace internal {

std::unique_ptr<UserStore> OpenPostgresUserStore(const std::string& url) {
  return std::make_unique<PostgresUserStore>(url);
}

}  // namespace internal

}  // namespace cruddur
