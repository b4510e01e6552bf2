// The benchmark item, byte for byte the one of bench/seed.py and bench/wrk/common.lua, shared by
// the in-process benchmarks (engine_bench.cc, growth_tool.cc).
#pragma once

#include <string>
#include <string_view>

namespace cruddur::bench {

inline std::string ItemJson(std::string_view pk, std::string_view sk) {
  std::string s;
  s.reserve(256);
  s += R"({"pk":{"S":")";
  s += pk;
  s += R"("},"sk":{"S":")";
  s += sk;
  s += R"("},"message":{"S":"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do )"
       R"(eiusmod"},"user_handle":{"S":"andrewbrown"},)"
       R"("created_at":{"S":"2024-01-01T00:00:00.000000+00:00"}})";
  return s;
}

}  // namespace cruddur::bench
