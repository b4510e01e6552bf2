// Random (version 4) UUIDs in their canonical text form.
#pragma once

#include <string>
#include <string_view>

namespace cruddur {

// A new random UUID, lower case, e.g. "5ae290ed-55d1-47a0-bc6d-fe2bc2700399".
std::string NewUuidV4();

// True if `text` is a UUID in canonical 8-4-4-4-12 hex form (either case).
bool IsUuid(std::string_view text);

}  // namespace cruddur
