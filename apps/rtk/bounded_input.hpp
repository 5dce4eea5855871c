#pragma once
// Reading what `rtk mset` stores, a JSON object {"key": value, ...} on standard input, in bounded
// chunks: the input is refused as soon as what was read is sure to exceed the limits the library
// would apply to it (max_key_length, max_value_size, a batch of 10 x max_value_size), so refusing
// a 600 MB value costs about max_value_size of memory, not 600 MB and its copies.

#include "redis_toolkit/config.hpp"

#include <iosfwd>
#include <string>

namespace rtk {

/// Bytes read from the stream at a time.
inline constexpr std::size_t input_chunk_size = 64 * 1024;

/// The whole text of `in`, when it can be the JSON object of an mset within `options`' limits.
/// Throws ValidationError, as the library does for the same limits, naming the key and the limit,
/// as soon as the text read so far is sure to break one: a key longer than max_key_length, a value
/// larger than max_value_size encoded, a batch larger than 10 x max_value_size. The sizes counted
/// are lower bounds of the encoded sizes (every string's characters, an escape sequence as one,
/// every number and word as one, what a marker such as {"$tuple": ...} adds as nothing), so no
/// input the library would accept is refused, short of a run of more than 1 KiB of whitespace or
/// of one number, which counts byte for byte (so that no run is read unbounded), and of values
/// under a repeated key, each counted. Text that does not start as an object is refused at once;
/// text nested deeper than parse_cli_json reads, or going on after the object, with the message
/// parse_cli_json gives for it. With enable_validation off the text is read whole, as the library
/// then checks nothing either.
std::string read_mset_input(std::istream& in, const redis_toolkit::RedisOptions& options);

} // namespace rtk
