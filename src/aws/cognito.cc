#include "aws/cognito.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <utility>

#include "encoding/json.h"

namespace cruddur::aws {

namespace {

using encoding::JsonText;
using encoding::StringMember;

constexpr char kListUsersTarget[] = "AWSCognitoIdentityProviderService.ListUsers";
constexpr char kJsonContentType[] = "application/x-amz-json-1.1";

ServiceError Malformed(std::string_view why) {
  return ServiceError(200, "SerializationException",
                      "the ListUsers answer is not what Cognito sends: " + std::string(why));
}

}  // namespace

std::string CognitoUser::Attribute(std::string_view name) const {
  for (const auto& [attribute, value] : attributes) {
    if (attribute == name) return value;
  }
  return "";
}

std::string ListUsersRequestJson(const ListUsersRequest& request) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&writer](const std::string& s) {
    writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  writer.StartObject();
  writer.Key("UserPoolId");
  string(request.user_pool_id);
  if (!request.attributes_to_get.empty()) {
    writer.Key("AttributesToGet");
    writer.StartArray();
    for (const std::string& name : request.attributes_to_get) string(name);
    writer.EndArray();
  }
  if (request.limit > 0) {
    writer.Key("Limit");
    writer.Int(request.limit);
  }
  if (!request.pagination_token.empty()) {
    writer.Key("PaginationToken");
    string(request.pagination_token);
  }
  if (!request.filter.empty()) {
    writer.Key("Filter");
    string(request.filter);
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

ListUsersPage ParseListUsersResponse(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) throw Malformed("not a JSON object");
  const rapidjson::Value& root = doc;  // const iterators: clang finds mixed ones ambiguous
  ListUsersPage page;
  page.pagination_token = StringMember(root, "PaginationToken");
  auto users = root.FindMember("Users");
  if (users == root.MemberEnd()) return page;  // an empty pool may omit the list
  if (!users->value.IsArray()) throw Malformed("Users is not a list");
  for (const rapidjson::Value& entry : users->value.GetArray()) {
    if (!entry.IsObject()) throw Malformed("a user is not an object");
    CognitoUser user;
    user.username = StringMember(entry, "Username");
    user.user_status = StringMember(entry, "UserStatus");
    auto enabled = entry.FindMember("Enabled");
    user.enabled =
        enabled != entry.MemberEnd() && enabled->value.IsBool() && enabled->value.GetBool();
    auto attributes = entry.FindMember("Attributes");
    if (attributes != entry.MemberEnd()) {
      if (!attributes->value.IsArray()) throw Malformed("Attributes is not a list");
      for (const rapidjson::Value& attribute : attributes->value.GetArray()) {
        if (!attribute.IsObject()) throw Malformed("an attribute is not an object");
        user.attributes.emplace_back(StringMember(attribute, "Name"),
                                     StringMember(attribute, "Value"));
      }
    }
    user.json = JsonText(entry);
    page.users.push_back(std::move(user));
  }
  return page;
}

CognitoClient::CognitoClient(ServiceConfig config)
    : poster_(std::move(config), std::string(kCognitoService)) {}

ListUsersPage CognitoClient::ListUsers(const ListUsersRequest& request) {
  http::Headers headers;
  headers.Set("Content-Type", kJsonContentType);
  headers.Set("X-Amz-Target", kListUsersTarget);
  http::Response response = poster_.Post(headers, ListUsersRequestJson(request), ParseJsonError);
  return ParseListUsersResponse(response.body);
}

std::vector<CognitoUser> CognitoClient::ListAllUsers(ListUsersRequest request) {
  std::vector<CognitoUser> users;
  for (;;) {
    ListUsersPage page = ListUsers(request);
    for (CognitoUser& user : page.users) users.push_back(std::move(user));
    if (page.pagination_token.empty()) return users;
    // A service that hands back the token it was given would loop forever.
    if (page.pagination_token == request.pagination_token) {
      throw ServiceError(200, "SerializationException",
                         "ListUsers returned the same PaginationToken twice");
    }
    request.pagination_token = std::move(page.pagination_token);
  }
}

std::string RegionOfUserPool(std::string_view user_pool_id) {
  std::size_t underscore = user_pool_id.find('_');
  if (underscore == std::string_view::npos || underscore == 0) return "";
  std::string_view region = user_pool_id.substr(0, underscore);
  for (char c : region) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return "";
    }
  }
  return std::string(region);
}

}  // namespace cruddur::aws
