// Calling an Engine from tests: the answer parsed, or the ApiError it threw.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "ddb/engine.h"
#include "ddb/error.h"

namespace cruddur::ddb {

// The operation's answer, parsed (a parse error fails the test).
inline rapidjson::Document CallEngine(Engine& engine, std::string_view op, std::string_view body) {
  rapidjson::Document d;
  std::string out = engine.Execute(op, body);
  d.Parse(out.c_str());
  EXPECT_FALSE(d.HasParseError()) << out;
  return d;
}

// The ApiError the operation threw (an operation that succeeds fails the test).
inline ApiError CallEngineError(Engine& engine, std::string_view op, std::string_view body) {
  try {
    engine.Execute(op, body);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << op << " did not fail";
  return ApiError::InternalServer();
}

}  // namespace cruddur::ddb
