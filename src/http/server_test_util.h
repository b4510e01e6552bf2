// For tests that run a real server: options for one on a free loopback port.
#pragma once

#include "http/server.h"

namespace cruddur::http {

// 127.0.0.1, a port the kernel picks (Server::port() tells which), two threads.
inline ServerOptions TestOptions() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  return options;
}

}  // namespace cruddur::http
