#include "ddb/json.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace cruddur::ddb {
namespace {

// Reads without building anything, counting nesting as it goes.
struct DepthLimitedHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DepthLimitedHandler> {
  explicit DepthLimitedHandler(int max) : max_depth(max) {}
  int max_depth;
  int depth = 0;
  bool StartObject() { return ++depth <= max_depth; }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() { return ++depth <= max_depth; }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
};

}  // namespace

rapidjson::ParseErrorCode CheckJson(std::string_view text, int max_depth) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  DepthLimitedHandler handler(max_depth);
  return reader
      .Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(stream,
                                                                                     handler)
      .Code();
}

}  // namespace cruddur::ddb
