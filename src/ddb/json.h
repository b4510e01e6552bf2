// The JSON types the engine speaks: requests are parsed into rapidjson documents, responses are
// written with one rapidjson writer.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace cruddur::ddb {

using JsonValue = rapidjson::Value;
using JsonDocument = rapidjson::Document;
using JsonBuffer = rapidjson::StringBuffer;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

}  // namespace cruddur::ddb
