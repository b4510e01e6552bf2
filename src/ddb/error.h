// The one error type of the DynamoDB engine. Each factory is named after a DynamoDB error type and
// carries the HTTP status DynamoDB answers with; the wire layer turns it into
// {"__type": "<namespace>#<type>", "message": ...} (namespace and member spelling per type).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace cruddur::ddb {

class ApiError : public std::runtime_error {
 public:
  ApiError(int http_status, std::string type, const std::string& message)
      : std::runtime_error(message),
        http_status_(http_status),
        type_(std::move(type)),
        message_(message) {}

  int http_status() const { return http_status_; }
  // DynamoDB's error type without the namespace, e.g. "ValidationException".
  const std::string& type() const { return type_; }
  // The whole message: what() stops at a NUL byte, which a message quoting a value may hold.
  const std::string& message() const { return message_; }

  // Extra JSON members to put beside __type/message (already serialised, without braces), e.g.
  // the "Item" of a ConditionalCheckFailedException or the "CancellationReasons" of a
  // TransactionCanceledException. Empty when there are none.
  const std::string& extra_json() const { return extra_json_; }
  ApiError& with_extra_json(std::string json) {
    extra_json_ = std::move(json);
    return *this;
  }

  static ApiError Validation(const std::string& m) { return {400, "ValidationException", m}; }
  static ApiError Serialization(const std::string& m) { return {400, "SerializationException", m}; }
  static ApiError ResourceNotFound(const std::string& m = "Requested resource not found") {
    return {400, "ResourceNotFoundException", m};
  }
  static ApiError ResourceInUse(const std::string& m) { return {400, "ResourceInUseException", m}; }
  static ApiError ConditionalCheckFailed(const std::string& m = "The conditional request failed") {
    return {400, "ConditionalCheckFailedException", m};
  }
  static ApiError TransactionCanceled(const std::string& m) {
    return {400, "TransactionCanceledException", m};
  }
  static ApiError TransactionConflict(const std::string& m) {
    return {400, "TransactionConflictException", m};
  }
  static ApiError IdempotentParameterMismatch(const std::string& m) {
    return {400, "IdempotentParameterMismatchException", m};
  }
  static ApiError ProvisionedThroughputExceeded(const std::string& m) {
    return {400, "ProvisionedThroughputExceededException", m};
  }
  static ApiError Throttling(const std::string& m) { return {400, "ThrottlingException", m}; }
  static ApiError LimitExceeded(const std::string& m) { return {400, "LimitExceededException", m}; }
  static ApiError ItemCollectionSizeLimitExceeded(const std::string& m) {
    return {400, "ItemCollectionSizeLimitExceededException", m};
  }
  static ApiError UnknownOperation(const std::string& m = "") {
    return {400, "UnknownOperationException", m};
  }
  static ApiError MissingAuthenticationToken(const std::string& m) {
    return {400, "MissingAuthenticationTokenException", m};
  }
  static ApiError UnrecognizedClient(const std::string& m) {
    return {400, "UnrecognizedClientException", m};
  }
  static ApiError InvalidSignature(const std::string& m) {
    return {400, "InvalidSignatureException", m};
  }
  static ApiError AccessDenied(const std::string& m) { return {400, "AccessDeniedException", m}; }
  static ApiError RequestEntityTooLarge(const std::string& m) {
    return {413, "RequestEntityTooLarge", m};
  }
  // AWS's common 503 (the SDKs retry it); cruddur answers it when the server is at its
  // connection or in-flight body limit.
  static ApiError ServiceUnavailable(
      const std::string& m = "The request has failed due to a temporary failure of the server.") {
    return {503, "ServiceUnavailable", m};
  }
  static ApiError InternalServer(const std::string& m = "Internal server error") {
    return {500, "InternalServerError", m};
  }

 private:
  int http_status_;
  std::string type_;
  std::string message_;
  std::string extra_json_;
};

}  // namespace cruddur::ddb
