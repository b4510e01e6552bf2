#include "wire/dynamodb_handler.h"

#include <rapidjson/error/en.h>

#include <array>
#include <bit>
#include <cstring>
#include <exception>
#include <optional>
#include <string_view>
#include <utility>

#include "common/current_exception.h"
#include "common/random.h"
#include "ddb/request.h"
#include "encoding/crc32.h"
#include "encoding/json.h"
#include "encoding/url.h"
#include "log/log.h"
#include "wire/console.h"
#include "wire/content_coding.h"

namespace cruddur::wire {

// One request on its way through Handle.
struct DynamoDbHandler::Exchange {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  bool counted = false;        // a DynamoDB protocol request (not the health check, metrics...)
  std::string_view operation;  // an operation the engine runs, as CloudWatch names it
  std::string error_type;
  ddb::RequestStats stats;
};

namespace {

constexpr std::string_view kJson10 = "application/x-amz-json-1.0";
constexpr std::string_view kPlainJson = "application/json";
constexpr std::string_view kDynamoDbPrefix = "DynamoDB_20120810";
constexpr std::string_view kStreamsPrefix = "DynamoDBStreams_20120810";
// cruddur's own operations beside DynamoDB's (DescribeTableStats), engine operation "Cruddur.<Op>".
constexpr std::string_view kCruddurPrefix = "Cruddur_20261203";

// What DynamoDB lets a browser script read (its preflight answer, captured 2020-10-15).
constexpr std::string_view kExposeHeaders =
    "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";
// DynamoDB compresses responses of 4 KB and more for a client that accepts it (ScyllaDB's
// Alternator tests of compressed responses, run against DynamoDB).
constexpr std::size_t kCompressFrom = 4096;

// Error types AWS's service framework (not DynamoDB itself) answers with.
bool IsCoralError(std::string_view type) {
  static constexpr std::array<std::string_view, 11> kCoral = {"UnknownOperationException",
                                                              "SerializationException",
                                                              "MissingAuthenticationTokenException",
                                                              "IncompleteSignatureException",
                                                              "InvalidSignatureException",
                                                              "UnrecognizedClientException",
                                                              "AccessDeniedException",
                                                              "ThrottlingException",
                                                              "RequestEntityTooLarge",
                                                              "ServiceUnavailable",
                                                              "InvalidClientTokenIdException"};
  for (std::string_view coral : kCoral) {
    if (coral == type) return true;
  }
  return false;
}

// The namespace DynamoDB puts before an error type in __type: AWS's request validation layer,
// its service framework, or DynamoDB itself.
std::string_view ErrorNamespace(std::string_view type) {
  if (type == "ValidationException") return "com.amazon.coral.validate";
  if (IsCoralError(type)) return "com.amazon.coral.service";
  return "com.amazonaws.dynamodb.v20120810";
}

// DynamoDB spells the message member "Message" for these types and "message" for the rest
// (seen in its answers: SerializationException, TransactionCanceledException beside its
// CancellationReasons, and IAM's AccessDeniedException).
bool UsesCapitalMessage(std::string_view type) {
  return type == "SerializationException" || type == "TransactionCanceledException" ||
         type == "AccessDeniedException";
}

// The x-amz-crc32 value of a body: its CRC-32 in decimal.
std::string Crc32Text(std::string_view body) { return std::to_string(encoding::Crc32(body)); }

// The request id header: the id of the request being answered (Handle opens its log scope), or
// a new one for answers given outside it (the server's own: a body too large, overloaded).
void AddRequestId(http::Response& response) {
  std::string_view id = log::CurrentRequestId();
  if (id.empty()) {
    response.headers.Add("x-amzn-RequestId", NewRequestId());
  } else {
    response.headers.Add("x-amzn-RequestId", id);
  }
}

// The media type of a Content-Type value, without parameters or surrounding blanks.
std::string_view MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  while (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
  return content_type;
}

// Deeper JSON is refused before anything walks it recursively: a small body of nested
// brackets would otherwise exhaust a worker's stack and kill the server. DynamoDB allows 32
// levels of attribute nesting (about 70 JSON levels), so no valid request comes near this.
constexpr int kMaxJsonDepth = 1000;

// The last Accept-Encoding field: DynamoDB ignores the earlier ones.
ContentCoding ResponseCoding(const http::Request& request) {
  std::string_view accept;
  bool seen = false;
  for (const http::Headers::Field& field : request.headers) {
    if (http::EqualsIgnoreCase(field.name, "Accept-Encoding")) {
      accept = field.value;
      seen = true;
    }
  }
  return seen ? ChooseResponseCoding(accept) : ContentCoding::kIdentity;
}

void AddCommonHeaders(http::Response& response, std::string_view content_type,
                      ContentCoding coding = ContentCoding::kIdentity) {
  response.headers.Reserve(response.headers.size() + 4);  // one allocation, not three
  response.headers.Add("Content-Type", content_type);
  if (coding != ContentCoding::kIdentity && response.body.size() >= kCompressFrom) {
    try {
      response.body = Compress(response.body, coding);
      response.headers.Add("Content-Encoding", CodingName(coding));
    } catch (...) {
      // Out of memory for the compressed copy: the body goes as it is (compression is optional,
      // and this also runs while answering an error, where nothing may throw).
      log::Warn("dynamodb", "response sent uncompressed", {{"reason", CurrentExceptionWhat()}});
    }
  }
  AddRequestId(response);
  // Over the bytes sent, compressed or not, as DynamoDB computes it (SDKs check it on the raw
  // body: botocore's crc32 check reads the undecoded content).
  response.headers.Add("x-amz-crc32", Crc32Text(response.body));
}

// The IAM principal of a request whose signature verified with one of `principals`' keys.
std::optional<ddb::Caller> CallerOf(const http::Request& request,
                                    const std::map<std::string, std::string>& principals) {
  if (principals.empty()) return std::nullopt;
  aws::ParsedAuthorization parsed = aws::ParseAuthorization(request.headers.Get("Authorization"));
  if (!parsed.authorization) return std::nullopt;
  auto it = principals.find(parsed.authorization->access_key_id);
  if (it == principals.end()) return std::nullopt;
  // arn:aws:iam::<account>:...: the account is the fifth part.
  std::string_view arn = it->second;
  std::string account;
  for (int i = 0; i < 4 && arn.find(':') != std::string_view::npos; ++i) {
    arn.remove_prefix(arn.find(':') + 1);
  }
  account = std::string(arn.substr(0, arn.find(':')));
  return ddb::Caller{it->second, account, request.remote_address};
}

// DescribeEndpoints names the address the client reached this server by: DynamoDB names its
// regional host, and an SDK with endpoint discovery on would otherwise send its data to AWS.
std::string DescribeEndpointsBody(std::string_view host) {
  std::string body = R"({"Endpoints":[{"Address":)";
  encoding::AppendJsonString(body, host);
  body.append(R"(,"CachePeriodInMinutes":1440}]})");
  return body;
}

}  // namespace

std::string ErrorBody(const ddb::ApiError& error) {
  std::string body = R"({"__type":")";
  body.append(ErrorNamespace(error.type())).push_back('#');
  body.append(error.type()).push_back('"');
  const std::string& message = error.message();
  if (!message.empty()) {
    body.append(UsesCapitalMessage(error.type()) ? R"(,"Message":)" : R"(,"message":)");
    encoding::AppendJsonString(body, message);
  }
  if (!error.extra_json().empty()) body.append(",").append(error.extra_json());
  body.push_back('}');
  return body;
}

