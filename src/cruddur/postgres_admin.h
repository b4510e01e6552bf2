// PostgreSQL connection URLs and the server-level operations of `cruddur db` (create and drop
// the database a URL names, list the server's sessions).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cruddur {

inline constexpr std::string_view kDefaultDatabaseName = "cruddur";

// True for postgresql:// and postgres:// URLs.
bool IsPostgresUrl(std::string_view url);

// The database a URL names (its path, percent-decoded), or "" when it names none.
std::string PostgresUrlDatabase(std::string_view url);

// The same URL naming another database (user, password, host, port and query kept).
std::string WithPostgresDatabase(std::string_view url, std::string_view database);

// The URL with its password replaced by "***", for printing.
std::string RedactPostgresUrl(std::string_view url);

// CREATE DATABASE / DROP DATABASE IF EXISTS for the database `url` names, run on the same
// server's `postgres` database. Throw UserStoreError with the server's reason.
void CreatePostgresDatabase(const std::string& url);
void DropPostgresDatabase(const std::string& url);

// One row of pg_stat_activity; NULL columns are empty strings.
struct PostgresSession {
  std::string process_id;
  std::string user;
  std::string db;
  std::string client_addr;
  std::string app;
  std::string state;
};

// Every session of the server `url` points at (connects to its `postgres` database).
std::vector<PostgresSession> ListPostgresSessions(const std::string& url);

}  // namespace cruddur
