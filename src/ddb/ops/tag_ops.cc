// Tags: TagResource, UntagResource, ListTagsOfResource (and CreateTable's Tags, via ParseTags).
//
// DynamoDB's tagging checks its own rules with its own messages (not the "N validation errors
// detected" of the request model): "The Tag Key provided is invalid, Key: x", "Tag Key cannot be
// prefixed with aws:, Key: x", "Number of Tags exceed the current limit for the provided
// ResourceArn", ... A request with one bad tag changes nothing.
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <fmt/format.h>

#include <array>
#include <cctype>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/ops/table_request.h"
#include "ddb/table_arn.h"

namespace cruddur::ddb {
namespace {

constexpr size_t kMaxTagsPerResource = 50;
constexpr size_t kMaxTagKeyLength = 128;
constexpr size_t kMaxTagValueLength = 256;

// Whether `text` is between `min` and `max` characters long, counted as DynamoDB counts a
// String's length (Utf16Length). Ill-formed UTF-8 is refused by HasOnlyTagCharacters anyway.
bool TagLengthWithin(std::string_view text, size_t min, size_t max) {
  const auto n = static_cast<size_t>(Utf16Length(text));
  return n >= min && n <= max;
}

// AWS's tag pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]*: Unicode letters, separators (spaces) and
// numbers, and _ . : / = + - @.
bool HasOnlyTagCharacters(std::string_view text) {
  for (int32_t i = 0, n = static_cast<int32_t>(text.size()); i < n;) {
    UChar32 c;
    U8_NEXT(text.data(), i, n, c);
    if (c < 0) return false;  // ill-formed UTF-8
    if (c < 0x80 &&
        std::string_view("_.:/=+-@").find(static_cast<char>(c)) != std::string_view::npos) {
      continue;
    }
    uint32_t category = U_GET_GC_MASK(c);
    if ((category & (U_GC_L_MASK | U_GC_Z_MASK | U_GC_N_MASK)) == 0) return false;
  }
  return true;
}

// A tag key as TagResource, UntagResource and CreateTable check it.
void CheckTagKey(std::optional<std::string_view> key) {
  if (!key || !TagLengthWithin(*key, 1, kMaxTagKeyLength) || !HasOnlyTagCharacters(*key)) {
    throw ApiError::Validation(
        fmt::format("The Tag Key provided is invalid, Key: {}", key ? *key : "null"));
  }
  // "aws:" in any case is AWS's own.
  std::string prefix(key->substr(0, 4));
  for (char& ch : prefix) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (prefix == "aws:") {
    throw ApiError::Validation(fmt::format("Tag Key cannot be prefixed with aws:, Key: {}", *key));
  }
}

void CheckTagValue(std::optional<std::string_view> value) {
  if (!value || !TagLengthWithin(*value, 0, kMaxTagValueLength) || !HasOnlyTagCharacters(*value)) {
    throw ApiError::Validation(
        fmt::format("The Tag Value provided is invalid, Value: {}", value ? *value : "null"));
  }
}

[[noreturn]] void ThrowTooManyTags() {
  throw ApiError::Validation(
      "Number of Tags exceed the current limit for the provided ResourceArn");
}

// The table a checked ResourceArn names, else DynamoDB's not-found answer.
std::shared_ptr<Table> TableOfArn(EngineImpl& engine, std::string_view arn,
                                  const ArnTarget& target) {
  std::shared_ptr<Table> table;
  if (!target.stream) {
    table = engine.FindSettledTable(target.table);
    // A restore target is the table's words until the restore is done (DDB-TABLE-217).
    if (!table && engine.FindTable(target.table)) throw engine.TableNotFound(target.table);
  }
  if (!table) {
    throw ApiError::ResourceNotFound(
        fmt::format("Requested resource not found: ResourceArn: {} not found", arn));
  }
  return table;
}

// The table a TagResource or UntagResource changes: not one being deleted, whose tags DynamoDB
// answers as in use (recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-104).
std::shared_ptr<Table> TaggableTableOfArn(EngineImpl& engine, std::string_view arn,
                                          const ArnTarget& target) {
  auto table = TableOfArn(engine, arn, target);
  auto schema = table->schema();
  if (schema->StatusAt(EpochSeconds()) == "DELETING") throw TableInUse("DELETING", schema->name);
  return table;
}

std::string_view ArnParam(const Request& req, ConstraintErrors& errors) {
  auto arn = req.String("ResourceArn");
  if (!arn) ThrowRequired("ResourceArn");
  if (arn->empty() || arn->size() > 1283) {
    errors.Add(
        fmt::format("Value '{}' at 'resourceArn' failed to satisfy constraint: Member "
                    "must have length {} than or equal to {}",
                    *arn, arn->empty() ? "greater" : "less", arn->empty() ? 1 : 1283));
  }
  return *arn;
}

// A TagResource or UntagResource request's ResourceArn and its required list `member`, checked in
// DynamoDB's order: the constraints, then the ARN's form.
struct TagRequest {
  std::string_view arn;
  ArnTarget target;
  const JsonValue& list;
};

TagRequest ReadTagRequest(const Request& req, const char* member, const EngineOptions& options) {
  ConstraintErrors errors;
  std::string_view arn = ArnParam(req, errors);
  const JsonValue* list = req.Array(member);
  if (!list) ThrowRequired(member);
  errors.ThrowIfAny();
  return {arn, ParseResourceArn(arn, options.region, options.account_id), *list};
}

}  // namespace

std::map<std::string, std::string> ParseTags(const JsonValue& list) {
  std::map<std::string, std::string> tags;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    auto key = Request::StringOf(list[i], "Key");
    auto value = Request::StringOf(list[i], "Value");
    CheckTagKey(key);
    CheckTagValue(value);
    if (!tags.emplace(*key, *value).second) {
      throw ApiError::Validation(
          fmt::format("Duplicate Tag Keys provided as input: Duplicate Tag Key found {}", *key));
    }
  }
  if (tags.size() > kMaxTagsPerResource) ThrowTooManyTags();
  return tags;
}

