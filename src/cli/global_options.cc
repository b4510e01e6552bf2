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

void AddGlobalOptions(CLI::App& app, GlobalOptions& globals) {
  app.add_option("--data-dir", globals.data_dir_flag,
                 "Directory of the embedded databases (default: $CRUDDUR_DATA_DIR or ./.cruddur)")
      ->type_name("DIR");
}

}  // namespace cruddur::cli
