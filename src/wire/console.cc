#include "wire/console.h"

#include <string>

#include "encoding/url.h"

namespace cruddur::wire {

namespace {

constexpr std::string_view kPrefix = "/console";

// The page loads only its own script and style and calls only its own origin's API.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

std::string_view ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

http::Response File(int status, std::string_view content_type, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers.Set("Content-Type", content_type);
  response.headers.Set("Cache-Control", "no-cache");
  response.headers.Set("X-Content-Type-Options", "nosniff");
  response.headers.Set("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.Set("X-Frame-Options", "DENY");
  response.headers.Set("Referrer-Policy", "no-referrer");
  return response;
}

}  // namespace

std::optional<http::Response> ConsoleResponse(const http::Request& request) {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  std::string_view path = encoding::SplitTarget(request.target).path;
  if (!path.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = path.substr(kPrefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;  // e.g. "/consoles"
  std::string_view name = rest.size() <= 1 ? std::string_view("index.html") : rest.substr(1);
  for (const ConsoleFile& file : EmbeddedConsoleFiles()) {
    if (name == file.path) return File(200, ContentType(name), std::string(file.content()));
  }
  return File(404, "text/plain; charset=utf-8", "not found\n");
}

}  // namespace cruddur::wire
