#include "aws/cognito.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "aws/fake_service_test_util.h"
#include "testing/expect_cases.h"

namespace cruddur::aws {
namespace {

using test_util::ExpectCases;

TEST(CognitoListUsers, RequestJsonHasTheSetMembersOnly) {
  ListUsersRequest request;
  request.user_pool_id = "us-east-1_AbC";
  EXPECT_EQ(ListUsersRequestJson(request), R"({"UserPoolId":"us-east-1_AbC","Limit":60})");
  request.attributes_to_get = {"preferred_username", "sub"};
  request.pagination_token = "tok\"en";
  request.limit = 0;
  request.filter = "email ^= \"a\"";
  EXPECT_EQ(ListUsersRequestJson(request),
            R"({"UserPoolId":"us-east-1_AbC","AttributesToGet":["preferred_username","sub"],)"
            R"("PaginationToken":"tok\"en","Filter":"email ^= \"a\""})");
}

TEST(CognitoListUsers, ParsesUsersAttributesAndToken) {
  ListUsersPage page = ParseListUsersResponse(R"({
    "PaginationToken": "next-1",
    "Users": [
      {"Username": "andrew", "Enabled": true, "UserStatus": "CONFIRMED",
       "UserCreateDate": 1.678E9,
       "Attributes": [{"Name": "sub", "Value": "s-1"},
                      {"Name": "preferred_username", "Value": "andrewbrown"}]},
      {"Username": "bayko", "Enabled": false, "UserStatus": "FORCE_CHANGE_PASSWORD"}
    ]})");
  EXPECT_EQ(page.pagination_token, "next-1");
  ASSERT_EQ(page.users.size(), 2u);
  EXPECT_EQ(page.users[0].username, "andrew");
  EXPECT_TRUE(page.users[0].enabled);
  EXPECT_EQ(page.users[0].user_status, "CONFIRMED");
  EXPECT_EQ(page.users[0].Attribute("sub"), "s-1");
  EXPECT_EQ(page.users[0].Attribute("preferred_username"), "andrewbrown");
  EXPECT_EQ(page.users[0].Attribute("email"), "");
  EXPECT_NE(page.users[0].json.find("\"UserCreateDate\":1678000000.0"), std::string::npos)
      << page.users[0].json;
  EXPECT_FALSE(page.users[1].enabled);
  EXPECT_TRUE(page.users[1].attributes.empty());
}

TEST(CognitoListUsers, EmptyAnswerIsTheLastPage) {
  ListUsersPage page = ParseListUsersResponse("{}");
  EXPECT_TRUE(page.users.empty());
  EXPECT_TRUE(page.pagination_token.empty());
}

TEST(CognitoListUsers, MalformedAnswersThrowSerializationException) {
  ExpectSerializationErrors(ParseListUsersResponse, {"", "[]", "{\"Users\":{}}", "{\"Users\":[1]}",
                                                     "{\"Users\":[{\"Attributes\":7}]}"});
}

TEST(CognitoErrors, TypeFromBodyHeaderOrStatus) {
  http::Response response;
  response.status = 400;
  response.body =
      R"({"__type":"ResourceNotFoundException","message":"User pool x does not exist."})";
  ServiceError e = ParseJsonError(response);
  EXPECT_EQ(e.type(), "ResourceNotFoundException");
  EXPECT_EQ(e.message(), "User pool x does not exist.");
  EXPECT_STREQ(e.what(), "ResourceNotFoundException: User pool x does not exist.");
  EXPECT_EQ(e.http_status(), 400);

  response.body = R"({"__type":"com.amazonaws.cognito#NotAuthorizedException","Message":"no"})";
  EXPECT_EQ(ParseJsonError(response).type(), "NotAuthorizedException");
  EXPECT_EQ(ParseJsonError(response).message(), "no");

  response.body = "<html>bad gateway</html>";
  response.headers.Set("x-amzn-ErrorType", "InvalidParameterException:http://internal.amazon/");
  EXPECT_EQ(ParseJsonError(response).type(), "InvalidParameterException");

  http::Response bare;
  bare.status = 503;
  EXPECT_EQ(ParseJsonError(bare).type(), "ServiceUnavailable");
}

TEST(CognitoRegion, FromUserPoolId) {
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"us-east-1_AbCdEf", "us-east-1"},
      {"ca-central-1_x", "ca-central-1"},
      {"nounderscore", ""},
      {"_abc", ""},
      {"US EAST_abc", ""}};
  ExpectCases(RegionOfUserPool, kCases);
}

TEST(Endpoints, DefaultAndEnvironment) {
  EXPECT_EQ(DefaultEndpoint("cognito-idp", "us-east-1"),
            "https://cognito-idp.us-east-1.amazonaws.com");
  EXPECT_EQ(DefaultEndpoint("ec2", "cn-north-1"), "https://ec2.cn-north-1.amazonaws.com.cn");
  EXPECT_THROW(DefaultEndpoint("ec2", ""), std::invalid_argument);
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER");
  EXPECT_EQ(EndpointFromEnvironment("COGNITO_IDENTITY_PROVIDER"), "");
  setenv("AWS_ENDPOINT_URL", "http://general:1", 1);
  EXPECT_EQ(EndpointFromEnvironment("COGNITO_IDENTITY_PROVIDER"), "http://general:1");
  setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://specific:2", 1);
  EXPECT_EQ(EndpointFromEnvironment("COGNITO_IDENTITY_PROVIDER"), "http://specific:2");
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER");
}

// A fake Cognito endpoint in this process: verifies each request's signature for the
// cognito-idp service, records the bodies, and serves three pages of users.
class FakeCognito {
 public:
  std::string url() const { return endpoint_.url(); }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  std::atomic<int> fail_first{0};  // answer this many requests with a 500 first

