#include "client/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "client/dynamodb_client.h"

namespace cruddur::client {
namespace {

// Every variable the resolution reads: unset for the test, restored afterwards.
constexpr const char* kAwsVariables[] = {"AWS_ACCESS_KEY_ID",
                                         "AWS_SECRET_ACCESS_KEY",
                                         "AWS_SESSION_TOKEN",
                                         "AWS_SECURITY_TOKEN",
                                         "AWS_PROFILE",
                                         "AWS_DEFAULT_PROFILE",
                                         "AWS_REGION",
                                         "AWS_DEFAULT_REGION",
                                         "AWS_SHARED_CREDENTIALS_FILE",
                                         "AWS_CONFIG_FILE",
                                         "AWS_ENDPOINT_URL_DYNAMODB",
                                         "AWS_ENDPOINT_URL",
                                         "HOME"};

class ScopedEnvironment {
 public:
  ScopedEnvironment() {
    for (const char* name : kAwsVariables) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      ::unsetenv(name);
    }
  }
  ~ScopedEnvironment() {
    for (const char* name : kAwsVariables) {
      auto it = saved_.find(name);
      if (it == saved_.end()) {
        ::unsetenv(name);
      } else {
        ::setenv(name, it->second.c_str(), 1);
      }
    }
  }
  void Set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  std::map<std::string, std::string> saved_;
};

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() /
            ("cruddur_credentials_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(home_);
    std::filesystem::create_directories(home_ / ".aws");
    env_.Set("HOME", home_.string());  // ~/.aws/... resolves into the temp dir
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(home_ / relative) << text;
  }
  std::string ErrorOf(void (*resolve)()) {
    try {
      resolve();
    } catch (const CredentialsError& e) {
      return e.what();
    }
    return "(no error)";
  }

  ScopedEnvironment env_;
  std::filesystem::path home_;
};

