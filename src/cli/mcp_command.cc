// `cruddur ddb mcp`: the MCP server (src/mcp) for coding agents, over stdio (one JSON-RPC message
// a line on stdin, answers on stdout) or, with --mcp-port, over the Streamable HTTP transport at
// http://HOST:PORT/mcp with a bearer token. It reaches DynamoDB as every `ddb` command does
// (ddb_target.h: the embedded engine, a running `ddb serve`, or --endpoint-url).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "common/random.h"
#include "encoding/hex.h"
#include "http/server.h"
#include "mcp/server.h"

namespace cruddur::cli {

namespace {

struct McpOptions {
  DdbTargetOptions target;
  bool read_only = false;
  std::optional<unsigned> port;  // --mcp-port: HTTP instead of stdio
  std::string host = "127.0.0.1";
  std::string token;  // --mcp-token, else $CRUDDUR_MCP_TOKEN
};

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// The token stored in <data-dir>/mcp-token, created (32 random bytes as hex, mode 0600) when
// absent.
std::string StoredToken(const GlobalOptions& globals) {
  std::filesystem::path dir = globals.DataDir();
  std::filesystem::path path = dir / "mcp-token";
  std::string token;
  if (std::ifstream in(path); in && std::getline(in, token) && !token.empty()) return token;
  std::string bytes(32, '\0');
  RandomBytes(bytes.data(), bytes.size());
  token = encoding::HexEncode(bytes);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::path tmp = path.string() + ".tmp";
  mode_t old_mask = ::umask(077);  // the file is born 0600: never readable by others
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << token << "\n";
    if (!out.flush()) {
      ::umask(old_mask);
      throw CliError("cannot write the MCP token to " + path.string());
    }
  }
  ::umask(old_mask);
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw CliError("cannot write the MCP token to " + path.string() + ": " + ec.message());
  return token;
}

void ServeStdio(mcp::Server& server) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (std::optional<std::string> answer = server.Handle(line)) {
      std::fwrite(answer->data(), 1, answer->size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
  }
}

void ServeHttp(const GlobalOptions& globals, const McpOptions& options, mcp::Server& server) {
  std::string token = options.token;
  if (token.empty()) {
    if (const char* env = std::getenv("CRUDDUR_MCP_TOKEN"); env != nullptr) token = env;
  }
  std::string token_note = "token from --mcp-token/CRUDDUR_MCP_TOKEN";
  if (token.empty()) {
    if (!IsLoopbackHost(options.host)) {
      throw CliError("--mcp-host " + options.host +
                     " is not loopback: give the bearer token with --mcp-token or "
                     "CRUDDUR_MCP_TOKEN");
    }
    token = StoredToken(globals);
    token_note = "token in " + (std::filesystem::path(globals.DataDir()) / "mcp-token").string();
  }
  http::ServerOptions http_options;
  http_options.host = options.host;
  http_options.port = static_cast<std::uint16_t>(*options.port);
  http_options.server_header = "cruddur-mcp";
  http::Server http_server(http_options, [&server, token](const http::Request& request) {
    return server.HandleHttp(request, token);
  });
  try {
    http_server.Start();
  } catch (const std::exception& e) {
    throw CliError(e.what());
  }
  http_server.CatchSignals();
  std::printf("mcp: %s/mcp (%s)\n", LocalServerUrl(options.host, http_server.port()).c_str(),
              token_note.c_str());
  std::fflush(stdout);
  http_server.WaitForSignal();
}

void RunMcp(const GlobalOptions& globals, const McpOptions& options) {
  RunDdbCommand([&] {
    DdbTarget target = OpenDdbTarget(globals, options.target);
    mcp::ServerOptions server_options;
    server_options.read_only = options.read_only;
    server_options.message_table = MessageTableName(options.target);
    mcp::Server server(*target.client, server_options);
    if (options.port) {
      ServeHttp(globals, options, server);
    } else {
      ServeStdio(server);
    }
  });
}

}  // namespace

void AddDdbMcpCommand(CLI::App& ddb, GlobalOptions& globals) {
  auto options = std::make_shared<McpOptions>();
  CLI::App* cmd = ddb.add_subcommand(
      "mcp",
      "An MCP server for coding agents: tools for tables, items, query, scan, PartiQL and streams, "
      "and a data-model resource per table; on stdio, or Streamable HTTP with --mcp-port");
  AddDdbTargetFlags(*cmd, options->target, true, false);
  cmd->add_flag("--read-only", options->read_only,
                "Hide the write tools (put/update/delete) and run only SELECT statements");
  cmd->add_option("--mcp-port", options->port,
                  "Serve the Streamable HTTP transport at http://HOST:PORT/mcp instead of stdio "
                  "(0 picks a free port)")
      ->type_name("PORT");
  cmd->add_option("--mcp-host", options->host, "The address --mcp-port binds (default 127.0.0.1)");
  cmd->add_option("--mcp-token", options->token,
                  "The HTTP bearer token (else $CRUDDUR_MCP_TOKEN; on a loopback address, else "
                  "<data-dir>/mcp-token, generated on first use)");
  cmd->callback([&globals, options] { RunMcp(globals, *options); });
}

}  // namespace cruddur::cli
