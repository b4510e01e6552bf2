// Fuzzes whole DynamoDB HTTP requests through the server's handler (wire::DynamoDbHandler), in
// process, on a fresh in-memory engine holding the tables and items of ddb_setup.h: what one
// client of `cruddur ddb serve` can send, headers included. The input is up to 8 requests, each
//   METHOD TARGET              e.g. "POST /"
//   Name: value                header lines (X-Amz-Target, Content-Type, Authorization, ...)
//   (empty line)
//   body                       one line (JSON needs no raw newline)
// A request with an Authorization header goes to a handler that accepts any well-formed SigV4
// credentials (the default of `ddb serve`, like DynamoDB Local). One without is signed here
// (AWS test-suite key, fixed clock) and goes to a handler that verifies signatures: it must never
// be refused for its authentication. Properties: Handle never throws and never answers 5xx
// (except DynamoDB's 500 for a body that is not what its Content-Encoding says); every answer
// has a request id and, when it has a body, a matching x-amz-crc32 (over the bytes sent); a
// POST's answer is a JSON object once decoded (an error: "__type" "<namespace>#<Type>"), except
// DynamoDB's XML 404 for a request that is not JSON. The custom mutator (deep_mutator.h) writes
// requests with deep or long expressions, PartiQL statements, placeholder floods and nested values,
// and mutates the headers.
#include <rapidjson/document.h>
#include <zlib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"
#include "ddb_setup.h"
#include "deep_mutator.h"
#include "fuzz_util.h"
#include "http/message.h"
#include "wire/content_coding.h"
#include "wire/dynamodb_handler.h"

