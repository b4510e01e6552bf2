// The console: a page for browsing and editing the engine's tables from a browser, served by the
// DynamoDB endpoint at /console (console/ at the top of the repository, compiled into the binary
// by src/api/embed_web.cmake as the generated console_assets.cc). The page is static: it talks to
// the engine only through the DynamoDB JSON API at POST /, signing its requests with SigV4 like
// any client, so it can do nothing a client could not.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "http/embedded_file.h"
#include "http/message.h"

namespace cruddur::wire {

// One file of console/ compiled into the binary (path relative to console/).
using ConsoleFile = http::EmbeddedFile;

// Every embedded console file, sorted by path. Defined by the generated console_assets.cc.
std::span<const ConsoleFile> EmbeddedConsoleFiles();

// The answer to a GET or HEAD of "/console", "/console/" (both the page itself) or
// "/console/<file>" (a 404 for an unknown name: only the embedded names match, byte for byte);
// nullopt for any other request, which is not the console's.
std::optional<http::Response> ConsoleResponse(const http::Request& request);

}  // namespace cruddur::wire
