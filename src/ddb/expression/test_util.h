// Helpers shared by the expression tests, in the namespace they test (as ddb/engine_test_util.h).
#pragma once

#include <string>
#include <vector>

#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/json.h"
#include "ddb/value_json.h"

namespace cruddur::ddb::expr {

inline JsonDocument ParseJson(const std::string& text) {
  JsonDocument d;
  d.Parse(text.c_str());
  return d;
}

// Substitutions from JSON texts ("" for an absent member).
inline Substitutions Subs(const std::string& names, const std::string& values) {
  JsonDocument n = ParseJson(names.empty() ? "null" : names);
  JsonDocument v = ParseJson(values.empty() ? "null" : values);
  return Substitutions::Parse(names.empty() ? nullptr : &n, values.empty() ? nullptr : &v);
}

inline Item MakeItem(const std::string& json) {
  JsonDocument d = ParseJson(json);
  return ParseItem(d);
}

inline std::string ItemJson(const Item& item) {
  JsonBuffer buf;
  JsonWriter w(buf);
  WriteItem(w, item);
  return buf.GetString();
}

// Each of `paths` as PathToString writes it.
inline std::vector<std::string> PathStrings(const std::vector<Path>& paths) {
  std::vector<std::string> out;
  out.reserve(paths.size());
  for (const Path& p : paths) out.push_back(PathToString(p));
  return out;
}

// The message of the ApiError `f` throws, or "<no error>".
template <class F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e.message();
  }
  return "<no error>";
}

}  // namespace cruddur::ddb::expr