namespace cruddur::wire {
namespace {

constexpr size_t kMaxRequests = 8;
constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::chrono::system_clock::time_point Now() {
  return *aws::ParseAmzDate("20150830T123600Z");  // the date of the AWS SigV4 test suite
}

std::string_view NextLine(std::string_view& text) {
  size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol);
  text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Consumes one request from `text`; false when it is not one the server would accept.
bool ParseRequest(std::string_view& text, http::Request* request) {
  std::string_view start = NextLine(text);
  bool ok = true;
  size_t space = start.find(' ');
  if (space == std::string_view::npos) {
    ok = false;
  } else {
    request->method = std::string(start.substr(0, space));
    request->target = std::string(start.substr(space + 1));
    ok = fuzz::IsToken(request->method) && !request->target.empty() &&
         fuzz::IsFieldValue(request->target) && request->target.find(' ') == std::string::npos;
  }
  while (!text.empty()) {
    std::string_view line = NextLine(text);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      ok = false;
      continue;
    }
    std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (!fuzz::IsToken(name) || !fuzz::IsFieldValue(value)) ok = false;
    if (ok) request->headers.Add(name, value);
  }
  request->body = std::string(NextLine(text));
  return ok;
}

bool IsAuthError(std::string_view type) {
  for (std::string_view t : {"MissingAuthenticationTokenException", "IncompleteSignatureException",
                             "InvalidSignatureException", "UnrecognizedClientException",
                             "InvalidClientTokenIdException", "AccessDeniedException"}) {
    if (type == t) return true;
  }
  return false;
}

void CheckResponse(const http::Request& req, const http::Response& r, bool signed_here) {
  std::string detail = req.method + " " + std::string(req.headers.Get("X-Amz-Target")) + " " +
                       req.body.substr(0, 2000) + "\n-> " + std::to_string(r.status) + " " +
                       r.body.substr(0, 2000);
  bool undecodable =
      req.headers.Has("Content-Encoding") && r.status == 500 &&
      (r.body.find(R"("message":"Request body is not valid )") != std::string::npos ||
       r.body.find(R"("message":"Unsupported Content-Encoding )") != std::string::npos);
  fuzz::Check((r.status >= 200 && r.status < 500) || undecodable, "status is not 2xx/4xx", detail);
  fuzz::Check(r.headers.Get("x-amzn-RequestId").size() == 52, "no 52-character request id", detail);
  if (const std::string* crc = r.headers.Find("x-amz-crc32")) {
    uLong want = crc32_z(0, reinterpret_cast<const Bytef*>(r.body.data()), r.body.size());
    fuzz::Check(*crc == std::to_string(want), "x-amz-crc32 does not match the body", detail);
  }
  if (req.method != "POST" || r.status == 404) return;
  std::string decoded = r.body;  // a compressed answer (Accept-Encoding) is checked decoded
  if (std::string_view coding = r.headers.Get("Content-Encoding"); !coding.empty()) {
    fuzz::Check(!DecodeBody(coding, r.body, DynamoDbHandler::kMaxBodyBytes, &decoded),
                "a compressed answer does not decode", detail);
  }
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(decoded.data(), decoded.size());
  fuzz::Check(!d.HasParseError() && d.IsObject(), "answer is not a JSON object", detail);
  if (r.status == 200) return;
  const rapidjson::Value& object = d;  // const iterators: clang warns on the mutable ones' ==
  auto type = object.FindMember("__type");
  fuzz::Check(type != object.MemberEnd() && type->value.IsString(), "error without a __type",
              detail);
  std::string_view t(type->value.GetString(), type->value.GetStringLength());
  size_t hash = t.find('#');
  fuzz::Check(hash != std::string_view::npos && hash + 1 < t.size(), "__type is not ns#Type",
              detail);
  if (signed_here) {
    fuzz::Check(!IsAuthError(t.substr(hash + 1)), "a request signed here was refused", detail);
  }
}

void Run(const uint8_t* data, size_t size) {
  std::unique_ptr<ddb::Engine> engine = fuzz::SeededEngine();
  WireOptions open_options;
  open_options.clock = Now;
  WireOptions strict_options;
  strict_options.credentials = {{std::string(kAccessKey), std::string(kSecret)}};
  strict_options.clock = Now;
  DynamoDbHandler open(*engine, open_options);
  DynamoDbHandler strict(*engine, strict_options);

  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t n = 0; n < kMaxRequests && !text.empty(); ++n) {
    http::Request req;
    if (!ParseRequest(text, &req)) continue;
    bool sign = !req.headers.Has("Authorization");
    if (sign) {
      if (!req.headers.Has("Host")) req.headers.Add("Host", "localhost:8000");
      aws::Sign(req, aws::Credentials{std::string(kAccessKey), std::string(kSecret), ""},
                "us-east-1", "dynamodb", Now());
    }
    http::Response r;
    try {
      const DynamoDbHandler& handler = sign ? strict : open;
      r = req.body.size() > DynamoDbHandler::kMaxBodyBytes ? handler.TooLarge(req)
                                                           : handler.Handle(req);
    } catch (const std::exception& e) {
      fuzz::Fail("DynamoDbHandler threw", e.what());
    } catch (...) {
      fuzz::Fail("DynamoDbHandler threw a non-exception");
    }
    CheckResponse(req, r, sign);
  }
}

// ---- the custom mutator: requests as (head, body) -------------------------------------------

struct TextRequest {
  std::string head;  // start line and header lines
  std::string body;
};

std::vector<TextRequest> SplitRequests(std::string_view text) {
  std::vector<TextRequest> out;
  while (!text.empty()) {
    size_t blank = text.find("\n\n");
    TextRequest r;
    r.head = std::string(text.substr(0, blank));
    text = blank == std::string_view::npos ? std::string_view() : text.substr(blank + 2);
    size_t eol = text.find('\n');
    r.body = std::string(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    out.push_back(std::move(r));
  }
  return out;
}

std::string JoinRequests(const std::vector<TextRequest>& requests) {
  std::string out;
  for (const TextRequest& r : requests)
    out.append(r.head).append("\n\n").append(r.body).append("\n");
  return out;
}

constexpr std::string_view kAuthorization =
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/"
    "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=5a15b22cf462f047318703b92e6f4f38884e4a7ab7b1d6426ca46a8bd1c26cbc";

// The headers an SDK sends for `operation`; unsigned ones get signed by the target.
std::string Head(fuzz::Rng& rng, std::string_view operation) {
  std::string head = "POST /\nHost: localhost:8000\nContent-Type: ";
  head.append(rng.OneIn(4) ? "application/json" : "application/x-amz-json-1.0");
  head.append("\nX-Amz-Target: ");
  if (operation.starts_with("Streams.")) {
    head.append("DynamoDBStreams_20120810.").append(operation.substr(8));
  } else {
    head.append("DynamoDB_20120810.").append(operation);
  }
  head.append("\nX-Amz-Date: 20150830T123600Z");
  if (!rng.OneIn(3)) head.append("\n").append(kAuthorization);
  return head;
}

// Replaces (or adds) the header `name` of a head.
std::string SetHeader(std::string_view head, std::string_view name, std::string_view value) {
  std::string out;
  bool done = false;
  for (std::string& line : fuzz::SplitLines(head)) {
    bool match = line.size() > name.size() && line[name.size()] == ':' &&
                 http::EqualsIgnoreCase(std::string_view(line).substr(0, name.size()), name);
    if (match && done) continue;
    if (!out.empty()) out.push_back('\n');
    out.append(match ? std::string(name) + ": " + std::string(value) : line);
    done = done || match;
  }
  if (!done) out.append("\n").append(name).append(": ").append(value);
  return out;
}

std::string MutateHead(std::string_view head, fuzz::Rng& rng, size_t budget) {
  static constexpr std::string_view kTargets[] = {"DynamoDB_20120810.Query",
                                                  "DynamoDB_20120810.Scan",
                                                  "DynamoDB_20120810.UpdateItem",
                                                  "DynamoDB_20120810.PutItem",
                                                  "DynamoDB_20120810.ExecuteStatement",
                                                  "DynamoDB_20120810.TransactWriteItems",
                                                  "DynamoDBStreams_20120810.GetRecords",
                                                  "DynamoDB_20120810",
                                                  "DynamoDB_20120810.Query.Scan",
                                                  "dynamodb_20120810.Query",
                                                  ""};
  static constexpr std::string_view kContentTypes[] = {
      "application/x-amz-json-1.0",       "application/json", "application/json; charset=utf-8",
      "APPLICATION/X-AMZ-JSON-1.0 ; x=y", "text/plain",       ""};
  static constexpr std::string_view kAuthorizations[] = {
      kAuthorization.substr(15), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1",
      "AWS4-HMAC-SHA256", "Bearer x", ""};
  switch (rng.Below(6)) {
    case 0:
      return SetHeader(head, "X-Amz-Target", rng.Pick(kTargets));
    case 1:
      return SetHeader(head, "Content-Type", rng.Pick(kContentTypes));
    case 2: {
      std::string_view auth = rng.Pick(kAuthorizations);
      if (!auth.empty()) return SetHeader(head, "Authorization", auth);
      std::string out;  // no Authorization: the target signs the request
      for (std::string& line : fuzz::SplitLines(head)) {
        if (line.size() > 14 && http::EqualsIgnoreCase(line.substr(0, 14), "authorization:")) {
          continue;
        }
        out.append(out.empty() ? "" : "\n").append(line);
      }
      return out;
    }
    case 3: {  // a long header value or many headers
      std::string value;
      fuzz::Repeat(value, "a,", fuzz::Count(rng, budget / 2));
      return SetHeader(head, rng.OneIn(2) ? "X-Amz-Target" : "X-Long", value);
    }
    default:
      return fuzz::RepeatOrNest(head, rng, budget);
  }
}

}  // namespace
}  // namespace cruddur::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cruddur::wire::Run(data, size);
  return 0;
}

