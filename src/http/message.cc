#include "http/message.h"

namespace cruddur::http {

namespace {
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

const std::string* Headers::Find(std::string_view name) const {
  for (std::size_t i = 0; i < size_; ++i) {
    if (EqualsIgnoreCase(fields_[i].name, name)) return &fields_[i].value;
  }
  return nullptr;
}

void Headers::Add(std::string_view name, std::string_view value) {
  if (size_ < fields_.size()) {
    fields_[size_].name.assign(name);
    fields_[size_].value.assign(value);
  } else {
    fields_.push_back(Field{std::string(name), std::string(value)});
  }
  ++size_;
}

void Headers::Set(std::string_view name, std::string_view value) {
  for (std::size_t i = 0; i < size_; ++i) {
    if (EqualsIgnoreCase(fields_[i].name, name)) {
      fields_[i].value.assign(value);
      return;
    }
  }
  Add(name, value);
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

}  // namespace cruddur::http
