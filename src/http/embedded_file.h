// A file compiled into the binary by src/api/embed_web.cmake: the web page of `cruddur serve`
// (api/web.h) and the console of `ddb serve` (wire/console.h).
#pragma once

#include <cstddef>
#include <string_view>

namespace cruddur::http {

struct EmbeddedFile {
  const char* path;  // relative to the embedded directory, e.g. "index.html"
  const unsigned char* data;
  std::size_t size;
  std::string_view content() const { return {reinterpret_cast<const char*>(data), size}; }
};

}  // namespace cruddur::http
