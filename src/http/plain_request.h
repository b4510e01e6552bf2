// A fast reading of the requests nearly every client sends, beside Beast's parser.
//
// Beast's parser checks a header byte by byte through a table, about a fifth of the work of a
// small DynamoDB request here (bench/hotpath_findings.md, round 5). Most requests arrive whole
// in one read and use a small part of HTTP/1.1: ReadPlainRequest reads those, 16 bytes at a
// time, and declines everything else, which Beast's parser then reads from the same bytes.
// What it accepts is a subset of what Beast accepts, read to the same result (the differential
// test in plain_request_test.cc holds it to that), so a client cannot tell which one read it.
#pragma once

#include <cstddef>
#include <string_view>

#include "http/message.h"

namespace cruddur::http {

// Reads the request at the front of `bytes` into `request` (method, target, version, fields in
// order, body) and returns the bytes it took, header and body, when the request is plain and
// whole:
//   - its request line is an upper-case method, a target of visible ASCII and HTTP/1.0 or 1.1;
//   - each field is a name of letters, digits, '-', '_' or '.', a colon, and a value of
//     printable ASCII or tabs, on one line (no obs-fold), every line ending in CRLF;
//   - the header is at most `header_limit` bytes;
//   - no Transfer-Encoding, Upgrade, Proxy-Connection or Expect field; at most one
//     Content-Length, of 1 to 18 digits, not over `body_limit`; Connection fields that say
//     "close" or "keep-alive" and nothing else;
//   - the body that Content-Length announces is all in `bytes`.
// Sets *keep_alive to what Beast's keep_alive() answers for it, and *header_bytes to the size
// of its header. Otherwise returns 0 with `request` cleared.
std::size_t ReadPlainRequest(std::string_view bytes, std::size_t header_limit,
                             std::size_t body_limit, Request& request, bool* keep_alive,
                             std::size_t* header_bytes);

}  // namespace cruddur::http
