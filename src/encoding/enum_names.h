#pragma once

// One table of an enum's values beside their names on the wire, so that the enum-to-name and
// name-to-enum directions cannot drift apart.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace cruddur::encoding {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

// The name of `value` in `names`; `fallback` ("" unless given) if the table lacks it.
template <typename E, std::size_t N>
constexpr std::string_view NameOf(const std::array<EnumName<E>, N>& names, E value,
                                  std::string_view fallback = {}) {
  for (const auto& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return fallback;
}

// The value that `name` names in `names`, or nullopt.
template <typename E, std::size_t N>
constexpr std::optional<E> ValueNamed(const std::array<EnumName<E>, N>& names,
                                      std::string_view name) {
  for (const auto& entry : names) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

}  // namespace cruddur::encoding
