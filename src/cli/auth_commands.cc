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
#include <string>

#include "api/auth.h"
#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "cruddur/postgres_admin.h"
#include "cruddur/users.h"
#include "cruddur/uuid.h"

namespace cruddur::cli {

namespace {

namespace fs = std::filesystem;

// The seed's placeholder: every seed user has it, so it identifies nobody.
constexpr std::string_view kMockCognitoUserId = "MOCK";

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

// The user's sub, giving the user a fresh one first when theirs is the seed's shared "MOCK",
// empty, or shared with another user (a token must name exactly one user).
std::string UniqueSub(UserStore& users, const User& user) {
  const std::string& current = user.cognito_user_id;
  if (!current.empty() && current != kMockCognitoUserId) {
    int holders = 0;  // a development database is small: a scan is fine
    for (const User& other : users.ListUsers()) holders += other.cognito_user_id == current;
    if (holders == 1) return current;
  }
  std::string sub = NewUuidV4();
  if (!users.UpdateCognitoUserId(user.handle, sub)) {
    throw CliError("user " + user.handle + " disappeared while assigning a cognito_user_id");
  }
  std::fprintf(stderr, "cruddur: gave %s the development cognito_user_id %s (was '%s')\n",
               user.handle.c_str(), sub.c_str(), current.c_str());
  return sub;
}

void MintToken(const GlobalOptions& globals, std::string handle, int ttl_seconds) {
  RequireDevelopmentMode("`cruddur auth token`");
  if (!handle.empty() && handle.front() == '@') handle.erase(0, 1);
  std::unique_ptr<UserStore> users = OpenUsers(globals);
  std::optional<User> user = users->FindByHandle(handle);
  if (!user) {
    throw CliError("no user with handle '" + handle +
                   "' (run `cruddur db seed` for the seed users)");
  }
  std::string sub = UniqueSub(*users, *user);
  api::DevSigningKey key = api::DevSigningKey::LoadOrCreate(globals.DataDir());
  std::string token = key.MintToken(sub, user->handle, std::chrono::seconds(ttl_seconds));
  std::printf("%s\n", token.c_str());  // only the token, for TOKEN=$(cruddur auth token ...)
  std::fflush(stdout);
}

void PrintJwks(const GlobalOptions& globals) {
  RequireDevelopmentMode("`cruddur auth jwks`");
  api::DevSigningKey key = api::DevSigningKey::LoadOrCreate(globals.DataDir());
  std::printf("%s\n", key.PublicJwks().ToJson().c_str());
  std::fflush(stdout);
}

// Library failures become one-line CliErrors.
template <typename Action>
void Run(Action action) {
  try {
    action();
  } catch (const CliError&) {
    throw;
  } catch (const std::exception& e) {
    throw CliError(e.what());
  }
}

struct TokenOptions {
  std::string handle;
  int ttl = 3600;
};

}  // namespace

void AddAuthCommands(CLI::App& app, GlobalOptions& globals) {
  CLI::App* auth = app.add_subcommand(
      "auth",
      "Development-mode authentication (AWS_COGNITO_USER_POOL_ID unset): tokens signed by "
      "<data-dir>/dev-signing-key.pem");
  auth->require_subcommand(1);

  auto options = std::make_shared<TokenOptions>();
  CLI::App* token = auth->add_subcommand(
      "token",
      "Print a bearer token for the user with HANDLE (gives the user a unique cognito_user_id "
      "first when it is the seed's MOCK)");
  token->add_option("handle", options->handle, "The user's handle, e.g. andrewbrown")->required();
  token->add_option("--ttl", options->ttl, "Lifetime in seconds (1 to 86400)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  token->callback(
      [&globals, options] { Run([&] { MintToken(globals, options->handle, options->ttl); }); });

  CLI::App* jwks =
      auth->add_subcommand("jwks", "Print the development signing key's public JSON Web Key Set");
  jwks->callback([&globals] { Run([&] { PrintJwks(globals); }); });
}

}  // namespace cruddur::cli