// Two times in three a structural mutation of one request (deep_mutator.h): a generated request
// in its place or added, its body or its headers mutated; libFuzzer's own mutations else.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  using namespace cruddur::fuzz;
  using namespace cruddur::wire;
  Rng rng(seed);
  if (rng.OneIn(3) || max_size < 512) return LLVMFuzzerMutate(data, size, max_size);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (size > kShrinkAbove && rng.OneIn(2)) return Emit(Shrink(in, rng), data, size, max_size);
  size_t limit = Budget(rng, max_size);
  std::vector<TextRequest> requests = SplitRequests(in);
  if (requests.empty()) requests.emplace_back();
  size_t i = rng.Below(requests.size());
  size_t others =
      in.size() - std::min(in.size(), requests[i].head.size() + requests[i].body.size());
  size_t budget = limit > others + 512 ? limit - others - 512 : 0;
  size_t choice = rng.Below(8);
  TextRequest& r = requests[i];
  if (choice < 3 || r.head.empty()) {
    GeneratedRequest g = GenerateRequest(rng, budget);
    TextRequest fresh{Head(rng, g.operation), std::move(g.body)};
    if (requests.size() < kMaxRequests && rng.OneIn(2)) {
      requests.insert(requests.begin() + static_cast<std::ptrdiff_t>(i), std::move(fresh));
    } else {
      r = std::move(fresh);
    }
  } else if (choice < 6) {
    r.body = MutateRequestBody(r.body, rng, budget);
  } else if (choice < 7) {
    r.head = MutateHead(r.head, rng, budget);
  } else {
    return Emit(RepeatOrNest(in, rng, limit), data, size, max_size);
  }
  return Emit(JoinRequests(requests), data, size, max_size);
}
