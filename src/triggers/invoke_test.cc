#include "triggers/invoke.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace cruddur::triggers {
namespace {

using std::chrono::seconds;

TEST(CommandHandlerTest, EventOnStdinResponseOnStdout) {
  CommandHandler echo("cat", seconds(10));
  Invocation r = echo.Invoke(R"({"Records":[]})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.response, R"({"Records":[]})");
}

TEST(CommandHandlerTest, ANonZeroExitOrASignalIsAFunctionError) {
  Invocation exited = CommandHandler("cat >/dev/null; exit 3", seconds(10)).Invoke("{}");
  EXPECT_FALSE(exited.ok);
  EXPECT_EQ(exited.error, "exited with status 3");
  Invocation killed = CommandHandler("kill -9 $$", seconds(10)).Invoke("{}");
  EXPECT_FALSE(killed.ok);
  EXPECT_EQ(killed.error, "killed by signal 9");
}

TEST(CommandHandlerTest, AHandlerThatIgnoresABigEventDoesNotHurtUs) {
  std::string big(4 * 1024 * 1024, 'x');  // far more than a pipe holds
  Invocation r = CommandHandler("echo done", seconds(10)).Invoke(big);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.response, "done\n");
}

TEST(CommandHandlerTest, TimeoutKillsTheHandler) {
  auto start = std::chrono::steady_clock::now();
  Invocation r = CommandHandler("exec sleep 30", seconds(1)).Invoke("{}");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "timed out after 1 s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
}

TEST(CommandHandlerTest, EnvironmentIsAddedWhereNotSet) {
  setenv("CRUDDUR_TRIGGER_TEST_SET", "kept", 1);
  CommandHandler env("printf '%s %s' \"$CRUDDUR_TRIGGER_TEST_NEW\" \"$CRUDDUR_TRIGGER_TEST_SET\"",
                     seconds(10),
                     {{"CRUDDUR_TRIGGER_TEST_NEW", "added"}, {"CRUDDUR_TRIGGER_TEST_SET", "x"}});
  EXPECT_EQ(env.Invoke("").response, "added kept");
}

}  // namespace
}  // namespace cruddur::triggers
