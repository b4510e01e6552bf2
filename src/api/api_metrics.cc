#include "api/api_metrics.h"

#include <chrono>
#include <cstdio>
#include <utility>
#include <vector>

#include "api/jwks.h"
#include "api/routes.h"
#include "api/web.h"
#include "cruddur/uuid.h"
#include "encoding/url.h"
#include "log/log.h"

namespace cruddur::api {

namespace {

void Counter(metrics::TextWriter& w, std::string_view name, std::string_view help, double value) {
  w.Family(name, "counter", help);
  w.Sample(name, {}, value);
}

void Gauge(metrics::TextWriter& w, std::string_view name, std::string_view help, double value) {
  w.Family(name, "gauge", help);
  w.Sample(name, {}, value);
}

}  // namespace

ApiMetrics::ApiMetrics(ApiMetricsSources sources) : sources_(sources) {
  registry_.Add([this](metrics::TextWriter& w) { WriteRequestFamilies(w); });
  if (const MessageCache* cache = sources_.cache) {
    registry_.Add([cache](metrics::TextWriter& w) {
      Counter(w, "cruddur_api_cache_hits_total", "Reads answered from the cache.",
              static_cast<double>(cache->hits()));
      Counter(w, "cruddur_api_cache_misses_total", "Reads that went to the store.",
              static_cast<double>(cache->misses()));
    });
  }
  if (const StreamConsumer* consumer = sources_.consumer) {
    registry_.Add([consumer](metrics::TextWriter& w) {
      StreamConsumer::Stats s = consumer->stats();
      Counter(w, "cruddur_api_stream_records_total", "Stream records the consumer applied.",
              static_cast<double>(s.records));
      Gauge(w, "cruddur_api_stream_consumer_lag_records",
            "Stream records fetched by the consumer and not yet applied.",
            static_cast<double>(s.lag_records));
      Gauge(w, "cruddur_api_stream_consumer_lag_seconds",
            "Age of the last stream record applied when it was applied; 0 once caught up.",
            s.lag_seconds);
    });
  }
  registry_.Add([](metrics::TextWriter& w) {
    JwksLoadCounts loads = JwksLoads();
    constexpr std::string_view kName = "cruddur_api_jwks_refreshes_total";
    w.Family(kName, "counter", "Loads of the JSON Web Key Set, by result.");
    metrics::Label ok[] = {{"result", "ok"}};
    metrics::Label error[] = {{"result", "error"}};
    w.Sample(kName, ok, static_cast<double>(loads.succeeded));
    w.Sample(kName, error, static_cast<double>(loads.failed));
  });
}

void ApiMetrics::Record(std::string_view route, int status, double seconds) {
  char digits[16];
  int n = std::snprintf(digits, sizeof digits, "%d", status);
  requests_.Get({route, std::string_view(digits, static_cast<std::size_t>(n))}).Increment();
  by_route_.Get({route}).latency.Observe(seconds);
}

void ApiMetrics::WriteRequestFamilies(metrics::TextWriter& w) const {
  constexpr std::string_view kRequests = "cruddur_api_requests_total";
  w.Family(kRequests, "counter", "Requests answered, by route pattern and status.");
  requests_.ForEach([&](const std::vector<std::string>& values, const metrics::Counter& c) {
    metrics::Label labels[] = {{"route", values[0]}, {"status", values[1]}};
    w.Sample(kRequests, labels, c.value());
  });
  constexpr std::string_view kDuration = "cruddur_api_request_duration_seconds";
  w.Family(kDuration, "histogram", "Time to answer requests, by route pattern.");
  by_route_.ForEach([&](const std::vector<std::string>& values, const PerRoute& r) {
    metrics::Label labels[] = {{"route", values[0]}};
    w.Histogram(kDuration, labels, r.latency.snapshot());
  });
}

std::string_view RouteLabel(std::string_view target) {
  std::string_view path = encoding::SplitTarget(target).path;
  if (path == "/metrics") return "/metrics";
  if (!IsApiTarget(target)) return "web";
  if (path == "/api/dev" || path.starts_with("/api/dev/")) return "/api/dev";
  return Routes::PatternOf(path).value_or("unmatched");
}

http::Handler ObserveRequests(ApiMetrics& metrics, http::Handler inner) {
  return [&metrics, inner = std::move(inner)](const http::Request& request) {
    auto start = std::chrono::steady_clock::now();
    std::string request_id = NewUuidV4();
    log::RequestScope scope(request_id);
    std::string_view route = RouteLabel(request.target);
    http::Response response;
    if (route == "/metrics" && (request.method == "GET" || request.method == "HEAD")) {
      response.body = metrics.Render();
      response.headers.Set("Content-Type", metrics::kContentType);
    } else {
      response = inner(request);
    }
    response.headers.Set("X-Request-Id", request_id);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (route != "/metrics") metrics.Record(route, response.status, seconds);
    log::Access({{"method", request.method},
                 {"path", encoding::SplitTarget(request.target).path},
                 {"route", route},
                 {"status", response.status},
                 {"seconds", seconds},
                 {"bytes", static_cast<std::uint64_t>(response.body.size())}});
    return response;
  };
}

}  // namespace cruddur::api