 private:
  http::Response Handle(const http::Request& request, const std::optional<AuthError>& error) {
    http::Response response;
    response.headers.Set("Content-Type", "application/x-amz-json-1.1");
    if (error) {
      response.status = 400;
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      writer.StartObject();
      writer.Key("__type");
      writer.String(error->type.c_str());
      writer.Key("message");
      writer.String(error->message.c_str());
      writer.EndObject();
      response.body = buffer.GetString();
      return response;
    }
    if (request.headers.Get("X-Amz-Target") != "AWSCognitoIdentityProviderService.ListUsers" ||
        request.headers.Get("Content-Type") != "application/x-amz-json-1.1") {
      response.status = 400;
      response.body = R"({"__type":"UnknownOperationException"})";
      return response;
    }
    {
      std::lock_guard lock(mutex_);
      bodies_.push_back(request.body);
    }
    if (fail_first.fetch_sub(1) > 0) {
      response.status = 500;
      response.body = R"({"__type":"InternalErrorException","message":"try again"})";
      return response;
    }
    rapidjson::Document doc;
    doc.Parse(request.body.c_str());
    if (doc["UserPoolId"].GetString() != std::string("us-east-1_pool")) {
      response.status = 400;
      response.body = R"({"__type":"ResourceNotFoundException","message":"User pool )" +
                      std::string(doc["UserPoolId"].GetString()) + R"( does not exist."})";
      return response;
    }
    std::string token = doc.HasMember("PaginationToken") ? doc["PaginationToken"].GetString() : "";
    if (token.empty()) {
      response.body =
          R"({"Users":[)" + User("a") + "," + User("b") + R"(],"PaginationToken":"p2"})";
    } else if (token == "p2") {
      response.body = R"({"Users":[)" + User("c") + R"(],"PaginationToken":"p3"})";
    } else {
      response.body = R"({"Users":[)" + User("d") + "]}";
    }
    return response;
  }

  static std::string User(const std::string& name) {
    return R"({"Username":")" + name + R"(","Attributes":[{"Name":"sub","Value":"sub-)" + name +
           R"("},{"Name":"preferred_username","Value":")" + name + R"("}]})";
  }

  std::mutex mutex_;
  std::vector<std::string> bodies_;
  FakeEndpoint endpoint_{
      "cognito-idp",
      [this](const http::Request& r, const std::optional<AuthError>& e) { return Handle(r, e); }};
};

// A client of a FakeCognito, and a ListUsers request for the fake's pool.
class CognitoClientTest : public ::testing::Test {
 protected:
  CognitoClientTest() { request_.user_pool_id = "us-east-1_pool"; }

  FakeCognito fake_;
  std::vector<std::chrono::milliseconds> sleeps_;
  CognitoClient client_{FakeConfig(fake_.url(), &sleeps_)};
  ListUsersRequest request_;
};

TEST_F(CognitoClientTest, FollowsPaginationTokensThroughEveryPage) {
  request_.attributes_to_get = {"preferred_username", "sub"};
  std::vector<CognitoUser> users = client_.ListAllUsers(request_);
  ASSERT_EQ(users.size(), 4u);
  EXPECT_EQ(users[0].Attribute("sub"), "sub-a");
  EXPECT_EQ(users[3].Attribute("preferred_username"), "d");
  std::vector<std::string> bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0].find("PaginationToken"), std::string::npos);
  EXPECT_NE(bodies[1].find(R"("PaginationToken":"p2")"), std::string::npos);
  EXPECT_NE(bodies[2].find(R"("PaginationToken":"p3")"), std::string::npos);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(CognitoClientTest, ServiceErrorsCarryTheAwsType) {
  request_.user_pool_id = "us-east-1_missing";
  ServiceError e = ServiceErrorOf([&] { client_.ListAllUsers(request_); });
  EXPECT_EQ(e.type(), "ResourceNotFoundException");
  EXPECT_EQ(e.message(), "User pool us-east-1_missing does not exist.");
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(sleeps_.empty());  // 4xx answers are not retried
}

TEST_F(CognitoClientTest, WrongSecretIsRejectedBySignatureCheck) {
  ServiceConfig config = FakeConfig(fake_.url(), &sleeps_);
  config.credentials.secret_access_key = "wrong";
  CognitoClient client(config);
  EXPECT_EQ(ServiceErrorOf([&] { client.ListUsers(request_); }).type(),
            "InvalidSignatureException");
}

TEST_F(CognitoClientTest, RetriesServerErrorsWithBackoff) {
  fake_.fail_first = 2;
  EXPECT_EQ(client_.ListUsers(request_).users.size(), 2u);
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(100));
  EXPECT_EQ(sleeps_[1], std::chrono::milliseconds(200));

  fake_.fail_first = 3;
  ServiceError e = ServiceErrorOf([&] { client_.ListUsers(request_); });
  EXPECT_EQ(e.type(), "InternalErrorException");
  EXPECT_EQ(e.http_status(), 500);
}

TEST(CognitoClient, UnreachableEndpointIsATransportError) {
  std::string url;
  {
    FakeCognito gone;
    url = gone.url();
  }
  std::vector<std::chrono::milliseconds> sleeps;
  CognitoClient client(FakeConfig(url, &sleeps));
  ListUsersRequest request;
  request.user_pool_id = "us-east-1_pool";
  EXPECT_THROW(client.ListUsers(request), http::TransportError);
  EXPECT_EQ(sleeps.size(), 2u);  // three attempts
}

}  // namespace
}  // namespace cruddur::aws
