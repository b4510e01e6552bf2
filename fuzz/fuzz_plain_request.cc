// Fuzzes ReadPlainRequest, the server's fast reading of plain requests, against Beast's parser
// (src/http/plain_request_test_util.h): whenever it reads the input's first request, Beast's
// parser must read the same request from it, byte for byte, with the same keep-alive. The
// input is raw bytes as a client sends them; the limits are small so that both sides of each
// are reached.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "http/plain_request_test_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (std::size_t header_limit : {std::size_t{8192}, std::size_t{64}}) {
    const cruddur::http::Comparison c =
        cruddur::http::CompareWithBeast(bytes, header_limit, /*body_limit=*/32);
    cruddur::fuzz::Check(c.difference.empty(), "ReadPlainRequest and Beast differ", c.difference);
  }
  return 0;
}
