// `cruddur auth ...`: development-mode tokens. Without a Cognito user pool
// (AWS_COGNITO_USER_POOL_ID unset) the messaging API trusts tokens signed by the key in
// <data-dir>/dev-signing-key.pem; these commands mint such tokens for users of the users database
// (CONNECTION_URL, else <data-dir>/users.db, as `cruddur db` resolves it).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth.h"
#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "cruddur/postgres_admin.h"
#include "cruddur/users.h"

namespace cruddur::cli {

namespace {

namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

void RequireDevelopmentMode(const char* command) {
  if (!Env("AWS_COGNITO_USER_POOL_ID").empty()) {
    throw CliError(std::string(command) +
                   " is for development mode only: AWS_COGNITO_USER_POOL_ID is set, so the API "
                   "trusts Cognito's tokens (sign in through Cognito to get one)");
  }
}

// The users database the same way `cruddur db` finds it (never the production one: production
// users come from Cognito, not from development tokens).
std::unique_ptr<UserStore> OpenUsers(const GlobalOptions& globals) {
  std::string description;
  return OpenExistingUsers(globals, /*prod=*/false, &description);
}

void MintToken(const GlobalOptions& globals, std::string_view handle, int ttl_seconds) {
  RequireDevelopmentMode("`cruddur auth token`");
  std::unique_ptr<UserStore> users = OpenUsers(globals);
  api::DevSigningKey key = api::DevSigningKey::LoadOrCreate(globals.DataDir());
  std::optional<api::DevToken> minted =
      api::MintDevToken(*users, key, handle, std::chrono::seconds(ttl_seconds));
  if (!minted) {
    if (!handle.empty() && handle.front() == '@') handle.remove_prefix(1);
    throw CliError("no user with handle '" + std::string(handle) +
                   "' (run `cruddur db seed` for the seed users)");
  }
  if (minted->sub_assigned) {
    std::fprintf(stderr, "cruddur: gave %s the development cognito_user_id %s (was '%s')\n",
                 minted->handle.c_str(), minted->sub.c_str(), minted->previous_sub.c_str());
  }
  // Only the token, for TOKEN=$(cruddur auth token ...).
  std::printf("%s\n", minted->token.c_str());
  std::fflush(stdout);
}

void PrintJwks(const GlobalOptions& globals) {
  RequireDevelopmentMode("`cruddur auth jwks`");
  api::DevSigningKey key = api::DevSigningKey::LoadOrCreate(globals.DataDir());
  std::printf("%s\n", key.PublicJwks().ToJson().c_str());
  std::fflush(stdout);
}

struct TokenOptions {
  std::string handle;
  int ttl = 3600;
};

}  // namespace

void AddAuthCommands(CLI::App& app, GlobalOptions& globals) {
  CLI::App* auth = AddCommandGroup(
      app, "auth",
      "Development-mode authentication (AWS_COGNITO_USER_POOL_ID unset): tokens signed by "
      "<data-dir>/dev-signing-key.pem");

  auto options = std::make_shared<TokenOptions>();
  CLI::App* token = auth->add_subcommand(
      "token",
      "Print a bearer token for the user with HANDLE (gives the user a unique cognito_user_id "
      "first when it is the seed's MOCK)");
  token->add_option("handle", options->handle, "The user's handle, e.g. andrewbrown")->required();
  token->add_option("--ttl", options->ttl, "Lifetime in seconds (1 to 86400)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  token->callback([&globals, options] {
    RunCommand([&] { MintToken(globals, options->handle, options->ttl); });
  });

  CLI::App* jwks =
      auth->add_subcommand("jwks", "Print the development signing key's public JSON Web Key Set");
  jwks->callback([&globals] { RunCommand([&] { PrintJwks(globals); }); });
}

}  // namespace cruddur::cli
