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
  ApiError(int http_status, std::string type, std::string message)
      : std::runtime_error(message), http_status_(http_status), type_(std::move(type)) {}

  int http_status() const { return http_status_; }
  // DynamoDB's error type without the namespace, e.g. "ValidationException".
  const std::string& type() const { return type_; }
  std::string message() const { return what(); }

  // Extra JSON members to put beside __type/message (already serialised, without braces), e.g.
  // the "Item" of a ConditionalCheckFailedException or the "CancellationReasons" of a
  // TransactionCanceledException. Empty when there are none.
  const std::string& extra_json() const { return extra_json_; }
  ApiError& with_extra_json(std::string json) {
    extra_json_ = std::move(json);
    return *this;
  }

  static ApiError Validation(std::string m) { return {400, "ValidationException", std::move(m)}; }
  static ApiError Serialization(std::string m) {
    return {400, "SerializationException", std::move(m)};
  }
  static ApiError ResourceNotFound(std::string m = "Requested resource not found") {
    return {400, "ResourceNotFoundException", std::move(m)};
  }
  static ApiError ResourceInUse(std::string m) {
    return {400, "ResourceInUseException", std::move(m)};
  }
  static ApiError ConditionalCheckFailed(std::string m = "The conditional request failed") {
    return {400, "ConditionalCheckFailedException", std::move(m)};
  }
  static ApiError TransactionCanceled(std::string m) {
    return {400, "TransactionCanceledException", std::move(m)};
  }
  static ApiError TransactionConflict(std::string m) {
    return {400, "TransactionConflictException", std::move(m)};
  }
  static ApiError IdempotentParameterMismatch(std::string m) {
    return {400, "IdempotentParameterMismatchException", std::move(m)};
  }
  static ApiError LimitExceeded(std::string m) {
    return {400, "LimitExceededException", std::move(m)};
  }
  static ApiError ItemCollectionSizeLimitExceeded(std::string m) {
    return {400, "ItemCollectionSizeLimitExceededException", std::move(m)};
  }
  static ApiError UnknownOperation(std::string m = "") {
    return {400, "UnknownOperationException", std::move(m)};
  }
  static ApiError MissingAuthenticationToken(std::string m) {
    return {400, "MissingAuthenticationTokenException", std::move(m)};
  }
  static ApiError UnrecognizedClient(std::string m) {
    return {400, "UnrecognizedClientException", std::move(m)};
  }
  static ApiError InvalidSignature(std::string m) {
    return {400, "InvalidSignatureException", std::move(m)};
  }
  static ApiError AccessDenied(std::string m) {
    return {400, "AccessDeniedException", std::move(m)};
  }
  static ApiError RequestEntityTooLarge(std::string m) {
    return {413, "RequestEntityTooLarge", std::move(m)};
  }
  // AWS's common 503 (the SDKs retry it); cruddur answers it when the server is at its
  // connection or in-flight body limit.
  static ApiError ServiceUnavailable(
      std::string m = "The request has failed due to a temporary failure of the server.") {
    return {503, "ServiceUnavailable", std::move(m)};
  }
  static ApiError InternalServer(std::string m = "Internal server error") {
    return {500, "InternalServerError", std::move(m)};
  }

 private:
  int http_status_;
  std::string type_;
  std::string extra_json_;
};

}  // namespace cruddur::ddb
