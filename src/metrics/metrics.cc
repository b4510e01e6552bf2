#include "metrics/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace cruddur::metrics {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double value) {
  // The first bound not below the value: `le` is inclusive.
  std::size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.buckets.push_back(total);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return fmt::format("{}", value);  // shortest text that reads back as the same double
}

namespace {

// Label values escape backslash, double quote and newline; HELP text backslash and newline.
void AppendEscaped(std::string& out, std::string_view text, bool quotes) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void TextWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  text_.append("# HELP ").append(name).push_back(' ');
  AppendEscaped(text_, help, false);
  text_.append("\n# TYPE ").append(name).push_back(' ');
  text_.append(type).push_back('\n');
}

void TextWriter::AppendLabels(std::span<const Label> labels, std::string_view le) {
  if (labels.empty() && le.empty()) return;
  text_.push_back('{');
  bool first = true;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!first) text_.push_back(',');
    first = false;
    text_.append(name).append("=\"");
    AppendEscaped(text_, value, true);
    text_.push_back('"');
  };
  for (const Label& label : labels) add(label.name, label.value);
  if (!le.empty()) add("le", le);
  text_.push_back('}');
}

void TextWriter::Sample(std::string_view name, std::span<const Label> labels, double value) {
  text_.append(name);
  AppendLabels(labels);
  text_.push_back(' ');
  text_.append(FormatValue(value)).push_back('\n');
}

void TextWriter::Histogram(std::string_view name, std::span<const Label> labels,
                           const Histogram::Snapshot& snapshot) {
  std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < snapshot.buckets.size(); ++i) {
    std::string le = i < snapshot.bounds.size() ? FormatValue(snapshot.bounds[i]) : "+Inf";
    text_.append(bucket);
    AppendLabels(labels, le);
    text_.push_back(' ');
    text_.append(FormatValue(static_cast<double>(snapshot.buckets[i]))).push_back('\n');
  }
  Sample(std::string(name) + "_sum", labels, snapshot.sum);
  Sample(std::string(name) + "_count", labels, static_cast<double>(snapshot.count()));
}

std::string Registry::Render() const {
  TextWriter writer;
  for (const Collector& collect : collectors_) collect(writer);
  return writer.Take();
}

namespace detail {

namespace {

// Keys: the set id's 8 bytes, then each value followed by 0xFF (a byte no UTF-8 text holds).
struct KeyHash {
  using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard's name
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
};

struct ThreadCache {
  std::unordered_map<std::string, void*, KeyHash, std::equal_to<>> entries;
  std::string key;  // reused, so a lookup allocates nothing
};

thread_local ThreadCache t_cache;

// Bounds a thread's cache (label combinations of deleted tables, sets of finished tests).
constexpr std::size_t kMaxCachedEntries = 4096;

const std::string& BuildKey(std::uint64_t set_id, std::span<const std::string_view> values) {
  std::string& key = t_cache.key;
  key.assign(reinterpret_cast<const char*>(&set_id), sizeof set_id);
  for (std::string_view v : values) key.append(v).push_back('\xff');
  return key;
}

}  // namespace

std::uint64_t NewSetId() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1);
}

void* ThreadCacheFind(std::uint64_t set_id, std::span<const std::string_view> values) {
  auto it = t_cache.entries.find(std::string_view(BuildKey(set_id, values)));
  return it == t_cache.entries.end() ? nullptr : it->second;
}

void ThreadCachePut(std::uint64_t set_id, std::span<const std::string_view> values, void* entry) {
  if (t_cache.entries.size() >= kMaxCachedEntries) t_cache.entries.clear();
  t_cache.entries.emplace(BuildKey(set_id, values), entry);
}

}  // namespace detail

}  // namespace cruddur::metrics
