#include "triggers/filter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "encoding/json.h"

namespace cruddur::triggers {
namespace {

using Value = rapidjson::Value;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsScalar(const Value& v) { return v.IsString() || v.IsNumber() || v.IsBool() || v.IsNull(); }

[[noreturn]] void Invalid(const std::string& why) { throw InvalidFilterError(why); }

// --- validation ---

void CheckStringOrIgnoreCase(const Value& v, std::string_view op) {
  if (v.IsString()) return;
  if (v.IsObject() && v.MemberCount() == 1 && v.HasMember("equals-ignore-case") &&
      v["equals-ignore-case"].IsString()) {
    return;
  }
  Invalid(std::string("\"") + std::string(op) +
          "\" takes a string, or {\"equals-ignore-case\": string}");
}

bool IsNumericOp(const Value& v) {
  if (!v.IsString()) return false;
  std::string_view op(v.GetString(), v.GetStringLength());
  return op == "=" || op == "<" || op == "<=" || op == ">" || op == ">=";
}

void CheckNumeric(const Value& v) {
  if (!v.IsArray() || (v.Size() != 2 && v.Size() != 4)) {
    Invalid("\"numeric\" takes [op, number] or [op, number, op, number] (op: =, <, <=, >, >=)");
  }
  for (rapidjson::SizeType i = 0; i < v.Size(); i += 2) {
    if (!IsNumericOp(v[i]) || !v[i + 1].IsNumber()) {
      Invalid("\"numeric\" takes [op, number] or [op, number, op, number] (op: =, <, <=, >, >=)");
    }
  }
  if (v.Size() == 4) {
    std::string_view lower(v[0].GetString()), upper(v[2].GetString());
    if (!lower.starts_with('>') || !upper.starts_with('<') ||
        v[1].GetDouble() >= v[3].GetDouble()) {
      Invalid(
          "a \"numeric\" range is [\">\" or \">=\", low, \"<\" or \"<=\", high] with low < high");
    }
  }
}

void CheckAnythingBut(const Value& v) {
  if (v.IsString() || v.IsNumber()) return;
  if (v.IsArray() && v.Size() > 0) {
    for (const auto& e : v.GetArray()) {
      if (!e.IsString() && !e.IsNumber()) Invalid("\"anything-but\" lists strings or numbers");
    }
    return;
  }
  if (v.IsObject() && v.MemberCount() == 1) {
    const auto& m = *v.MemberBegin();
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if ((name == "prefix" || name == "suffix") && m.value.IsString()) return;
    if (name == "equals-ignore-case" && (m.value.IsString() || m.value.IsArray())) return;
  }
  Invalid(
      "\"anything-but\" takes a string, a number, a list of them, or {\"prefix\"|\"suffix\"|"
      "\"equals-ignore-case\": string}");
}

void CheckMatcher(const Value& m) {
  if (IsScalar(m)) return;
  if (!m.IsObject() || m.MemberCount() != 1) {
    Invalid("a matcher is a value or an object with one operator, e.g. {\"prefix\": \"x\"}");
  }
  const auto& op = *m.MemberBegin();
  std::string_view name(op.name.GetString(), op.name.GetStringLength());
  if (name == "prefix" || name == "suffix") {
    CheckStringOrIgnoreCase(op.value, name);
  } else if (name == "equals-ignore-case") {
    if (!op.value.IsString()) Invalid("\"equals-ignore-case\" takes a string");
  } else if (name == "anything-but") {
    CheckAnythingBut(op.value);
  } else if (name == "numeric") {
    CheckNumeric(op.value);
  } else if (name == "exists") {
    if (!op.value.IsBool()) Invalid("\"exists\" takes true or false");
  } else {
    Invalid("unknown filter operator \"" + std::string(name) +
            "\" (known: prefix, suffix, equals-ignore-case, anything-but, numeric, exists)");
  }
}

void CheckPattern(const Value& p, int depth) {
  if (!p.IsObject() || p.MemberCount() == 0) Invalid("a pattern is a non-empty JSON object");
  if (depth > 32) Invalid("the pattern nests too deep");
  for (const auto& m : p.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key == "$or") {
      if (!m.value.IsArray() || m.value.Size() < 2) Invalid("\"$or\" takes a list of 2+ patterns");
      for (const auto& alt : m.value.GetArray()) CheckPattern(alt, depth + 1);
    } else if (m.value.IsObject()) {
      CheckPattern(m.value, depth + 1);
    } else if (m.value.IsArray() && m.value.Size() > 0) {
      for (const auto& matcher : m.value.GetArray()) CheckMatcher(matcher);
    } else {
      Invalid("\"" + std::string(key) +
              "\" must be an object (a nested pattern) or a non-empty list of matchers");
    }
  }
}

// --- matching ---

std::optional<double> NumberOf(const Value& v, bool number_text) {
  if (v.IsNumber()) return v.GetDouble();
  if (!number_text || !v.IsString() || v.GetStringLength() == 0) return std::nullopt;
  const char* begin = v.GetString();
  char* end = nullptr;
  double d = std::strtod(begin, &end);
  if (end != begin + v.GetStringLength()) return std::nullopt;
  return d;
}

bool Equal(const Value& m, const Value& v, bool number_text) {
  if (m.IsString()) return v.IsString() && m == v;
  if (m.IsNumber()) {
    auto n = NumberOf(v, number_text);
    return n && *n == m.GetDouble();
  }
  if (m.IsBool()) return v.IsBool() && v.GetBool() == m.GetBool();
  return m.IsNull() && v.IsNull();
}

bool TextMatch(std::string_view how, const Value& arg, const Value& v) {
  if (!v.IsString()) return false;
  std::string_view s(v.GetString(), v.GetStringLength());
  bool ignore_case = arg.IsObject();
  std::string text = ignore_case ? Lower(s) : std::string(s);
  const Value& a = ignore_case ? arg["equals-ignore-case"] : arg;
  std::string want = ignore_case ? Lower(a.GetString()) : std::string(a.GetString());
  if (how == "prefix") return text.starts_with(want);
  if (how == "suffix") return text.ends_with(want);
  return text == want;
}

bool AnythingBut(const Value& arg, const Value& v, bool number_text) {
  if (arg.IsArray()) {
    return std::none_of(arg.Begin(), arg.End(),
                        [&](const Value& e) { return Equal(e, v, number_text); });
  }
  if (arg.IsObject()) {
    const auto& op = *arg.MemberBegin();
    std::string_view how(op.name.GetString(), op.name.GetStringLength());
    if (!v.IsString()) return false;
    if (how == "equals-ignore-case") {
      std::string text = Lower(v.GetString());
      auto same = [&](const Value& e) { return e.IsString() && Lower(e.GetString()) == text; };
      if (op.value.IsArray()) return std::none_of(op.value.Begin(), op.value.End(), same);
      return !same(op.value);
    }
    return !TextMatch(how, op.value, v);
  }
  return !Equal(arg, v, number_text);
}

bool Numeric(const Value& arg, const Value& v, bool number_text) {
  auto n = NumberOf(v, number_text);
  if (!n) return false;
  for (rapidjson::SizeType i = 0; i < arg.Size(); i += 2) {
    std::string_view op(arg[i].GetString());
    double bound = arg[i + 1].GetDouble();
    bool ok = op == "="    ? *n == bound
              : op == "<"  ? *n < bound
              : op == "<=" ? *n <= bound
              : op == ">"  ? *n > bound
                           : *n >= bound;
    if (!ok) return false;
  }
  return true;
}

// One matcher against one leaf value.
bool MatchValue(const Value& m, const Value& v, bool number_text) {
  if (IsScalar(m)) return Equal(m, v, number_text);
  const auto& op = *m.MemberBegin();
  std::string_view how(op.name.GetString(), op.name.GetStringLength());
  if (how == "prefix" || how == "suffix") return TextMatch(how, op.value, v);
  if (how == "equals-ignore-case") {
    return v.IsString() && Lower(v.GetString()) == Lower(op.value.GetString());
  }
  if (how == "anything-but") return AnythingBut(op.value, v, number_text);
  if (how == "numeric") return Numeric(op.value, v, number_text);
  return op.value.GetBool();  // exists: true (the leaf is there)
}

// The matchers of one pattern field against the record's field (null: absent).
bool MatchLeaf(const Value& matchers, const Value* field, bool number_text) {
  for (const auto& m : matchers.GetArray()) {
    bool exists_op = m.IsObject() && m.HasMember("exists");
    if (field == nullptr) {
      if (exists_op && !m["exists"].GetBool()) return true;
      continue;
    }
    if (field->IsObject()) continue;  // matchers apply to leaves only
    if (field->IsArray()) {
      if (exists_op) {
        if (m["exists"].GetBool()) return true;
        continue;
      }
      for (const auto& e : field->GetArray()) {
        if (IsScalar(e) && MatchValue(m, e, number_text)) return true;
      }
      continue;
    }
    if (MatchValue(m, *field, number_text)) return true;
  }
  return false;
}

bool MatchPattern(const Value& pattern, const Value* record) {
  for (const auto& m : pattern.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key == "$or") {
      bool any = std::any_of(m.value.Begin(), m.value.End(),
                             [&](const Value& alt) { return MatchPattern(alt, record); });
      if (!any) return false;
      continue;
    }
    const Value* field = nullptr;
    if (record != nullptr && record->IsObject()) {
      auto it = record->FindMember(m.name);
      if (it != record->MemberEnd()) field = &it->value;
    }
    if (m.value.IsObject()) {
      // Into a missing object too: only {"exists": false} matches there.
      if (field != nullptr && !field->IsObject()) return false;
      if (!MatchPattern(m.value, field)) return false;
    } else if (!MatchLeaf(m.value, field, key == "N")) {
      return false;
    }
  }
  return true;
}

}  // namespace

