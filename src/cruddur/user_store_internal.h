// Shared by the UserStore implementations; not part of the domain's interface.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cruddur/users.h"

namespace cruddur::internal {

std::unique_ptr<UserStore> OpenSqliteUserStore(const std::string& path);
std::unique_ptr<UserStore> OpenPostgresUserStore(const std::string& url);

// A database error's first line (servers add "DETAIL:"/"HINT:" lines; reasons are one line).
std::string FirstLine(std::string_view text);

}  // namespace cruddur::internal
