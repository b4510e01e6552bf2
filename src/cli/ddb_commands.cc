#include <CLI/CLI.hpp>

#include "cli/cli.h"

namespace cruddur::cli {

void AddDdbCommands(CLI::App& app, GlobalOptions& globals) {
  CLI::App* ddb = app.add_subcommand("ddb", "The DynamoDB engine and the cruddur-messages table");
  ddb->require_subcommand(1);
  AddDdbServeCommand(*ddb, globals);
}

}  // namespace cruddur::cli
