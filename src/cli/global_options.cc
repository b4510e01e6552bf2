#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cli/cli.h"

namespace cruddur::cli {

std::string GlobalOptions::DataDir() const {
  if (!data_dir_flag.empty()) return data_dir_flag;
  if (const char* env = std::getenv("CRUDDUR_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return "./.cruddur";
}

namespace {

constexpr const char* kDataDirHelp =
    "Directory of the embedded databases (default: $CRUDDUR_DATA_DIR or ./.cruddur)";

// The global options are accepted after any subcommand's name too (fallthrough), but CLI11 lists
// them only in the top-level help: every subcommand's help names them in its footer.
void ShowGlobalOptions(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(std::string("Global options (before or after the command name):\n  "
                            "--data-dir DIR              ") +
                kDataDirHelp);
    ShowGlobalOptions(*sub);
  }
}

}  // namespace

void AddGlobalOptions(CLI::App& app, GlobalOptions& globals) {
  app.add_option("--data-dir", globals.data_dir_flag, kDataDirHelp)->type_name("DIR");
}

void ShowGlobalOptionsInEveryHelp(CLI::App& app) { ShowGlobalOptions(app); }

void AddListenOptions(CLI::App& cmd, std::string& host, int& port) {
  cmd.add_option("--host", host, "Address to listen on")->capture_default_str();
  cmd.add_option("--port", port, "Port to listen on (0 picks a free one)")->capture_default_str();
}

}  // namespace cruddur::cli
