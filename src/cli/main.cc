// cruddur: the direct-messaging backend and its operator command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
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

// The command tree of one run (cli.h's CommandSet). Callbacks keep references to `globals`.
struct CommandLine {
  CLI::App app{"cruddur: the Cruddur direct-messaging backend and its operator tools", "cruddur"};
  cruddur::cli::GlobalOptions globals;
  bool parsed = false;  // set once parsing succeeded, before any command runs

  explicit CommandLine(cruddur::cli::CommandSet commands) {
    using cruddur::cli::CommandSet;
    app.require_subcommand(1);
    app.fallthrough();  // global options are accepted after a subcommand's name too
    app.parse_complete_callback([this] { parsed = true; });
    globals.commands = std::move(commands);
    cruddur::cli::AddGlobalOptions(app, globals);
    const CommandSet& set = globals.commands;
    set.Add(app, globals, {"ddb"}, cruddur::cli::AddDdbCommands);
    set.Add(app, globals, {"db"}, cruddur::cli::AddDbCommands);
    set.Add(app, globals, {"auth"}, cruddur::cli::AddAuthCommands);
    set.Add(app, globals, {"cognito"}, cruddur::cli::AddCognitoCommands);
    set.Add(app, globals, {"rds"}, cruddur::cli::AddRdsCommands);
    set.Add(app, globals, {"serve", "stream-worker"}, cruddur::cli::AddServeCommands);
    cruddur::cli::ShowGlobalOptionsInEveryHelp(app);
  }
};

int Main(int argc, char** argv) {
  using cruddur::cli::CliError;
  auto line = std::make_unique<CommandLine>(cruddur::cli::CommandSet(argc, argv));
  try {
    try {
      line->app.parse(argc, argv);
    } catch (const CLI::ParseError&) {
      if (line->parsed) throw;  // from a command: it ran, so it must not run again
      // A usage error or --help: parse again with every command, for the full error or help.
      line = std::make_unique<CommandLine>(cruddur::cli::CommandSet());
      line->app.parse(argc, argv);
    }
  } catch (const CLI::ParseError& e) {
    CLI::App& app = line->app;
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
