// Test fixture shared by the api tests: an in-memory engine with the messages table, the seeded
// users in a SQLite file in a temporary directory (each with its own cognito_user_id
// "sub-<handle>"), the service, and a fake authenticator whose tokens are the subjects
// themselves ("Bearer sub-londo").
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "api/auth.h"
#include "api/service.h"
#include "client/dynamodb_client.h"
#include "cruddur/messages.h"
#include "cruddur/users.h"
#include "ddb/engine.h"

namespace cruddur::api::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cruddur-api-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// "Bearer <sub>" authenticates as <sub>; "Bearer bad" has a bad signature; no header is missing.
class FakeAuthenticator : public Authenticator {
 public:
  AuthResult Authenticate(std::string_view header) override {
    AuthResult r;
    if (header.empty()) {
      r.error = AuthError::kMissingToken;
      r.reason = "missing Authorization header";
    } else if (!header.starts_with("Bearer ") || header.size() == 7) {
      r.error = AuthError::kBadScheme;
      r.reason = "expected: Bearer <token>";
    } else if (header.substr(7) == "bad") {
      r.error = AuthError::kBadSignature;
      r.reason = "bad signature";
    } else {
      r.identity.sub = std::string(header.substr(7));
    }
    return r;
  }
};

inline ddb::EngineOptions MemoryEngineOptions() {
  ddb::EngineOptions options;
  options.in_memory = true;
  options.ttl_sweep_interval = std::chrono::milliseconds(0);
  return options;
}

inline std::unique_ptr<ddb::Engine> MemoryEngine() {
  return ddb::Engine::Open(MemoryEngineOptions());
}

class ApiEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = ddb::Engine::Open(engine_options_);
    client_ = std::make_unique<client::InProcessClient>(*engine_);
    store_ = std::make_unique<MessageStore>(*client_);
    store_->CreateTable();
    users_ = OpenUserStore(UserStoreConfig::Sqlite((dir_.path() / "users.db").string()));
    users_->CreateSchema();
    users_->Seed();
    for (const char* handle : {"andrewbrown", "bayko", "londo"}) {
      users_->UpdateCognitoUserId(handle, std::string("sub-") + handle);
    }
    andrew_ = *users_->FindByHandle("andrewbrown");
    bayko_ = *users_->FindByHandle("bayko");
    londo_ = *users_->FindByHandle("londo");
    service_ = std::make_unique<MessagingService>(*store_, *users_);
  }

  // A new conversation from `from` to `to_handle` through the service; returns its uuid.
  std::string Start(const User& from, const std::string& to_handle, const std::string& text) {
    CreateMessageRequest req;
    req.handle = to_handle;
    req.message = text;
    auto out = service_->CreateMessage(from.cognito_user_id, req);
    EXPECT_TRUE(out.ok()) << out.error.reason;
    return out.ok() ? out.value->message_group_uuid : "";
  }

  TempDir dir_;
  ddb::EngineOptions engine_options_ = MemoryEngineOptions();  // a test may change them first
  std::unique_ptr<ddb::Engine> engine_;
  std::unique_ptr<client::InProcessClient> client_;
  std::unique_ptr<MessageStore> store_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<MessagingService> service_;
  FakeAuthenticator auth_;
  User andrew_, bayko_, londo_;
};

}  // namespace cruddur::api::testing