FilterCriteria FilterCriteria::Parse(std::string_view criteria_json) {
  rapidjson::Document d;
  d.Parse(criteria_json.data(), criteria_json.size());
  if (d.HasParseError() || !d.IsObject()) {
    throw InvalidFilterError("FilterCriteria is not a JSON object: {\"Filters\": [...]}");
  }
  FilterCriteria criteria;
  auto filters = d.FindMember("Filters");
  if (filters == d.MemberEnd()) return criteria;
  if (!filters->value.IsArray()) throw InvalidFilterError("FilterCriteria.Filters must be a list");
  for (const auto& f : filters->value.GetArray()) {
    if (!f.IsObject() || !f.HasMember("Pattern") || !f["Pattern"].IsString()) {
      throw InvalidFilterError("each filter is {\"Pattern\": \"<pattern as a JSON string>\"}");
    }
    criteria.AddPattern(std::string_view(f["Pattern"].GetString(), f["Pattern"].GetStringLength()));
  }
  return criteria;
}

void FilterCriteria::AddPattern(std::string_view pattern_json) {
  if (patterns_.size() == kMaxFilters) {
    throw InvalidFilterError("at most " + std::to_string(kMaxFilters) + " filter patterns");
  }
  auto d = std::make_shared<rapidjson::Document>();
  d->Parse(pattern_json.data(), pattern_json.size());
  if (d->HasParseError()) {
    throw InvalidFilterError("filter pattern is not valid JSON: " + std::string(pattern_json));
  }
  try {
    CheckPattern(*d, 0);
  } catch (const InvalidFilterError& e) {
    throw InvalidFilterError("invalid filter pattern " + std::string(pattern_json) + ": " +
                             e.what());
  }
  texts_.emplace_back(pattern_json);
  patterns_.push_back(std::move(d));
}

bool FilterCriteria::Matches(const rapidjson::Value& record) const {
  if (patterns_.empty()) return true;
  return std::any_of(patterns_.begin(), patterns_.end(),
                     [&](const auto& p) { return MatchPattern(*p, &record); });
}

std::string FilterCriteria::ToJson() const {
  if (texts_.empty()) return "";
  return encoding::WriteJsonObject([&](encoding::JsonTextWriter& w) {
    w.Key("Filters");
    w.StartArray();
    for (const std::string& text : texts_) {
      w.StartObject();
      encoding::WriteStringField(w, "Pattern", text);
      w.EndObject();
    }
    w.EndArray();
  });
}

}  // namespace cruddur::triggers
