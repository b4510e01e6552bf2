#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace cruddur::metrics {
namespace {

TEST(Counter, AddsWholeAndFractionalAmounts) {
  Counter c;
  c.Increment();
  c.Increment(0.5);
  c.Increment(2);
  EXPECT_DOUBLE_EQ(c.value(), 3.5);
}

TEST(Histogram, BucketsAreCumulativeAndBoundsInclusive) {
  const double bounds[] = {1, 2, 5};
  Histogram h(bounds);
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.0, 7.0}) h.Observe(v);
  Histogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.buckets, (std::vector<std::uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(s.count(), 6u);
  EXPECT_DOUBLE_EQ(s.sum, 16.0);
}

TEST(Histogram, CountsEveryObservationFromManyThreads) {
  Histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.Observe(0.001);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.snapshot().count(), 40000u);
  EXPECT_NEAR(h.snapshot().sum, 40.0, 1e-6);
}

TEST(FormatValue, WritesIntegersPlainAndSpecialValuesAsPrometheusDoes) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.5), "0.5");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(TextWriter, WritesHeadersSamplesAndEscapedLabels) {
  TextWriter w;
  w.Family("x_total", "counter", "Things\\counted\nhere.");
  Label labels[] = {{"table", "a\"b\\c\nd"}, {"operation", "PutItem"}};
  w.Sample("x_total", labels, 2);
  w.Sample("x_total", {}, 1.25);
  EXPECT_EQ(w.text(),
            "# HELP x_total Things\\\\counted\\nhere.\n"
            "# TYPE x_total counter\n"
            "x_total{table=\"a\\\"b\\\\c\\nd\",operation=\"PutItem\"} 2\n"
            "x_total 1.25\n");
}

TEST(TextWriter, WritesAHistogramAsBucketsSumAndCount) {
  const double bounds[] = {0.1, 1};
  Histogram h(bounds);
  h.Observe(0.05);
  h.Observe(3);
  TextWriter w;
  Label labels[] = {{"route", "/a"}};
  w.Histogram("lat_seconds", labels, h.snapshot());
  EXPECT_EQ(w.text(),
            "lat_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"
            "lat_seconds_bucket{route=\"/a\",le=\"1\"} 1\n"
            "lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2\n"
            "lat_seconds_sum{route=\"/a\"} 3.05\n"
            "lat_seconds_count{route=\"/a\"} 2\n");
}

struct Pair {
  Counter a, b;
};

TEST(LabelledSet, OneEntryPerCombinationFoundAgainFromAnyThread) {
  LabelledSet<Pair> set;
  Pair& first = set.Get({"t", "PutItem"});
  EXPECT_EQ(&set.Get({"t", "PutItem"}), &first);  // the thread's cache
  EXPECT_NE(&set.Get({"t", "GetItem"}), &first);
  EXPECT_NE(&set.Get({"tP", "utItem"}), &first);  // values are kept apart, not concatenated
  Pair* other_thread = nullptr;
  std::thread([&] { other_thread = &set.Get({"t", "PutItem"}); }).join();
  EXPECT_EQ(other_thread, &first);

  std::vector<std::string> seen;
  set.ForEach([&](const std::vector<std::string>& v, const Pair&) { seen.push_back(v[0] + v[1]); });
  EXPECT_EQ(seen, (std::vector<std::string>{"tGetItem", "tPutItem", "tPutItem"}));
}

TEST(LabelledSet, ASecondSetNeverSeesTheFirstSetsCachedEntries) {
  auto first = std::make_unique<LabelledSet<Pair>>();
  first->Get({"x"}).a.Increment();
  first.reset();
  LabelledSet<Pair> second;  // may reuse the first one's memory
  EXPECT_EQ(second.Get({"x"}).a.value(), 0);
}

TEST(LabelledSet, CountsFromManyThreadsAddUp) {
  LabelledSet<Pair> set;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&set, t] {
      for (int i = 0; i < 5000; ++i) set.Get({i % 2 ? "odd" : "even", "op"}).a.Increment();
      set.Get({"thread", std::to_string(t)}).b.Increment();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(set.Get({"odd", "op"}).a.value(), 10000);
  EXPECT_EQ(set.Get({"even", "op"}).a.value(), 10000);
  int combinations = 0;
  set.ForEach([&](const std::vector<std::string>&, const Pair&) { ++combinations; });
  EXPECT_EQ(combinations, 6);
}

TEST(Registry, RendersItsCollectorsInOrder) {
  Registry r;
  Counter c;
  c.Increment(4);
  r.Add([&c](TextWriter& w) {
    w.Family("b_total", "counter", "B.");
    w.Sample("b_total", {}, c.value());
  });
  r.Add([](TextWriter& w) {
    w.Family("a", "gauge", "A.");
    w.Sample("a", {}, 7);
  });
  EXPECT_EQ(r.Render(),
            "# HELP b_total B.\n# TYPE b_total counter\nb_total 4\n"
            "# HELP a A.\n# TYPE a gauge\na 7\n");
}

}  // namespace
}  // namespace cruddur::metrics
