// The `cruddur` command line: options shared by every command, and one registration function
// per command group. A group lives in its own file(s) and registers its subcommands on the app;
// main.cc only calls the Add*Commands functions.
#pragma once

#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace cruddur::cli {

// Options accepted by every command (before or after the subcommand name).
struct GlobalOptions {
  std::string data_dir_flag;  // --data-dir, empty when not given

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

// `cruddur ddb ...`: the DynamoDB side (ddb_commands.cc).
void AddDdbCommands(CLI::App& app, GlobalOptions& globals);
// `cruddur ddb serve` (ddb_serve.cc), registered by AddDdbCommands.
void AddDdbServeCommand(CLI::App& ddb, GlobalOptions& globals);
// `cruddur db ...`: the users database (db_commands.cc).
void AddDbCommands(CLI::App& app, GlobalOptions& globals);

}  // namespace cruddur::cli
