// HTTP content codings on the DynamoDB endpoint: request bodies compressed by the client
// (Content-Encoding; AWS SDKs can compress requests) and responses compressed for a client that
// asks (Accept-Encoding). zlib does the work; gzip is RFC 1952, deflate the zlib format (RFC 1950)
// as RFC 9110 defines it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace cruddur::wire {

enum class ContentCoding { kIdentity, kGzip, kDeflate };

// The coding DynamoDB answers with for an Accept-Encoding value: gzip or deflate, whichever has
// the higher quality; on a tie one named outright beats one accepted through "*", then the one
// listed first wins, then gzip. A quality of 0 refuses a coding; a quality that is not a number
// counts as 1, one over 1 as 1 and one under 0 as 0, and only an element's first q counts.
// Elements that are not exactly a coding name (`"gzip"`, `gzip br`, `x-gzip`) are ignored, and
// "identity" is never preferred over compression. kIdentity when neither is acceptable.
ContentCoding ChooseResponseCoding(std::string_view accept_encoding);

// The Content-Encoding token for a coding ("gzip", "deflate"; "" for kIdentity).
std::string_view CodingName(ContentCoding coding);

// `body` compressed with `coding` (kIdentity returns it unchanged).
std::string Compress(std::string_view body, ContentCoding coding);

struct DecodeFailure {
  bool too_large = false;  // the decoded body would be over max_size
  std::string reason;      // otherwise, why the body could not be decoded
};

// Removes the codings a Content-Encoding value lists (applied in the order listed, so removed
// last-first; "identity" does nothing) from `body` into *out. Fails on a coding other than gzip,
// x-gzip, deflate and identity, on data that is corrupt or cut short, on bytes after the end of
// the compressed data (several gzip members one after another are one body, as RFC 1952 allows),
// and on a decoded body over max_size.
std::optional<DecodeFailure> DecodeBody(std::string_view content_encoding, std::string_view body,
                                        std::size_t max_size, std::string* out);

}  // namespace cruddur::wire