std::string NewRequestId() {
  std::string id(kRequestIdLength, '0');
  FillRequestId(id.data());
  return id;
}

// Eight id characters, one per byte of `bits`, from that byte's low 6 bits b: 0-25 'A'-'Z',
// 26-35 '0'-'9', and 36-63 the first 28 of those again (the spread of b modulo 36), computed in
// all eight bytes at once. No byte carries into the next: every sum stays below 256.
std::uint64_t IdCharacters(std::uint64_t bits) {
  constexpr std::uint64_t kOnes = ~std::uint64_t{0} / 255;
  auto at_least = [](std::uint64_t x, unsigned n) {  // 1 in each byte where x's byte >= n
    return ((x + kOnes * (128 - n)) >> 7) & kOnes;
  };
  std::uint64_t x = bits & (kOnes * 0x3F);
  x -= at_least(x, 36) * 36;                                    // now 0-35
  return x + kOnes * 'A' - at_least(x, 26) * ('A' - '0' + 26);  // 26 -> '0'
}

void FillRequestId(char* id) {
  FastRandom& random = ThreadRandom();
  std::size_t i = 0;
  for (; i + 8 <= kRequestIdLength; i += 8) {
    const std::uint64_t chars = IdCharacters(random());
    std::memcpy(id + i, &chars, 8);
  }
  if (i < kRequestIdLength) {
    const std::uint64_t chars = IdCharacters(random());
    std::memcpy(id + i, &chars, kRequestIdLength - i);
  }
}

DynamoDbHandler::DynamoDbHandler(ddb::Engine& engine, WireOptions options)
    : engine_(engine),
      options_(std::move(options)),
      verifier_(options_.credentials, "dynamodb"),
      metrics_(engine) {
  if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
  if (options_.faults != nullptr) metrics_.AddInjectedFaults(*options_.faults);
}

