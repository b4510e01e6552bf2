// `cruddur db ...`: the users database (the original bin/db/* scripts). The target is
// PROD_CONNECTION_URL with `prod`/--prod, else CONNECTION_URL (a postgresql:// URL), else the
// embedded SQLite file <data-dir>/users.db.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cli/cli.h"
#include "cruddur/postgres_admin.h"
#include "cruddur/users.h"

namespace cruddur::cli {

// One user of the Cognito user pool: its preferred_username (the Cruddur handle) and sub.
struct CognitoUserSub {
  std::string handle;
  std::string sub;
};

// The Cognito ListUsers call (every page; attributes preferred_username and sub) on
// `user_pool_id`.
std::vector<CognitoUserSub> ListCognitoUserSubs(const std::string& user_pool_id) {
  std::vector<CognitoUserSub> users;
  for (auto& [handle, sub] : CognitoHandleSubs(user_pool_id)) {
    users.push_back({std::move(handle), std::move(sub)});
  }
  return users;
}

namespace {

namespace fs = std::filesystem;

constexpr const char* kUsersFileName = "users.db";

// Where `cruddur db` commands act.
struct UsersTarget {
  bool postgres = false;
  bool prod = false;
  std::string url;          // postgres: the URL, naming a database
  std::string sqlite_path;  // otherwise: the database file
  std::string data_dir;

  std::string Describe() const {
    return postgres ? RedactPostgresUrl(url) : "sqlite " + sqlite_path;
  }
  UserStoreConfig Config() const {
    return postgres ? UserStoreConfig::Postgres(url) : UserStoreConfig::Sqlite(sqlite_path);
  }
  std::string DatabaseName() const { return PostgresUrlDatabase(url); }
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

UsersTarget ResolveTarget(const GlobalOptions& globals, bool prod) {
  UsersTarget target;
  target.prod = prod;
  target.data_dir = globals.DataDir();
  const char* variable = prod ? "PROD_CONNECTION_URL" : "CONNECTION_URL";
  std::string url = Env(variable);
  if (prod && url.empty()) {
    throw CliError("production mode needs PROD_CONNECTION_URL (a postgresql:// URL)");
  }
  if (url.empty()) {
    target.sqlite_path = (fs::path(target.data_dir) / kUsersFileName).string();
    return target;
  }
  if (!IsPostgresUrl(url)) {
    throw CliError(std::string(variable) + " must be a postgresql:// URL, got '" +
                   RedactPostgresUrl(url) + "'");
  }
  target.postgres = true;
  target.url =
      PostgresUrlDatabase(url).empty() ? WithPostgresDatabase(url, kDefaultDatabaseName) : url;
  return target;
}

// `== label` (cyan on a terminal), as the original scripts printed.
void Banner(const std::string& label, const std::string& marker = "==") {
  if (isatty(fileno(stdout))) {
    std::printf("\033[1;36m%s %s\033[0m\n", marker.c_str(), label.c_str());
  } else {
    std::printf("%s %s\n", marker.c_str(), label.c_str());
  }
  std::fflush(stdout);
}

void AnnounceTarget(const UsersTarget& target) {
  if (target.prod) std::printf("Running in production mode\n");
  std::printf("target: %s\n", target.Describe().c_str());
  std::fflush(stdout);
}

void EnsureDataDir(const UsersTarget& target) {
  std::error_code ec;
  fs::create_directories(target.data_dir, ec);
  if (ec) throw CliError("cannot create data dir " + target.data_dir + ": " + ec.message());
}

std::unique_ptr<UserStore> OpenStore(const UsersTarget& target) {
  if (!target.postgres) EnsureDataDir(target);
  return OpenUserStore(target.Config());
}

// ---- commands ---------------------------------------------------------------------------------

void CreateDatabase(const UsersTarget& target) {
  Banner("db-create");
  AnnounceTarget(target);
  if (target.postgres) {
    CreatePostgresDatabase(target.url);
    std::printf("created database %s\n", target.DatabaseName().c_str());
    return;
  }
  std::error_code ec;
  if (fs::exists(target.sqlite_path, ec)) {
    throw CliError("database file " + target.sqlite_path + " already exists");
  }
  OpenStore(target);  // opening creates the file
  std::printf("created %s\n", target.sqlite_path.c_str());
}

void DropDatabase(const UsersTarget& target) {
  Banner("db-drop");
  AnnounceTarget(target);
  if (target.postgres) {
    DropPostgresDatabase(target.url);
    std::printf("dropped database %s (if it existed)\n", target.DatabaseName().c_str());
    return;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    fs::remove(target.sqlite_path + suffix, ec);
    if (ec) throw CliError("cannot delete " + target.sqlite_path + suffix + ": " + ec.message());
  }
  std::printf("deleted %s (if it existed)\n", target.sqlite_path.c_str());
}

// Like the original schema.sql: drops the tables, then creates them.
void LoadSchema(const UsersTarget& target) {
  Banner("db-schema-load");
  AnnounceTarget(target);
  auto store = OpenStore(target);
  store->DropSchema();
  store->CreateSchema();
  std::printf("created tables users and activities\n");
}

void SeedDatabase(const UsersTarget& target) {
  Banner("db-seed");
  AnnounceTarget(target);
  auto store = OpenStore(target);
  int created = store->Seed();
  int present = static_cast<int>(SeedUsers().size()) - created;
  std::printf("seeded %d users", created);
  if (present > 0) std::printf(" (%d already present)", present);
  std::printf("\n");
}

void UpdateCognitoUserIds(const UsersTarget& target) {
  Banner("db-update-cognito-user-ids");
  std::string pool_id = Env("AWS_COGNITO_USER_POOL_ID");
  if (pool_id.empty()) {
    throw CliError("AWS_COGNITO_USER_POOL_ID is not set: no Cognito user pool to read subs from");
  }
  AnnounceTarget(target);
  std::vector<CognitoUserSub> users = ListCognitoUserSubs(pool_id);
  auto store = OpenStore(target);
  for (const CognitoUserSub& user : users) {
    std::printf("---- %s %s\n", user.handle.c_str(), user.sub.c_str());
    if (!store->UpdateCognitoUserId(user.handle, user.sub)) {
      std::printf("     no user with handle %s in the database\n", user.handle.c_str());
    }
  }
}

void Setup(const UsersTarget& target) {
  Banner("db-setup", "====");
  DropDatabase(target);
  CreateDatabase(target);
  LoadSchema(target);
  SeedDatabase(target);
  if (Env("AWS_COGNITO_USER_POOL_ID").empty()) {
    std::printf("skipped update-cognito-user-ids: AWS_COGNITO_USER_POOL_ID is not set\n");
    return;
  }
  UpdateCognitoUserIds(target);
}

// Replaces this process with psql or sqlite3 on the target; returns only by throwing.
void Connect(const UsersTarget& target) {
  if (target.prod) std::printf("Running in production mode\n");
  std::vector<std::string> args;
  if (target.postgres) {
    args = {"psql", target.url};
  } else {
    std::error_code ec;
    if (!fs::exists(target.sqlite_path, ec)) {
      throw CliError("no users database at " + target.sqlite_path + " (run `cruddur db setup`)");
    }
    args = {"sqlite3", target.sqlite_path};
  }
  std::fflush(stdout);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  int error = errno;
  if (error == ENOENT) {
    throw CliError(args[0] + " is not installed or not on PATH (Debian package: " +
                   (target.postgres ? "postgresql-client" : "sqlite3") + ")");
  }
  throw CliError("cannot run " + args[0] + ": " + std::strerror(error));
}

// psql-style aligned table.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  widths.reserve(header.size());
  for (const std::string& name : header) widths.push_back(name.size());
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i == 0 ? " " : " | ";
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size(), ' ');
    }
    std::printf("%s\n", line.c_str());
  };
  print_row(header);
  std::string rule;
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (i > 0) rule += '+';
    rule.append(widths[i] + 2, '-');
  }
  std::printf("%s\n", rule.c_str());
  for (const auto& row : rows) print_row(row);
  std::printf("(%zu %s)\n", rows.size(), rows.size() == 1 ? "row" : "rows");
}

