// MD5 (RFC 1321), for DynamoDB's partition-key hash (key_codec.h's PartitionKeyHash), where the
// keys are short and OpenSSL's per-call EVP setup would cost more than the hashing.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace cruddur::ddb {

class Md5 {
 public:
  Md5();
  void Update(std::string_view data);
  std::array<uint8_t, 16> Final();

 private:
  void Block(const uint8_t* p);

  uint32_t state_[4];
  uint64_t length_ = 0;  // bytes hashed so far
  uint8_t buffer_[64];
};

}  // namespace cruddur::ddb
