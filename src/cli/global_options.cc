#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <set>

#include "cli/cli.h"
#include "log/log.h"

namespace cruddur::cli {

std::string GlobalOptions::DataDir() const {
  if (!data_dir_flag.empty()) return data_dir_flag;
  if (const char* env = std::getenv("CRUDDUR_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return "./.cruddur";
}

CommandSet::CommandSet(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) words_.emplace_back(argv[i]);
  if (words_.empty()) words_.emplace_back("");  // no argument: nothing to build but the top
}

namespace {

// The names and aliases of parent's subcommands.
std::set<std::string> SubcommandNames(const CLI::App& parent) {
  std::set<std::string> names;
  for (const CLI::App* sub : parent.get_subcommands([](const CLI::App*) { return true; })) {
    names.insert(sub->get_name());
    for (const std::string& alias : sub->get_aliases()) names.insert(alias);
  }
  return names;
}

}  // namespace

void CommandSet::Add(CLI::App& parent, GlobalOptions& globals,
                     std::initializer_list<std::string_view> names, AddCommandsFn add) const {
  if (!Everything()) {
    const bool named = std::any_of(names.begin(), names.end(), [this](std::string_view name) {
      return std::find(words_.begin(), words_.end(), name) != words_.end();
    });
    if (named) add(parent, globals);
    return;
  }
  const std::set<std::string> before = SubcommandNames(parent);
  add(parent, globals);
  std::set<std::string> added;
  for (const std::string& name : SubcommandNames(parent)) {
    if (before.count(name) == 0) added.insert(name);
  }
  if (added != std::set<std::string>(names.begin(), names.end())) {
    std::string list;
    for (const std::string& name : added) list += " " + name;
    throw std::logic_error("the command list of `" + parent.get_name() +
                           "` in CommandSet::Add is out of date: the function adds" + list);
  }
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

CLI::App* AddCommandGroup(CLI::App& parent, const std::string& name,
                          const std::string& description) {
  CLI::App* group = parent.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

void AddListenOptions(CLI::App& cmd, std::string& host, int& port) {
  cmd.add_option("--host", host, "Address to listen on")->capture_default_str();
  cmd.add_option("--port", port, "Port to listen on (0 picks a free one)")->capture_default_str();
}

void AddLogFlags(CLI::App& cmd, LogFlags& flags) {
  cmd.add_option("--log-level", flags.level, "Least severe log entries written (to stderr)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cmd.add_option("--log-format", flags.format, "Log lines as text, or one JSON object each")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd.add_flag("--access-log", flags.access_log, "Log one entry per request answered");
}

void ApplyLogFlags(const LogFlags& flags) {
  log::Options options;
  options.level = log::ParseLevel(flags.level).value_or(log::Level::kInfo);
  options.format = log::ParseFormat(flags.format).value_or(log::Format::kText);
  options.access_log = flags.access_log;
  log::Configure(options);
}

}  // namespace cruddur::cli