http::Response DynamoDbHandler::Error(const ddb::ApiError& error, std::string_view content_type,
                                      ContentCoding coding) const {
  http::Response response;
  response.status = error.http_status();
  response.body = ErrorBody(error);
  AddCommonHeaders(response, content_type, coding);
  return response;
}

http::Response DynamoDbHandler::Handle(const http::Request& request) const {
  Exchange exchange;
  char request_id[kRequestIdLength];
  FillRequestId(request_id);
  log::RequestScope log_scope(std::string_view(request_id, kRequestIdLength));
  http::Response response = Answer(request, exchange);
  Finish(request, response, exchange);
  return response;
}

http::Response DynamoDbHandler::Answer(const http::Request& request, Exchange& exchange) const {
  std::string_view origin = request.headers.Get("Origin");
  std::string_view content_type = kJson10;
  ContentCoding coding = ContentCoding::kIdentity;
  http::Response response;
  try {
    if (request.method == "OPTIONS" && !origin.empty()) {  // CORS preflight from a browser
      // DynamoDB's answer: 200, no body, the requested headers and method echoed.
      AddRequestId(response);
      response.headers.Add("Access-Control-Allow-Origin", "*");
      if (auto headers = request.headers.Get("Access-Control-Request-Headers"); !headers.empty()) {
        response.headers.Add("Access-Control-Allow-Headers", headers);
      }
      if (auto method = request.headers.Get("Access-Control-Request-Method"); !method.empty()) {
        response.headers.Add("Access-Control-Allow-Methods", method);
      }
      response.headers.Add("Access-Control-Expose-Headers", kExposeHeaders);
      response.headers.Add("Access-Control-Max-Age", "172800");
      return response;
    }
    if (options_.console) {
      if (std::optional<http::Response> page = ConsoleResponse(request)) return std::move(*page);
    }
    std::string_view path = encoding::SplitTarget(request.target).path;
    if (request.method == "GET" && path == "/") {
      // DynamoDB's health answer, trailing blank included; only at the root (other paths fall
      // through to the 404 below, as DynamoDB answers them with a 4xx).
      response.body = "healthy: dynamodb." + options_.region + ".amazonaws.com ";
      response.needs_before_answers = false;  // up while a full disk stops writes
      AddRequestId(response);
      response.headers.Add("x-amz-crc32", Crc32Text(response.body));
    } else if (request.method == "GET" && path == "/metrics") {
      response.body = metrics_.Render();
      response.needs_before_answers = false;  // cruddur_rocksdb_writes_stopped, when it is 1
      response.headers.Add("Content-Type", metrics::kContentType);
      AddRequestId(response);
    } else {
      exchange.counted = true;
      coding = ResponseCoding(request);
      response = HandlePost(request, content_type, coding, exchange);
    }
  } catch (const ddb::ApiError& error) {
    exchange.error_type = error.type();
    if (error.http_status() >= 500) {
      log::Error("dynamodb", error.type(),
                 {{"target", request.headers.Get("X-Amz-Target")}, {"reason", error.message()}});
    }
    response = Error(error, content_type, coding);
  } catch (...) {
    exchange.error_type = "InternalServerError";
    log::Error(
        "dynamodb", "InternalServerError",
        {{"target", request.headers.Get("X-Amz-Target")}, {"reason", CurrentExceptionWhat()}});
    response = Error(ddb::ApiError::InternalServer(), content_type, coding);
  }
  if (!origin.empty()) {
    response.headers.Add("Access-Control-Allow-Origin", "*");
    response.headers.Add("Access-Control-Expose-Headers", kExposeHeaders);
  }
  return response;
}

void DynamoDbHandler::Finish(const http::Request& request, const http::Response& response,
                             const Exchange& exchange) const {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - exchange.start).count();
  if (exchange.counted) {
    metrics_.Record({.operation = exchange.operation,
                     .error_type = exchange.error_type,
                     .status = response.status,
                     .seconds = seconds,
                     .stats = &exchange.stats});
  }
  if (!log::AccessLogEnabled()) return;
  // The path only: neither the query nor the body nor the Authorization header.
  log::Access({{"method", request.method},
               {"path", encoding::SplitTarget(request.target).path},
               {"status", response.status},
               {"operation", exchange.operation},
               {"table", exchange.stats.table},
               {"error", exchange.error_type},
               {"seconds", seconds},
               {"bytes", static_cast<std::uint64_t>(response.body.size())}});
}

