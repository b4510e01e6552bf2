// A small metrics registry for the servers' GET /metrics, in Prometheus's text exposition format
// (version 0.0.4): `# HELP` and `# TYPE` lines, counters named *_total, histograms as
// *_bucket{le="..."} (cumulative), *_sum and *_count, values in base units (seconds, bytes).
//
// The hot path is lock-free: a Counter or Histogram is a few relaxed atomics, and a LabelledSet
// finds the metrics of a label combination through a per-thread cache, taking its mutex only the
// first time a thread meets that combination. What is only known at scrape time (table sizes,
// RocksDB properties, a cache's hit counts) is written by a collector when the text is rendered.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cruddur::metrics {

// The Content-Type of the text format.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A monotonically increasing count (Prometheus counts are floating point: capacity units come
// in halves).
class Counter {
 public:
  void Increment(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Upper bounds (seconds) for request latencies: 100 µs to 10 s.
inline constexpr double kLatencyBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                             0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                             1,      2.5,     5,      10};

// Observations counted in buckets by upper bound (an implicit +Inf bucket last).
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds = kLatencyBuckets);
  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;          // without +Inf
    std::vector<std::uint64_t> buckets;  // cumulative, one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count() const { return buckets.empty() ? 0 : buckets.back(); }
  };
  // Each bucket is read atomically; the count is the buckets' total, so it always equals +Inf.
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<double> sum_{0};
};

struct Label {
  std::string_view name;
  std::string_view value;
};

// Writes the text format. A family's header (Family) comes once, before its samples.
class TextWriter {
 public:
  // `type`: "counter", "gauge" or "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, std::span<const Label> labels, double value);
  // name_bucket{..., le="..."}, name_sum and name_count.
  void Histogram(std::string_view name, std::span<const Label> labels,
                 const Histogram::Snapshot& snapshot);
  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

 private:
  void AppendLabels(std::span<const Label> labels, std::string_view le = {});
  std::string text_;
};

// A value as the text format writes it: integers without a fraction, "+Inf", "NaN".
std::string FormatValue(double value);

namespace detail {
// The per-thread lookup cache behind LabelledSet (metrics.cc). Set ids are never reused, so a
// destroyed set's entries are never found again.
std::uint64_t NewSetId();
void* ThreadCacheFind(std::uint64_t set_id, std::span<const std::string_view> values);
void ThreadCachePut(std::uint64_t set_id, std::span<const std::string_view> values, void* entry);
}  // namespace detail

// Metrics of type T (default-constructible, e.g. a struct of Counters) per combination of label
// values. Combinations are never removed, so references stay valid for the set's lifetime.
template <typename T>
class LabelledSet {
 public:
  // The T of these label values, created on first use. Thread-safe; after a thread's first
  // lookup of a combination, no lock and no allocation.
  T& Get(std::span<const std::string_view> values);
  T& Get(std::initializer_list<std::string_view> values) {
    return Get(std::span<const std::string_view>(values.begin(), values.size()));
  }
  // Calls fn(values, t) for every combination, in the order of their values.
  void ForEach(
      const std::function<void(const std::vector<std::string>& values, const T&)>& fn) const;

 private:
  const std::uint64_t id_ = detail::NewSetId();
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> entries_;
};

template <typename T>
T& LabelledSet<T>::Get(std::span<const std::string_view> values) {
  if (void* cached = detail::ThreadCacheFind(id_, values)) return *static_cast<T*>(cached);
  std::vector<std::string> key(values.begin(), values.end());
  T* entry;
  {
    std::lock_guard lock(mutex_);
    auto& slot = entries_[std::move(key)];
    if (!slot) slot = std::make_unique<T>();
    entry = slot.get();
  }
  detail::ThreadCachePut(id_, values, entry);
  return *entry;
}

template <typename T>
void LabelledSet<T>::ForEach(
    const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, entry] : entries_) fn(values, *entry);
}

// The metrics of one server: collectors, each writing its families when the text is rendered.
class Registry {
 public:
  using Collector = std::function<void(TextWriter&)>;
  // Collectors run in the order they were added. Not thread-safe against Render: add them all
  // before the server starts.
  void Add(Collector collector) { collectors_.push_back(std::move(collector)); }
  std::string Render() const;

 private:
  std::vector<Collector> collectors_;
};

}  // namespace cruddur::metrics
