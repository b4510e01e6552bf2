// The `cruddur` command line: options shared by every command, and one registration function
// per command group. A group lives in its own file(s) and registers its subcommands on the app;
// main.cc only calls the Add*Commands functions.
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's own namespace
class App;
}

namespace cruddur::cli {

struct GlobalOptions;
using AddCommandsFn = void (*)(CLI::App& parent, GlobalOptions& globals);

// Which commands a run builds. Building CLI11's whole tree took ~0.4 ms of every start, ~10% of
// `ddb serve`'s start-up CPU (issue 21), so a run first builds only the commands whose names its
// arguments contain; when that parse fails (a usage error, --help), main builds every command and
// parses again, so errors and help always see the whole tree. The two parses agree whenever the
// first succeeds: a command left out has a name that no argument is, so CLI11 could not have
// chosen it.
class CommandSet {
 public:
  CommandSet() = default;  // every command
  CommandSet(int argc, char** argv);

  bool Everything() const { return words_.empty(); }
  // Calls add(parent, globals) when the run may use one of `names`: the names and aliases of the
  // subcommands `add` puts on `parent`. When building everything, throws std::logic_error if
  // `add` put others (a list here that is out of date would send their runs to the second parse).
  void Add(CLI::App& parent, GlobalOptions& globals, std::initializer_list<std::string_view> names,
           AddCommandsFn add) const;

 private:
  std::vector<std::string_view> words_;  // argv[1..]; empty for every command
};

// Options accepted by every command (before or after the subcommand name).
struct GlobalOptions {
  std::string data_dir_flag;  // --data-dir, empty when not given
  CommandSet commands;        // not an option: which commands this run builds

  // --data-dir, else $CRUDDUR_DATA_DIR, else ./.cruddur (as given, not made absolute).
  std::string DataDir() const;
};

// A failure to report as one line ("cruddur: <message>") with a non-zero exit status.
class CliError : public std::runtime_error {
 public:
  explicit CliError(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

void AddGlobalOptions(CLI::App& app, GlobalOptions& globals);

// --log-level, --log-format and --access-log of a command that runs a server (log/log.h).
struct LogFlags {
  std::string level = "info";
  std::string format = "text";
  bool access_log = false;
};
void AddLogFlags(CLI::App& cmd, LogFlags& flags);
// Configures the logger from the flags (checked by CLI11 already).
void ApplyLogFlags(const LogFlags& flags);
// Adds `name` to `parent` as a group of subcommands, one of which must be given.
CLI::App* AddCommandGroup(CLI::App& parent, const std::string& name,
                          const std::string& description);
// --host and --port of a command that listens (their defaults shown in --help).
void AddListenOptions(CLI::App& cmd, std::string& host, int& port);
// Call once every command is added: each subcommand's --help then lists the global options.
void ShowGlobalOptionsInEveryHelp(CLI::App& app);

// `cruddur ddb ...`: the DynamoDB side (ddb_commands.cc).
void AddDdbCommands(CLI::App& app, GlobalOptions& globals);
// `cruddur ddb serve` (ddb_serve.cc), registered by AddDdbCommands.
void AddDdbServeCommand(CLI::App& ddb, GlobalOptions& globals);
// `cruddur db ...`: the users database (db_commands.cc).
void AddDbCommands(CLI::App& app, GlobalOptions& globals);
// `cruddur auth ...`: development-mode tokens (auth_commands.cc).
void AddAuthCommands(CLI::App& app, GlobalOptions& globals);
// `cruddur cognito ...`: the Cognito user pool (cognito_commands.cc).
void AddCognitoCommands(CLI::App& app, GlobalOptions& globals);
// `cruddur serve` and `cruddur stream-worker`: the messaging API and pattern D
// (serve_command.cc).
void AddServeCommands(CLI::App& app, GlobalOptions& globals);
// `cruddur rds ...`: the database security-group rule (rds_commands.cc).
void AddRdsCommands(CLI::App& app, GlobalOptions& globals);

// Every user of Cognito user pool `user_pool_id` (all pages) that has a preferred_username, as
// (preferred_username, sub) in the pool's order (cognito_commands.cc). Throws CliError.
std::vector<std::pair<std::string, std::string>> CognitoHandleSubs(const std::string& user_pool_id);

}  // namespace cruddur::cli
