#pragma once
// How TOML errors name a place and a type, shared by the config files and rtk's scenario files.

#include <toml++/toml.h>

#include <string>
#include <string_view>

namespace redis_toolkit::detail {

/// "file.toml:3:7" for the start of `region`.
inline std::string toml_location(const toml::source_region& region, std::string_view source_name) {
  return std::string(source_name) + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column);
}

/// "an integer", "a table", ...: what a message says a node is.
inline std::string_view toml_type_phrase(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

} // namespace redis_toolkit::detail