TEST(ParseIni, SectionsKeysCommentsAndNestedSettings) {
  IniFile file = ParseIni(
      "# comment\n"
      "[default]\n"
      "aws_access_key_id = AKID \r\n"
      "; another comment\n"
      "region=eu-west-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 10\n"
      "output = json\n"
      "[ profile dev ]\n"
      "region = us-west-2\n");
  EXPECT_EQ(file["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ(file["default"]["region"], "eu-west-1");
  EXPECT_EQ(file["default"]["output"], "json");
  EXPECT_EQ(file["default"].count("max_concurrent_requests"), 0u);
  EXPECT_EQ(file["profile dev"]["region"], "us-west-2");
}

TEST_F(CredentialsTest, EnvironmentComesFirst) {
  Write(".aws/credentials",
        "[default]\naws_access_key_id=FILE\naws_secret_access_key=FILESECRET\n");
  env_.Set("AWS_ACCESS_KEY_ID", "ENVKEY");
  env_.Set("AWS_SECRET_ACCESS_KEY", "ENVSECRET");
  env_.Set("AWS_SESSION_TOKEN", "TOKEN");
  aws::Credentials c = ResolveCredentials();
  EXPECT_EQ(c.access_key_id, "ENVKEY");
  EXPECT_EQ(c.secret_access_key, "ENVSECRET");
  EXPECT_EQ(c.session_token, "TOKEN");
}

TEST_F(CredentialsTest, PartialEnvironmentIsAnError) {
  env_.Set("AWS_ACCESS_KEY_ID", "ENVKEY");
  EXPECT_EQ(ErrorOf([] { ResolveCredentials(); }),
            "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY");
}

TEST_F(CredentialsTest, DefaultProfileFromTheSharedCredentialsFile) {
  Write(".aws/credentials",
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s3cr3t\n"
        "aws_session_token = tok\n[other]\naws_access_key_id=O\naws_secret_access_key=OS\n");
  aws::Credentials c = ResolveCredentials();
  EXPECT_EQ(c.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(c.secret_access_key, "s3cr3t");
  EXPECT_EQ(c.session_token, "tok");
}

TEST_F(CredentialsTest, NamedProfileFromEitherFile) {
  Write(".aws/credentials", "[dev]\naws_access_key_id=DEV\naws_secret_access_key=DEVSECRET\n");
  Write(
      ".aws/config",
      "[profile dev]\nregion = ap-south-1\n"
      "[profile ops]\naws_access_key_id=OPS\naws_secret_access_key=OPSSECRET\nregion=eu-north-1\n");
  env_.Set("AWS_PROFILE", "dev");
  EXPECT_EQ(ResolveCredentials().access_key_id, "DEV");
  EXPECT_EQ(ResolveRegion(), "ap-south-1");
  env_.Set("AWS_PROFILE", "ops");  // keys in the config file count too
  EXPECT_EQ(ResolveCredentials().secret_access_key, "OPSSECRET");
  EXPECT_EQ(ResolveRegion(), "eu-north-1");
}

TEST_F(CredentialsTest, FileLocationsComeFromTheEnvironment) {
  Write("creds", "[default]\naws_access_key_id=ELSEWHERE\naws_secret_access_key=X\n");
  Write("conf", "[default]\nregion = sa-east-1\n");  // "[default]" works in the config file
  env_.Set("AWS_SHARED_CREDENTIALS_FILE", (home_ / "creds").string());
  env_.Set("AWS_CONFIG_FILE", (home_ / "conf").string());
  EXPECT_EQ(ResolveCredentials().access_key_id, "ELSEWHERE");
  EXPECT_EQ(ResolveRegion(), "sa-east-1");
  EXPECT_EQ(SharedCredentialsPath(), (home_ / "creds").string());
  env_.Set("AWS_CONFIG_FILE", "~/conf");
  EXPECT_EQ(ConfigPath(), (home_ / "conf").string());
}

TEST_F(CredentialsTest, RegionPrecedence) {
  Write(".aws/config", "[default]\nregion = from-profile\n");
  EXPECT_EQ(ResolveRegion(), "from-profile");
  env_.Set("AWS_DEFAULT_REGION", "from-default-region");
  EXPECT_EQ(ResolveRegion(), "from-default-region");
  env_.Set("AWS_REGION", "from-region");
  EXPECT_EQ(ResolveRegion(), "from-region");
}

TEST_F(CredentialsTest, ClearErrorsWhenNothingIsConfigured) {
  std::string error = ErrorOf([] { ResolveCredentials(); });
  EXPECT_EQ(error.rfind("Unable to locate credentials", 0), 0u) << error;
  EXPECT_NE(error.find("AWS_ACCESS_KEY_ID"), std::string::npos) << error;
  EXPECT_EQ(FindRegion(), std::nullopt);
  error = ErrorOf([] { ResolveRegion(); });
  EXPECT_EQ(error.rfind("You must specify a region", 0), 0u) << error;
}

TEST_F(CredentialsTest, MissingNamedProfileIsReported) {
  Write(".aws/credentials", "[default]\naws_access_key_id=A\naws_secret_access_key=B\n");
  env_.Set("AWS_PROFILE", "nosuch");
  EXPECT_EQ(ErrorOf([] { ResolveCredentials(); }),
            "The config profile (nosuch) could not be found");
  EXPECT_EQ(ErrorOf([] { ResolveRegion(); }), "The config profile (nosuch) could not be found");
}

TEST_F(CredentialsTest, PartialAndUnsupportedProfilesAreReported) {
  Write(".aws/credentials", "[default]\naws_access_key_id=A\n");
  EXPECT_EQ(ErrorOf([] { ResolveCredentials(); }),
            "Partial credentials found in shared-credentials-file, missing: "
            "aws_secret_access_key");
  Write(".aws/credentials", "");
  Write(".aws/config", "[profile sso]\nsso_session = corp\nregion = us-east-1\n");
  env_.Set("AWS_PROFILE", "sso");
  std::string error = ErrorOf([] { ResolveCredentials(); });
  EXPECT_NE(error.find("uses SSO credentials"), std::string::npos) << error;
}

TEST_F(CredentialsTest, EndpointResolution) {
  EXPECT_EQ(ResolveEndpoint("http://localhost:8000", "us-east-1"), "http://localhost:8000");
  EXPECT_EQ(ResolveEndpoint("", "eu-west-1"), "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(ResolveEndpoint("", "cn-north-1"), "https://dynamodb.cn-north-1.amazonaws.com.cn");
  EXPECT_THROW(ResolveEndpoint("", ""), std::invalid_argument);

  EXPECT_EQ(EndpointFromEnvironment(), "");
  env_.Set("AWS_ENDPOINT_URL", "http://general:1");
  EXPECT_EQ(EndpointFromEnvironment(), "http://general:1");
  env_.Set("AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:2");
  EXPECT_EQ(EndpointFromEnvironment(), "http://ddb:2");
}

}  // namespace
}  // namespace cruddur::client