void Sessions(const UsersTarget& target) {
  Banner("db-sessions");
  AnnounceTarget(target);
  if (!target.postgres) {
    std::printf("%s is an embedded SQLite database: it has no server sessions\n",
                target.sqlite_path.c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const PostgresSession& s : ListPostgresSessions(target.url)) {
    rows.push_back({s.process_id, s.user, s.db, s.client_addr, s.app, s.state});
  }
  PrintTable({"process_id", "user", "db", "client_addr", "app", "state"}, rows);
}

// ---- registration -----------------------------------------------------------------------------

struct TargetOptions {
  bool prod_flag = false;
  std::string word;  // the original scripts' `prod` argument
};

// Runs `action` on the resolved target; library failures become one-line CliErrors.
void Run(const GlobalOptions& globals, const TargetOptions& options,
         const std::function<void(const UsersTarget&)>& action) {
  try {
    action(ResolveTarget(globals, options.prod_flag || options.word == "prod"));
    std::fflush(stdout);
  } catch (const CliError&) {
    std::fflush(stdout);
    throw;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    throw CliError(e.what());
  }
}

void AddTargetCommand(CLI::App& db, GlobalOptions& globals, const std::string& name,
                      const std::string& description,
                      std::function<void(const UsersTarget&)> action) {
  auto options = std::make_shared<TargetOptions>();
  CLI::App* cmd = db.add_subcommand(name, description);
  cmd->add_flag("--prod", options->prod_flag, "Use PROD_CONNECTION_URL");
  cmd->add_option("prod", options->word, "Same as --prod (the original scripts' argument)")
      ->check(CLI::IsMember({"prod"}));
  cmd->callback(
      [&globals, options, action = std::move(action)] { Run(globals, *options, action); });
}

}  // namespace

void AddDbCommands(CLI::App& app, GlobalOptions& globals) {
  CLI::App* db = AddCommandGroup(
      app, "db",
      "The users database: PROD_CONNECTION_URL with prod/--prod, else CONNECTION_URL "
      "(postgresql://...), else SQLite <data-dir>/users.db");
  AddTargetCommand(*db, globals, "create", "Create the database (PostgreSQL) or its file (SQLite)",
                   CreateDatabase);
  AddTargetCommand(*db, globals, "drop", "Drop the database if it exists", DropDatabase);
  AddTargetCommand(*db, globals, "schema-load",
                   "(Re)create the users and activities tables, dropping existing ones",
                   LoadSchema);
  AddTargetCommand(*db, globals, "seed", "Insert the seed users and activity", SeedDatabase);
  AddTargetCommand(*db, globals, "setup",
                   "drop, create, schema-load, seed, then update-cognito-user-ids if "
                   "AWS_COGNITO_USER_POOL_ID is set",
                   Setup);
  AddTargetCommand(*db, globals, "connect", "Open psql (PostgreSQL) or sqlite3 (SQLite)", Connect);
  AddTargetCommand(*db, globals, "sessions", "List the server's sessions (pg_stat_activity)",
                   Sessions);
  AddTargetCommand(*db, globals, "update-cognito-user-ids",
                   "Set users.cognito_user_id from the Cognito user pool "
                   "(AWS_COGNITO_USER_POOL_ID), matching preferred_username to handle",
                   UpdateCognitoUserIds);
}

}  // namespace cruddur::cli