void EngineImpl::TagResource(const Request& req, JsonWriter& /*w*/) {
  TagRequest r = ReadTagRequest(req, "Tags", options());
  if (r.list.Empty()) throw ApiError::Validation("Atleast one Tag needs to be provided as Input.");
  auto tags = ParseTags(r.list);
  MutexLock lock(catalog_mu_);
  ChangeSchema(*TaggableTableOfArn(*this, r.arn, r.target), [&](TableSchema& schema) {
    for (auto& [k, v] : tags) schema.tags[k] = v;
    // The limit holds for the tags the table would have: replacing values is always allowed.
    if (schema.tags.size() > kMaxTagsPerResource) ThrowTooManyTags();
  });
  // DynamoDB answers TagResource and UntagResource with an empty body, not "{}" (ScyllaDB's
  // Alternator tests, run against DynamoDB): nothing is written to `w`.
}

void EngineImpl::UntagResource(const Request& req, JsonWriter& /*w*/) {
  TagRequest r = ReadTagRequest(req, "TagKeys", options());
  if (r.list.Empty()) {
    throw ApiError::Validation("Atleast one Tag Key needs to be provided as Input.");
  }
  if (r.list.Size() > kMaxTagsPerResource) ThrowTooManyTags();
  for (const auto& k : r.list.GetArray()) {
    if (!k.IsString()) throw ApiError::Serialization("Unexpected field type");
    CheckTagKey(View(k));
  }
  MutexLock lock(catalog_mu_);
  ChangeSchema(*TaggableTableOfArn(*this, r.arn, r.target), [&](TableSchema& schema) {
    // A key the table does not have is no error.
    for (const auto& k : r.list.GetArray()) schema.tags.erase(std::string(View(k)));
  });
  // An empty body, as TagResource's.
}

void EngineImpl::ListTagsOfResource(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view arn = ArnParam(req, errors);
  // DynamoDB takes a NextToken but does not page: a table's at most 50 tags are one answer,
  // with no NextToken.
  req.String("NextToken");
  errors.ThrowIfAny();
  ArnTarget target = ParseResourceArn(arn, options().region, options().account_id);
  auto schema = TableOfArn(*this, arn, target)->schema();
  w.StartObject();
  WriteKey(w, "Tags");
  w.StartArray();
  for (const auto& [k, v] : schema->tags) {
    w.StartObject();
    WriteKey(w, "Key");
    WriteString(w, k);
    WriteKey(w, "Value");
    WriteString(w, v);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace cruddur::ddb
