// The messaging API's GET /metrics and request log (`cruddur serve`), in Prometheus's text
// format (metrics/metrics.h):
//   cruddur_api_requests_total{route, status}          requests answered
//   cruddur_api_request_duration_seconds{route}        time to answer (histogram)
//   cruddur_api_cache_hits_total, _cache_misses_total  MessageCache's reads
//   cruddur_api_stream_records_total                   stream records the consumer applied
//   cruddur_api_stream_consumer_lag_records            records fetched, not yet applied
//   cruddur_api_stream_consumer_lag_seconds            age of the last record applied
//   cruddur_api_jwks_refreshes_total{result}           JWKS loads, "ok" or "error"
// `route` is the route's pattern (/api/messages/{group}), never the raw path, so the label sets
// stay bounded.
#pragma once

#include <string>
#include <string_view>

#include "api/message_cache.h"
#include "api/stream_consumer.h"
#include "http/server.h"
#include "metrics/metrics.h"

namespace cruddur::api {

struct ApiMetricsSources {
  const MessageCache* cache = nullptr;       // none: no cache families
  const StreamConsumer* consumer = nullptr;  // none: no stream families
};

class ApiMetrics {
 public:
  // The sources must outlive this.
  explicit ApiMetrics(ApiMetricsSources sources = {});
  // Thread-safe, lock-free once a thread has seen the route and status.
  void Record(std::string_view route, int status, double seconds);
  std::string Render() const { return registry_.Render(); }

 private:
  struct PerRoute {
    metrics::Histogram latency;
  };
  void WriteRequestFamilies(metrics::TextWriter& w) const;

  ApiMetricsSources sources_;
  metrics::LabelledSet<metrics::Counter> requests_;  // {route, status}
  metrics::LabelledSet<PerRoute> by_route_;          // {route}
  metrics::Registry registry_;
};

// The route label of a request-target: the pattern of the API route it matches
// (Routes::RoutePatterns), "/api/dev" for the development sign-in, "unmatched" for other API
// targets, "/metrics", or "web" for the web page's files.
std::string_view RouteLabel(std::string_view target);

// Wraps the server's handler: every request gets an id (the X-Request-Id answer header, and in
// every log entry written while it is handled), GET /metrics is answered from `metrics`, and
// each request is counted and, with the access log on, logged (never its query, body or
// Authorization header). `metrics` must outlive the handler.
http::Handler ObserveRequests(ApiMetrics& metrics, http::Handler inner);

}  // namespace cruddur::api