http::Response DynamoDbHandler::HandlePost(const http::Request& request,
                                           std::string_view& content_type, ContentCoding coding,
                                           Exchange& exchange) const {
  http::Response response;
  std::string_view media_type = MediaType(request.headers.Get("Content-Type"));
  bool json_10 = http::EqualsIgnoreCase(media_type, kJson10);
  bool plain_json = http::EqualsIgnoreCase(media_type, kPlainJson);
  if (request.method != "POST" || (!request.body.empty() && !json_10 && !plain_json)) {
    // What DynamoDB answers to anything that is not a JSON POST.
    response.status = 404;
    response.body = "<UnknownOperationException/>\n";
    AddRequestId(response);
    response.headers.Add("x-amz-crc32", Crc32Text(response.body));
    return response;
  }
  if (plain_json) content_type = kPlainJson;

  // A compressed body is decoded first; the signature stays over the bytes as sent (SDKs
  // compress, then sign). DynamoDB answers an unknown coding or corrupt data with a 500
  // (Alternator's compressed-request tests, run against DynamoDB); the message says what broke.
  std::string decoded;
  std::string_view body = request.body;
  if (std::string_view encoding = request.headers.Get("Content-Encoding"); !encoding.empty()) {
    if (auto failure = DecodeBody(encoding, request.body, kMaxBodyBytes, &decoded)) {
      if (failure->too_large)
        throw ddb::ApiError::RequestEntityTooLarge("Request entity too large");
      throw ddb::ApiError::InternalServer(failure->reason);
    }
    body = decoded;
  }

  // The order of these checks is DynamoDB's: JSON syntax, target, authentication, body. The
  // engine runs on this parse rather than parsing the body again.
  ddb::Request parsed(body, kMaxJsonDepth);
  if (!parsed.ok()) throw ddb::ApiError::Serialization("");
  std::string_view target = request.headers.Get("X-Amz-Target");
  std::size_t dot = target.find('.');
  std::string_view prefix = target.substr(0, dot);
  std::string_view op = dot == std::string_view::npos ? "" : target.substr(dot + 1);
  const bool fault_control = options_.faults && prefix == FaultInjector::kTargetPrefix;
  if (op.empty() || op.find('.') != std::string_view::npos ||
      (prefix != kDynamoDbPrefix && prefix != kStreamsPrefix && prefix != kCruddurPrefix &&
       !fault_control)) {
    throw ddb::ApiError::UnknownOperation();
  }
  std::string operation = prefix == kStreamsPrefix   ? "Streams." + std::string(op)
                          : prefix == kCruddurPrefix ? "Cruddur." + std::string(op)
                                                     : std::string(op);
  if (engine_.KnowsOperation(operation)) exchange.operation = op;
  if (auto auth_error = verifier_.Verify(request, options_.clock())) {
    throw ddb::ApiError(400, auth_error->type, auth_error->message);
  }
  if (body.empty()) throw ddb::ApiError::Serialization("");
  std::optional<ddb::Caller> caller = CallerOf(request, options_.principals);
  std::optional<ddb::CallerScope> caller_scope;
  if (caller) caller_scope.emplace(*caller);
  std::string_view host = request.headers.Get("Host");
  if (fault_control) {
    response.body = options_.faults->Control(operation, body);
  } else if (operation == "DescribeEndpoints" && !host.empty()) {
    response.body = DescribeEndpointsBody(host);
  } else {
    ddb::RequestStatsScope stats_scope(exchange.stats);
    if (options_.faults) {
      auto execute = [this](std::string_view o, std::string_view b) {
        return engine_.Execute(o, b);
      };
      response.body = options_.faults->Run(operation, body, execute, &response.reset_connection);
    } else {
      response.body = engine_.ExecuteParsed(operation, parsed);
    }
  }
  AddCommonHeaders(response, content_type, coding);
  return response;
}

http::Response DynamoDbHandler::TooLarge(const http::Request&) const {
  return Error(ddb::ApiError::RequestEntityTooLarge("Request entity too large"), kJson10);
}

void DynamoDbHandler::Configure(http::ServerOptions& options) const {
  // Every DynamoDB answer starts "Server: Server", "Date: ...", and says "Connection:
  // keep-alive" (boto3's ResponseMetadata of real responses).
  options.server_header = "Server";
  options.date_header = true;
  options.announce_keep_alive = true;
  options.header_limit = kMaxHeaderBytes;
  // DynamoDB refuses a request line or headers over 16 KB with a bare 400 Bad Request
  // (ScyllaDB issue 23438, tests run against DynamoDB).
  options.on_header_too_large = [](const http::Request&) {
    http::Response response;
    response.status = 400;
    return response;
  };
  options.body_limit = kMaxBodyBytes;
  options.on_too_large = [this](const http::Request& request) { return TooLarge(request); };
  // At the connection limit or the in-flight body budget (called without a request).
  options.on_overloaded = [this](const http::Request&) {
    http::Response response = Error(ddb::ApiError::ServiceUnavailable(), kJson10);
    response.headers.Add("Retry-After", "1");
    return response;
  };
}

http::Handler DynamoDbHandler::AsHandler() const {
  return [this](const http::Request& request) { return Handle(request); };
}

}  // namespace cruddur::wire
