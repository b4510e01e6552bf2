// For tests that run a real server: options for one on a free loopback port, and a port with
// no server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>

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

// A loopback port with nothing listening on it (one the kernel just handed out and took back).
inline std::uint16_t ClosedPort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace cruddur::http
