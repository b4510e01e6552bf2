#include "wire/content_coding.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "encoding/enum_names.h"
#include "http/message.h"

namespace cruddur::wire {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits off the text before the first `separator` (all of `rest` when there is none).
std::string_view Next(std::string_view& rest, char separator) {
  std::size_t at = rest.find(separator);
  std::string_view head = rest.substr(0, at);
  rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
  return head;
}

// The first q parameter among an Accept-Encoding element's parameters; 1 when there is none or
// it is not a number.
double Quality(std::string_view params) {
  while (!params.empty()) {
    std::string_view param = Next(params, ';');
    std::size_t eq = param.find('=');
    if (eq == std::string_view::npos || !http::EqualsIgnoreCase(Trim(param.substr(0, eq)), "q")) {
      continue;
    }
    std::string_view value = Trim(param.substr(eq + 1));
    double q = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (ec != std::errc() || end != value.data() + value.size() || std::isnan(q)) return 1;
    return std::clamp(q, 0.0, 1.0);
  }
  return 1;
}

class Inflater {
 public:
  // window_bits as for inflateInit2: 16 + MAX_WBITS reads gzip, MAX_WBITS the zlib format.
  explicit Inflater(int window_bits) {
    if (inflateInit2(&stream_, window_bits) != Z_OK) throw std::bad_alloc();
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
};

// Inflates all of `in` (gzip members one after another, or one zlib stream) onto *out.
std::optional<DecodeFailure> Inflate(std::string_view in, bool gzip, std::size_t max_size,
                                     std::string* out) {
  const char* name = gzip ? "gzip" : "deflate";
  auto corrupt = [&](std::string_view detail) {
    return DecodeFailure{false, "Request body is not valid " + std::string(name) +
                                    " data (Content-Encoding: " + name +
                                    "): " + std::string(detail)};
  };
  if (in.empty()) return corrupt("the body is empty");
  if (in.size() > std::numeric_limits<uInt>::max()) return DecodeFailure{true, ""};
  Inflater inflater(gzip ? 16 + MAX_WBITS : MAX_WBITS);
  z_stream& zs = inflater.stream();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  constexpr std::size_t kStep = 64 * 1024;
  for (;;) {
    std::size_t used = out->size();
    if (used >= max_size + 1) return DecodeFailure{true, ""};
    // Never more than one byte past max_size, so a bomb cannot make us allocate much.
    std::size_t room = std::min(kStep, max_size + 1 - used);
    out->resize(used + room);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + used);
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out->resize(used + room - zs.avail_out);
    if (out->size() > max_size) return DecodeFailure{true, ""};
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) return std::nullopt;
      // Another gzip member may follow; anything else is junk.
      if (gzip && zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
        if (inflateReset(&zs) != Z_OK) return corrupt("cannot restart");
        continue;
      }
      return corrupt("unexpected bytes after the end of the compressed data");
    }
    if (rc == Z_BUF_ERROR) {  // no progress possible
      if (zs.avail_out == 0) continue;
      return corrupt(zs.avail_in == 0 ? "the data ends early" : "cannot be decompressed");
    }
    if (rc != Z_OK) return corrupt(zs.msg != nullptr ? zs.msg : "cannot be decompressed");
  }
}

}  // namespace

ContentCoding ChooseResponseCoding(std::string_view accept_encoding) {
  struct Candidate {
    double q = -1;  // -1: not listed
    bool named = true;
    std::size_t position = 0;
  };
  Candidate gzip, deflate, star;
  std::size_t position = 0;
  std::string_view rest = accept_encoding;
  while (!rest.empty()) {
    std::string_view element = Next(rest, ',');
    std::size_t semicolon = element.find(';');
    std::string_view coding = Trim(element.substr(0, semicolon));
    if (coding.empty()) continue;
    ++position;
    double q = semicolon == std::string_view::npos ? 1 : Quality(element.substr(semicolon + 1));
    Candidate* candidate = nullptr;
    if (http::EqualsIgnoreCase(coding, "gzip")) candidate = &gzip;
    if (http::EqualsIgnoreCase(coding, "deflate")) candidate = &deflate;
    if (coding == "*") candidate = &star;
    if (candidate != nullptr && q > candidate->q) {
      candidate->q = q;
      candidate->position = position;
    }
  }
  auto effective = [&](Candidate c) {
    if (c.q >= 0) return c;
    Candidate through_star = star;
    through_star.named = false;
    return through_star;
  };
  Candidate g = effective(gzip);
  Candidate d = effective(deflate);
  if (g.q <= 0 && d.q <= 0) return ContentCoding::kIdentity;
  if (d.q <= 0) return ContentCoding::kGzip;
  if (g.q <= 0) return ContentCoding::kDeflate;
  bool gzip_wins = g.q != d.q                 ? g.q > d.q
                   : g.named != d.named       ? g.named
                   : g.position != d.position ? g.position < d.position
                                              : true;
  return gzip_wins ? ContentCoding::kGzip : ContentCoding::kDeflate;
}

// The Content-Encoding names; identity has none ("").
constexpr std::array<encoding::EnumName<ContentCoding>, 2> kCodingNames = {{
    {ContentCoding::kGzip, "gzip"},
    {ContentCoding::kDeflate, "deflate"},
}};

std::string_view CodingName(ContentCoding coding) { return encoding::NameOf(kCodingNames, coding); }

std::string Compress(std::string_view body, ContentCoding coding) {
  if (coding == ContentCoding::kIdentity) return std::string(body);
  z_stream zs{};
  int window_bits = coding == ContentCoding::kGzip ? 16 + MAX_WBITS : MAX_WBITS;
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::bad_alloc();
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(body.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(body.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);  // one call: the output has deflateBound's room
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

std::optional<DecodeFailure> DecodeBody(std::string_view content_encoding, std::string_view body,
                                        std::size_t max_size, std::string* out) {
  std::vector<std::string_view> codings;
  std::string_view rest = content_encoding;
  while (!rest.empty()) {
    std::string_view coding = Trim(Next(rest, ','));
    if (!coding.empty() && !http::EqualsIgnoreCase(coding, "identity")) codings.push_back(coding);
  }
  for (std::string_view coding : codings) {
    bool known = http::EqualsIgnoreCase(coding, "gzip") ||
                 http::EqualsIgnoreCase(coding, "x-gzip") ||
                 http::EqualsIgnoreCase(coding, "deflate");
    if (!known) {
      return DecodeFailure{false, "Unsupported Content-Encoding '" + std::string(coding) +
                                      "' (supported: gzip, deflate, identity)"};
    }
  }
  if (codings.empty()) {
    out->assign(body);
    return std::nullopt;
  }
  std::string_view input = body;
  std::string decoded;
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    std::string next;
    if (auto failure = Inflate(input, !http::EqualsIgnoreCase(*it, "deflate"), max_size, &next)) {
      return failure;
    }
    decoded = std::move(next);
    input = decoded;
  }
  *out = std::move(decoded);
  return std::nullopt;
}

}  // namespace cruddur::wire
