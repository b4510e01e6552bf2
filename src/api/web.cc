#include "api/web.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "encoding/percent.h"
#include "encoding/url.h"

namespace cruddur::api {

namespace fs = std::filesystem;

namespace {

// The page loads only its own script, style and API; nothing inline, no framing.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

void SecurityHeaders(http::Response& r) {
  r.headers.Set("Cache-Control", "no-cache");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  r.headers.Set("Content-Security-Policy", kContentSecurityPolicy);
  r.headers.Set("X-Frame-Options", "DENY");
  r.headers.Set("Referrer-Policy", "no-referrer");
}

http::Response Text(int status, std::string_view text) {
  http::Response r;
  r.status = status;
  r.headers.Set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::string(text) + "\n";
  SecurityHeaders(r);
  return r;
}

// A strong validator for revalidation (the page polls; files rarely change): FNV-1a 64.
std::string ETagOf(std::string_view content) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : content) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

bool IsUnder(const fs::path& root, const fs::path& path) {
  auto [root_end, path_it] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

}  // namespace

std::string_view ContentTypeFor(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  std::size_t slash = name.rfind('/');
  std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  std::size_t dot = base.rfind('.');
  if (dot != std::string_view::npos) {
    std::string_view ext = base.substr(dot);
    for (const auto& [suffix, type] : kTypes) {
      if (ext.size() == suffix.size() &&
          std::equal(ext.begin(), ext.end(), suffix.begin(),
                     [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a + 32 : a) == b; })) {
        return type;
      }
    }
  }
  return "application/octet-stream";
}

WebPath ResolveWebPath(std::string_view target) {
  WebPath out;
  auto refuse = [&out](std::string reason) {
    out.relative.clear();
    out.error = std::move(reason);
    return out;
  };
  std::string_view raw = encoding::SplitTarget(target).path;
  if (raw.size() > kMaxWebPathBytes) return refuse("path too long");
  if (raw.empty() || raw.front() != '/') return refuse("path must start with '/'");

  // Decode exactly once: "%252e" stays "%2e", a name, never "." .
  std::optional<std::string> decoded = encoding::PercentDecode(raw);
  if (!decoded) return refuse("bad percent-escape");
  const std::string& path = *decoded;
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return refuse("control character in path");
    if (c == '\\') return refuse("backslash in path");
  }

  // Segments between the leading '/' and the end; a trailing '/' means the directory's index.
  std::string_view rest = std::string_view(path).substr(1);
  bool directory = rest.empty() || rest.back() == '/';
  if (directory) rest = rest.substr(0, rest.empty() ? 0 : rest.size() - 1);
  std::string relative;
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty()) return refuse("empty path segment");
    if (segment.front() == '.') return refuse("dot segment or hidden file in path");
    if (segment.size() > kMaxWebSegmentBytes) return refuse("file name too long");
    if (slash != std::string_view::npos && rest.empty()) return refuse("empty path segment");
    relative.append(segment).push_back('/');
  }
  if (directory) {
    relative += "index.html";
  } else {
    relative.pop_back();
  }
  out.relative = std::move(relative);
  return out;
}

bool IsApiTarget(std::string_view target) {
  std::string_view path = encoding::SplitTarget(target).path;
  return path == "/api" || path.starts_with("/api/");
}

WebPage::WebPage(const fs::path& web_dir) {
  if (web_dir.empty()) return;
  std::error_code ec;
  fs::path root = fs::canonical(web_dir, ec);
  if (ec || !fs::is_directory(root, ec)) {
    throw std::invalid_argument("--web-dir " + web_dir.string() + " is not a directory");
  }
  root_ = std::move(root);
}

bool WebPage::ReadFromDisk(const std::string& relative, std::string& content) const {
  std::error_code ec;
  fs::path canonical = fs::canonical(root_ / relative, ec);
  if (ec || !IsUnder(root_, canonical)) return false;
  // The canonical path has no symlinks left; O_NOFOLLOW refuses one swapped in since.
  int fd = ::open(canonical.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            static_cast<std::uint64_t>(st.st_size) <= kMaxWebFileBytes;
  if (ok) {
    content.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::read(fd, content.data() + done, content.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    content.resize(done);
  }
  ::close(fd);
  return ok;
}

http::Response WebPage::Handle(const http::Request& request) const {
  try {
    if (request.method != "GET" && request.method != "HEAD") {
      http::Response r = Text(405, "method not allowed");
      r.headers.Set("Allow", "GET, HEAD");
      return r;
    }
    WebPath path = ResolveWebPath(request.target);
    if (!path.ok()) return Text(400, "bad request: " + path.error);

    std::string content;
    if (from_disk()) {
      if (!ReadFromDisk(path.relative, content)) return Text(404, "not found");
    } else {
      auto files = EmbeddedWebFiles();
      auto it = std::find_if(files.begin(), files.end(),
                             [&](const EmbeddedFile& f) { return path.relative == f.path; });
      if (it == files.end()) return Text(404, "not found");
      content = std::string(it->content());
    }

    http::Response r;
    std::string etag = ETagOf(content);
    r.headers.Set("ETag", etag);
    if (request.headers.Get("If-None-Match") == etag) {
      r.status = 304;
    } else {
      r.headers.Set("Content-Type", ContentTypeFor(path.relative));
      r.body = std::move(content);
    }
    SecurityHeaders(r);
    return r;
  } catch (const std::exception&) {
    return Text(500, "internal error");
  }
}

http::Handler ServeHandler(const WebPage& page, http::Handler dev, http::Handler api) {
  return [&page, dev = std::move(dev), api = std::move(api)](const http::Request& r) {
    if (!IsApiTarget(r.target)) return page.Handle(r);
    std::string_view path = encoding::SplitTarget(r.target).path;
    if (dev && (path == "/api/dev" || path.starts_with("/api/dev/"))) return dev(r);
    return api(r);
  };
}

}  // namespace cruddur::api
