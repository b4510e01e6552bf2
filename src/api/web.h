// The web page of `cruddur serve` (web/ at the top of the repository): static files served at
// `/`, next to the API under `/api/`. The files are compiled into the binary (the generated
// web_assets.cc, see embed_web.cmake), so the server works from any directory; `--web-dir DIR`
// serves them from disk instead, for editing the page without rebuilding.
//
// A request path is decoded once and refused (400) when it could name anything outside the web
// root: "." or ".." segments, empty segments ("//"), backslashes, NUL and control bytes, dot
// files, overlong names. On disk, the canonical path must also stay under the canonical root, so
// symlinks cannot lead out of it (404, like a missing file). Only GET and HEAD.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "http/embedded_file.h"
#include "http/message.h"
#include "http/server.h"

namespace cruddur::api {

// One file of web/ compiled into the binary (path relative to web/).
using EmbeddedFile = http::EmbeddedFile;

// Every embedded file, sorted by path. Defined by the generated web_assets.cc.
std::span<const EmbeddedFile> EmbeddedWebFiles();

// The Content-Type for a file name, by extension ("application/octet-stream" when unknown).
std::string_view ContentTypeFor(std::string_view file_name);

inline constexpr std::size_t kMaxWebPathBytes = 1024;
inline constexpr std::size_t kMaxWebSegmentBytes = 255;
inline constexpr std::size_t kMaxWebFileBytes = 8 * 1024 * 1024;

// A request-target as a file path relative to the web root ("index.html" for "/" and for names
// ending in '/'); the query is ignored. `error` is set (and `relative` empty) when refused.
struct WebPath {
  std::string relative;
  std::string error;
  bool ok() const { return error.empty(); }
};
WebPath ResolveWebPath(std::string_view target);

// True when `target` belongs to the API: "/api" or "/api/..." (also with a query).
bool IsApiTarget(std::string_view target);

class WebPage {
 public:
  // Embedded files when `web_dir` is empty. Throws std::invalid_argument when `web_dir` is not
  // a directory.
  explicit WebPage(const std::filesystem::path& web_dir = {});

  // Thread-safe; never throws. Every answer carries the security headers (nosniff, a CSP that
  // allows only the page's own origin, no framing) and Cache-Control: no-cache.
  http::Response Handle(const http::Request& request) const;

  bool from_disk() const { return !root_.empty(); }

 private:
  // The file's bytes, or false when it is missing, not a regular file, too large, or (through
  // a symlink) outside the root.
  bool ReadFromDisk(const std::string& relative, std::string& content) const;

  std::filesystem::path root_;  // canonical; empty when serving the embedded files
};

// The `cruddur serve` handler: "/api/dev" and "/api/dev/..." to `dev`, other API targets to
// `api`, everything else to `page`. `page` must outlive the handler.
http::Handler ServeHandler(const WebPage& page, http::Handler dev, http::Handler api);

}  // namespace cruddur::api
