// UserStore on PostgreSQL through libpqxx, and the server-level operations of postgres_admin.h.
// Values always travel as query parameters ($1, $2...); the only identifier ever put into SQL
// text (a database name) goes through the server's identifier quoting.
#include <pqxx/pqxx>

#include <type_traits>
#include <utility>

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

// Same text form as the SQLite store.
#define CRUDDUR_USER_COLUMNS                                   \
  "uuid::text, display_name, handle, email, cognito_user_id, " \
  "to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"

User ReadUser(const pqxx::row& row) {
  return User{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
              row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>()};
}

// Turns libpqxx's exceptions into UserStoreError with a one-line reason.
template <typename Fn>
auto Translate(const std::string& what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const UserStoreError&) {
    throw;
  } catch (const pqxx::unique_violation& e) {
    throw UserStoreError(UserStoreError::Kind::kDuplicateHandle, what + ": " + FirstLine(e.what()));
  } catch (const pqxx::broken_connection& e) {
    throw UserStoreError(UserStoreError::Kind::kUnavailable, what + ": " + FirstLine(e.what()));
  } catch (const std::exception& e) {
    throw UserStoreError(UserStoreError::Kind::kOther, what + ": " + FirstLine(e.what()));
  }
}

std::unique_ptr<pqxx::connection> Connect(const std::string& url) {
  try {
    return std::make_unique<pqxx::connection>(url);
  } catch (const std::exception& e) {
    throw UserStoreError(
        UserStoreError::Kind::kUnavailable,
        "cannot connect to PostgreSQL at " + RedactPostgresUrl(url) + ": " + FirstLine(e.what()));
  }
}

class PostgresUserStore : public UserStore {
 public:
  explicit PostgresUserStore(const std::string& url) : conn_(Connect(url)) {}

  void CreateSchema() override {
    Run("create schema", [&](pqxx::work& tx) { tx.exec(kCreateSchemaSql); });
  }

  void DropSchema() override {
    Run("drop schema", [&](pqxx::work& tx) { tx.exec(kDropSchemaSql); });
  }

  int Seed() override {
    return Run("seed", [&](pqxx::work& tx) {
      int created = 0;
      for (const User& seed : SeedUsers()) {
        pqxx::result inserted = tx.exec_params(
            "INSERT INTO public.users (display_name, email, handle, cognito_user_id) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (handle) DO NOTHING RETURNING uuid::text",
            seed.display_name, seed.email, seed.handle, seed.cognito_user_id);
        if (inserted.empty()) continue;
        ++created;
        if (seed.handle == "andrewbrown") {
          tx.exec_params(
              "INSERT INTO public.activities (user_uuid, message, expires_at) VALUES ($1::uuid, "
              "$2, (current_timestamp AT TIME ZONE 'UTC') + interval '10 day')",
              inserted[0][0].as<std::string>(), std::string(kSeedActivityMessage));
        }
      }
      return created;
    });
  }

  User CreateUser(const User& user) override {
    try {
      return Run("create user", [&](pqxx::work& tx) {
        pqxx::result r = tx.exec_params(
            "INSERT INTO public.users (display_name, handle, email, cognito_user_id) "
            "VALUES ($1, $2, $3, $4) RETURNING " CRUDDUR_USER_COLUMNS,
            user.display_name, user.handle, user.email, user.cognito_user_id);
        return ReadUser(r[0]);
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
    return Run("list users", [&](pqxx::work& tx) {
      std::vector<User> users;
      for (const pqxx::row& row :
           tx.exec("SELECT " CRUDDUR_USER_COLUMNS " FROM public.users ORDER BY handle")) {
        users.push_back(ReadUser(row));
      }
      return users;
    });
  }

  bool UpdateCognitoUserId(std::string_view handle, std::string_view cognito_user_id) override {
    return Run("update cognito_user_id", [&](pqxx::work& tx) {
      pqxx::result r =
          tx.exec_params("UPDATE public.users SET cognito_user_id = $1 WHERE handle = $2",
                         std::string(cognito_user_id), std::string(handle));
      return r.affected_rows() > 0;
    });
  }

 private:
  // Runs `fn` in one transaction, committed if it returns normally.
  template <typename Fn>
  auto Run(const std::string& what, Fn&& fn) -> decltype(fn(std::declval<pqxx::work&>())) {
    MutexLock lock(mutex_);
    pqxx::connection& conn = *conn_;  // named here: the analysis sees the lock, not in the lambda
    return Translate(what, [&] {
      pqxx::work tx(conn);
      if constexpr (std::is_void_v<decltype(fn(tx))>) {
        fn(tx);
        tx.commit();
      } else {
        auto result = fn(tx);
        tx.commit();
        return result;
      }
    });
  }

  std::optional<User> FindOne(const char* sql, std::string_view value) {
    return Run("find user", [&](pqxx::work& tx) -> std::optional<User> {
      pqxx::result r = tx.exec_params(sql, std::string(value));
      if (r.empty()) return std::nullopt;
      return ReadUser(r[0]);
    });
  }

  Mutex mutex_;  // one connection, one transaction at a time
  std::unique_ptr<pqxx::connection> conn_ PT_GUARDED_BY(mutex_);
};

// A connection to the `postgres` maintenance database of the server `url` points at.
std::unique_ptr<pqxx::connection> ConnectToServer(const std::string& url) {
  return Connect(WithPostgresDatabase(url, "postgres"));
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
  Translate(what + database, [&] {
    pqxx::nontransaction tx(*conn);
    tx.exec(statement + tx.quote_name(database));
  });
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
    pqxx::read_transaction tx(*conn);
    std::vector<PostgresSession> sessions;
    for (const pqxx::row& row :
         tx.exec("SELECT pid::text AS process_id, usename AS user, datname AS db, "
                 "host(client_addr) AS client_addr, application_name AS app, state "
                 "FROM pg_stat_activity ORDER BY pid")) {
      auto text = [&](int i) { return row[i].is_null() ? std::string() : row[i].c_str(); };
      sessions.push_back({text(0), text(1), text(2), text(3), text(4), text(5)});
    }
    return sessions;
  });
}

namespace internal {

std::unique_ptr<UserStore> OpenPostgresUserStore(const std::string& url) {
  return std::make_unique<PostgresUserStore>(url);
}

}  // namespace internal

}  // namespace cruddur
