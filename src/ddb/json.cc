#include "ddb/json.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace cruddur::ddb {

rapidjson::ParseErrorCode CheckJson(std::string_view text, int max_depth) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  rapidjson::BaseReaderHandler<> builds_nothing;
  DepthLimited handler(builds_nothing, max_depth);
  return reader
      .Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(stream,
                                                                                     handler)
      .Code();
}

}  // namespace cruddur::ddb
