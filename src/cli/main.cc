// cruddur: the direct-messaging backend and its operator command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace {
// Reasons are printed on one line, whatever the library that produced them put in.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}
// For a usage error at a command that needs a subcommand ("cruddur ddb", "cruddur ddb frobnicate"):
// which command it was, the word it did not know, and the commands it knows. Empty otherwise.
std::string MissingCommandReason(const CLI::App& app) {
  const CLI::App* at = &app;
  for (auto parsed = at->get_subcommands(); !parsed.empty(); parsed = at->get_subcommands()) {
    at = parsed.back();
  }
  if (at->get_require_subcommand_min() == 0) return "";
  std::string path;
  for (const CLI::App* a = at; a; a = a->get_parent()) {
    path = a->get_name() + (path.empty() ? "" : " " + path);
  }
  std::string known;
  for (const CLI::App* sub : at->get_subcommands([](const CLI::App*) { return true; })) {
    known += (known.empty() ? "" : ", ") + sub->get_name();
  }
  std::vector<std::string> left = app.remaining(true);
  std::string reason = left.empty() ? "`" + path + "` needs a command"
                                    : "unknown command `" + path + " " + left.front() + "`";
  return reason + "; one of: " + known;
}

int Main(int argc, char** argv) {
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
  cruddur::cli::ShowGlobalOptionsInEveryHelp(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and friends
    // Usage errors get the same one-line form as every other failure.
    std::string reason = MissingCommandReason(app);
    std::cerr << "cruddur: " << (reason.empty() ? OneLine(e.what()) : reason) << " (see --help)"
              << std::endl;
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

}  // namespace

// Main's own handlers cover the command; these cover building the command line itself.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "cruddur: " << e.what() << std::endl;
  } catch (...) {
    std::cerr << "cruddur: unexpected error" << std::endl;
  }
  return 1;
}
