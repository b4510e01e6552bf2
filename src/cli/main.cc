// cruddur: the direct-messaging backend and its operator command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "cli/cli.h"

namespace {
// Reasons are printed on one line, whatever the library that produced them put in.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}
}  // namespace

int main(int argc, char** argv) {
  using cruddur::cli::CliError;
  CLI::App app("cruddur: the Cruddur direct-messaging backend and its operator tools", "cruddur");
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after a subcommand's name too
  cruddur::cli::GlobalOptions globals;
  cruddur::cli::AddGlobalOptions(app, globals);
  cruddur::cli::AddDdbCommands(app, globals);
  cruddur::cli::AddDbCommands(app, globals);
  cruddur::cli::AddAuthCommands(app, globals);
  cruddur::cli::AddCognitoCommands(app, globals);
  cruddur::cli::AddRdsCommands(app, globals);
  cruddur::cli::AddServeCommands(app, globals);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and friends
    // Usage errors get the same one-line form as every other failure.
    std::cerr << "cruddur: " << OneLine(e.what()) << " (see --help)" << std::endl;
    return 2;
  } catch (const CliError& e) {
    std::cerr << "cruddur: " << OneLine(e.what()) << std::endl;
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "cruddur: " << OneLine(e.what()) << std::endl;
    return 1;
  } catch (...) {
    std::cerr << "cruddur: unexpected error" << std::endl;
    return 1;
  }
  return 0;
}
