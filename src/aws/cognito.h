// Amazon Cognito user pools (service "cognito-idp"): ListUsers over the AWS JSON 1.1 protocol
// (POST /, X-Amz-Target: AWSCognitoIdentityProviderService.ListUsers), SigV4-signed.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/service.h"

namespace cruddur::aws {

// The SigV4 service name and endpoint prefix, and the suffix of AWS_ENDPOINT_URL_<...>.
inline constexpr std::string_view kCognitoService = "cognito-idp";
inline constexpr std::string_view kCognitoEnvServiceId = "COGNITO_IDENTITY_PROVIDER";
// ListUsers answers at most this many users per page.
inline constexpr int kListUsersMaxLimit = 60;

// One user of a pool, as ListUsers describes it (a UserType).
struct CognitoUser {
  std::string username;
  std::vector<std::pair<std::string, std::string>> attributes;  // Name, Value, in wire order
  std::string user_status;  // e.g. "CONFIRMED", "FORCE_CHANGE_PASSWORD"
  bool enabled = false;
  std::string json;  // the UserType object as the service sent it (compact JSON)

  // The value of attribute `name`, or "" when the user has none.
  std::string Attribute(std::string_view name) const;
};

struct ListUsersRequest {
  std::string user_pool_id;
  std::vector<std::string> attributes_to_get;  // empty: all attributes (the member is omitted)
  int limit = kListUsersMaxLimit;              // 1..60; 0 omits the member
  std::string pagination_token;                // empty: the first page
  std::string filter;                          // empty: omitted
};

struct ListUsersPage {
  std::vector<CognitoUser> users;
  std::string pagination_token;  // empty on the last page
};

// The JSON body of a ListUsers request.
std::string ListUsersRequestJson(const ListUsersRequest& request);
// Parses a ListUsers answer. Throws ServiceError (type "SerializationException") when the body is
// not the JSON object ListUsers answers with.
ListUsersPage ParseListUsersResponse(std::string_view body);

class CognitoClient {
 public:
  // Throws std::invalid_argument for a malformed endpoint URL.
  explicit CognitoClient(ServiceConfig config);

  // One ListUsers call. Throws ServiceError or http::TransportError.
  ListUsersPage ListUsers(const ListUsersRequest& request);
  // Every user of the pool: follows PaginationToken through all pages (starting at
  // request.pagination_token). Throws as ListUsers.
  std::vector<CognitoUser> ListAllUsers(ListUsersRequest request);

  const SignedPoster& poster() const { return poster_; }

 private:
  SignedPoster poster_;
};

// The region a user pool lives in, from its id ("us-east-1_AbCdEf" -> "us-east-1"); "" when
// the id has no region prefix.
std::string RegionOfUserPool(std::string_view user_pool_id);

}  // namespace cruddur::aws
