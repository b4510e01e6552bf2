// ReadPlainRequest against Beast's parser, for plain_request_test.cc and
// fuzz/fuzz_plain_request.cc: wherever ReadPlainRequest reads a request, Beast's parser must
// read it to the same request.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/optional/optional.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"
#include "http/plain_request.h"

namespace cruddur::http {

// A request as read, fields in the order they came.
struct ReadRequest {
  std::size_t taken = 0;  // header and body
  std::size_t header_bytes = 0;
  bool keep_alive = false;
  std::string method, target, body;
  int version = 0;
  std::vector<std::pair<std::string, std::string>> fields;
};

// Records what Beast's parser reports, as the server's own subclass of it does.
class RecordingParser final : public boost::beast::http::basic_parser<true> {
 public:
  explicit RecordingParser(ReadRequest& read) : read_(read) {}

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override {
    read_.method = std::string(method);
    read_.target = std::string(target);
    read_.version = version;
  }
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code&) override {
    read_.fields.emplace_back(std::string(name), std::string(value));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view data, error_code&) override {
    read_.body.append(data.data(), data.size());
    return data.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view data, error_code&) override {
    read_.body.append(data.data(), data.size());
    return data.size();
  }
  void on_finish_impl(error_code&) override {}

  ReadRequest& read_;
};

// Beast's reading of the first request in `bytes`, all of it given at once; false when Beast
// refuses it or needs more.
inline bool ReadWithBeast(std::string_view bytes, std::size_t header_limit, std::size_t body_limit,
                          ReadRequest* read) {
  RecordingParser parser(*read);
  parser.header_limit(header_limit);
  parser.body_limit(body_limit);
  parser.eager(true);
  boost::beast::error_code ec;
  while (!parser.is_done() && read->taken < bytes.size()) {
    std::size_t n =
        parser.put(boost::asio::buffer(bytes.data() + read->taken, bytes.size() - read->taken), ec);
    read->taken += n;
    if (ec || n == 0) break;
  }
  if (!parser.is_done() || ec) return false;
  read->keep_alive = parser.keep_alive();
  read->header_bytes = read->taken - read->body.size();
  return true;
}

// `request`'s fields as (name, value) pairs, in order.
inline std::vector<std::pair<std::string, std::string>> FieldsOf(const Request& request) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const Headers::Field& f : request.headers) fields.emplace_back(f.name, f.value);
  return fields;
}

inline bool ReadWithPlain(std::string_view bytes, std::size_t header_limit, std::size_t body_limit,
                          ReadRequest* read) {
  Request request;
  read->taken = ReadPlainRequest(bytes, header_limit, body_limit, request, &read->keep_alive,
                                 &read->header_bytes);
  if (read->taken == 0) return false;
  read->method = request.method;
  read->target = request.target;
  read->version = request.version;
  read->body = request.body;
  read->fields = FieldsOf(request);
  return true;
}

struct Comparison {
  bool plain = false;      // ReadPlainRequest read it
  bool beast = false;      // Beast's parser read it
  std::string difference;  // the first one, when ReadPlainRequest read it; "" when none
};

inline Comparison CompareWithBeast(std::string_view bytes, std::size_t header_limit,
                                   std::size_t body_limit) {
  Comparison c;
  ReadRequest ours;
  ReadRequest theirs;
  c.plain = ReadWithPlain(bytes, header_limit, body_limit, &ours);
  c.beast = ReadWithBeast(bytes, header_limit, body_limit, &theirs);
  if (!c.plain) return c;
  auto differ = [&c](bool same, std::string_view what) {
    if (!same && c.difference.empty()) c.difference = what;
  };
  differ(c.beast, "Beast refuses it");
  if (!c.beast) return c;
  differ(ours.taken == theirs.taken, "bytes taken");
  differ(ours.header_bytes == theirs.header_bytes, "header bytes");
  differ(ours.method == theirs.method, "method");
  differ(ours.target == theirs.target, "target");
  differ(ours.version == theirs.version, "version");
  differ(ours.fields == theirs.fields, "fields");
  differ(ours.body == theirs.body, "body");
  differ(ours.keep_alive == theirs.keep_alive, "keep-alive");
  return c;
}

}  // namespace cruddur::http
