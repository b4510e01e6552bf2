// `cruddur cognito list-users` (the original bin/cognito/list-users) and the user-pool reading
// that `cruddur db update-cognito-user-ids` shares: Cognito ListUsers on
// AWS_COGNITO_USER_POOL_ID, every page.
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aws/cognito.h"
#include "cli/aws_service.h"
#include "cli/cli.h"

namespace cruddur::cli {

namespace {

std::string UserPoolId() {
  const char* value = std::getenv("AWS_COGNITO_USER_POOL_ID");
  if (value == nullptr || *value == '\0') {
    throw CliError("AWS_COGNITO_USER_POOL_ID is not set: no Cognito user pool to read");
  }
  return value;
}

// Every user of the pool, with only `attributes` (all of them when empty).
std::vector<aws::CognitoUser> ListPoolUsers(const std::string& pool_id,
                                            std::vector<std::string> attributes) {
  aws::ServiceConfig config = AwsServiceConfig(aws::kCognitoService, aws::kCognitoEnvServiceId,
                                               aws::RegionOfUserPool(pool_id));
  std::vector<aws::CognitoUser> users;
  RunAwsCall("Cognito ListUsers", config, [&] {
    aws::CognitoClient client(config);
    aws::ListUsersRequest request;
    request.user_pool_id = pool_id;
    request.attributes_to_get = std::move(attributes);
    users = client.ListAllUsers(std::move(request));
  });
  return users;
}

std::string Pretty(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The users as the service sent them, one JSON array (indent 2).
void PrintUsersJson(const std::vector<aws::CognitoUser>& users) {
  rapidjson::Document all(rapidjson::kArrayType);
  for (const aws::CognitoUser& user : users) {
    rapidjson::Document one(&all.GetAllocator());
    one.Parse(user.json.c_str(), user.json.size());
    all.PushBack(rapidjson::Value(one, all.GetAllocator()), all.GetAllocator());
  }
  std::printf("%s\n", Pretty(all).c_str());
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

std::vector<std::pair<std::string, std::string>> HandleSubs(
    const std::vector<aws::CognitoUser>& users) {
  std::vector<std::pair<std::string, std::string>> map;
  for (const aws::CognitoUser& user : users) {
    std::string handle = user.Attribute("preferred_username");
    if (!handle.empty()) map.emplace_back(std::move(handle), user.Attribute("sub"));
  }
  return map;
}

void ListUsers(bool json) {
  std::string pool_id = UserPoolId();
  if (json) {
    // The original's call: only the two attributes the handle->sub map needs.
    std::vector<aws::CognitoUser> users = ListPoolUsers(pool_id, {"preferred_username", "sub"});
    PrintUsersJson(users);
    rapidjson::Document map(rapidjson::kObjectType);
    for (auto& [handle, sub] : HandleSubs(users)) {
      rapidjson::Value key(handle.c_str(), static_cast<rapidjson::SizeType>(handle.size()),
                           map.GetAllocator());
      rapidjson::Value value(sub.c_str(), static_cast<rapidjson::SizeType>(sub.size()),
                             map.GetAllocator());
      map.AddMember(key, value, map.GetAllocator());
    }
    std::printf("%s\n", Pretty(map).c_str());
    return;
  }
  std::vector<aws::CognitoUser> users =
      ListPoolUsers(pool_id, {"preferred_username", "sub", "email"});
  std::printf("user pool %s: %zu user%s\n", pool_id.c_str(), users.size(),
              users.size() == 1 ? "" : "s");
  std::vector<std::vector<std::string>> rows = {{"handle", "sub", "email", "status"}};
  for (const aws::CognitoUser& user : users) {
    std::string handle = user.Attribute("preferred_username");
    rows.push_back({handle.empty() ? "-" : handle, user.Attribute("sub"), user.Attribute("email"),
                    user.user_status + (user.enabled ? "" : " (disabled)")});
  }
  PrintTable(rows);
  std::printf("\nhandle -> sub\n");
  std::vector<std::vector<std::string>> map_rows;
  for (auto& [handle, sub] : HandleSubs(users)) map_rows.push_back({handle, sub});
  PrintTable(map_rows);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> CognitoHandleSubs(
    const std::string& user_pool_id) {
  return HandleSubs(ListPoolUsers(user_pool_id, {"preferred_username", "sub"}));
}

void AddCognitoCommands(CLI::App& app, GlobalOptions& /*globals*/) {
  CLI::App* cognito = AddCommandGroup(
      app, "cognito", "The Cognito user pool AWS_COGNITO_USER_POOL_ID (ListUsers, every page)");
  auto json = std::make_shared<bool>(false);
  CLI::App* list = cognito->add_subcommand(
      "list-users",
      "List the pool's users (handle, sub, email, status), then the handle -> sub map");
  list->add_flag("--json", *json,
                 "Print the users as ListUsers returns them (JSON), then the map as JSON");
  list->callback([json] { ListUsers(*json); });
}

}  // namespace cruddur::cli
