// GCC 12 under -fsanitize=address warns that std::regex's own std::function members may be used
// uninitialized (a false positive inside libstdc++, seen only in the sanitizer build): this file's
// whole translation unit opts out of that one warning.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The docs show code that works: every ```cpp block of README.md and docs/*.md compiles (checked
// with the project's compiler, -fsyntax-only, against the public headers), and every `rtk` command
// line they show parses with rtk's own parser.
//
// A block is compiled as a file of its own after a prelude (the standard headers a snippet may
// lean on, every public header, `using namespace redis_toolkit;`, and declarations of the user's
// own functions the guides call: read_secret(), handle(), report() ...). A block that declares
// things at namespace scope (a line starting with struct, class, namespace, template, int main,
// RTK_TYPE_NAME, or a function definition) is compiled as it is; any other block is a run of
// statements, compiled inside a function whose parameters are the guides' running examples:
// `config`/`connection` (RedisConnectionConfig), `toolkit` (an AsyncRedisToolkit in
// ASYNC_GUIDE.md, else a RedisToolkit), `async_toolkit`, an actor's `self`, a `handler`, and
// `entries`, `key`, `value`. A block may declare its own instead (it shadows them). Its #include
// lines are moved to the top either way.
#include "../../apps/rtk/cli.hpp"

#include "redis_toolkit/errors.hpp"
#include "redis_toolkit/server_launcher.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Block {
  std::string file;     ///< relative to the source tree
  int line = 0;         ///< of the opening fence
  std::string language; ///< what follows the fence: cpp, sh, toml, ...
  std::string text;
};

std::vector<fs::path> documents() {
  const fs::path root = RTK_SOURCE_DIR;
  std::vector<fs::path> files{root / "README.md"};
  for (const auto& entry : fs::directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Block> fenced_blocks() {
  std::vector<Block> blocks;
  for (const fs::path& path : documents()) {
    std::ifstream in(path);
    std::string line;
    int number = 0;
    Block* open = nullptr;
    while (std::getline(in, line)) {
      ++number;
      if (line.rfind("```", 0) == 0) {
        if (open) {
          open = nullptr;
        } else {
          blocks.push_back({fs::relative(path, RTK_SOURCE_DIR).string(), number, line.substr(3), ""});
          open = &blocks.back();
        }
        continue;
      }
      if (open) open->text += line + "\n";
    }
  }
  return blocks;
}

const char* const prelude = R"(#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <redis_toolkit/actor_protocol.hpp>
#include <redis_toolkit/actor_system.hpp>
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/batch.hpp>
#include <redis_toolkit/cluster_operations.hpp>
#include <redis_toolkit/config.hpp>
#include <redis_toolkit/errors.hpp>
#include <redis_toolkit/key_slot.hpp>
#include <redis_toolkit/logging.hpp>
#include <redis_toolkit/pubsub.hpp>
#include <redis_toolkit/statistics.hpp>
#include <redis_toolkit/toolkit.hpp>
#include <redis_toolkit/toolkit_actor.hpp>
#include <redis_toolkit/typed_codec.hpp>
#include <redis_toolkit/value.hpp>
#include <redis_toolkit/wire_format.hpp>
using namespace redis_toolkit;
using namespace std::chrono_literals;
// The user's own code that the guides' examples call.
std::string read_secret();
void log_error(std::exception_ptr error);
void report(std::exception_ptr error);
void handle(const std::string& channel, const Value& message);
Value value_of(const std::string& key);
Value now();
void render(const std::optional<Value>& user, const std::optional<Value>& cart);
using order_atom = caf::atom_constant<caf::atom("order")>;
)";

bool declares_at_namespace_scope(const std::string& text) {
  static const std::regex declaration(
      R"((^|\n)(struct |class |namespace |template|int main|RTK_TYPE_NAME|[A-Za-z_][\w:<>,\s]*\s[\w:]+\([^;]*\)\s*(const\s*)?\{))");
  return std::regex_search(text, declaration);
}

/// The translation unit checked for `block`.
std::string translation_unit(const Block& block) {
  std::string includes, body;
  std::istringstream lines(block.text);
  for (std::string line; std::getline(lines, line);)
    (line.rfind("#include", 0) == 0 ? includes : body) += line + "\n";
  // The prelude first: it is precompiled once for all blocks (most of the time is CAF's headers).
  std::string unit = "#include \"prelude.hpp\"\n" + includes + "#line 1 \"" + block.file + ":" +
                     std::to_string(block.line) + "\"\n";
  if (declares_at_namespace_scope(body)) return unit + body;
  const bool async_guide = block.file.find("ASYNC_GUIDE") != std::string::npos;
  return unit + "[[maybe_unused]] static void doc_snippet(caf::event_based_actor* self, "
                "RedisConnectionConfig config, RedisConnectionConfig connection, " +
         std::string(async_guide ? "AsyncRedisToolkit" : "RedisToolkit") +
         "& toolkit, AsyncRedisToolkit& async_toolkit, MessageHandler handler, KeyValues entries, "
         "std::string key, Value value) {\n{\n" + body + "}\n}\n";
}

/// The commands of one shell line, each as its words: quotes removed, a trailing comment dropped,
/// split at unquoted |, & and ; (`echo '{}' | rtk mset`, `rtk subscribe news & rtk publish ...`).
std::vector<std::vector<std::string>> shell_commands(const std::string& line) {
  std::vector<std::vector<std::string>> commands(1);
  std::string word;
  bool in_word = false;
  char quote = 0;
  auto end_word = [&] {
    if (in_word) commands.back().push_back(word);
    word.clear();
    in_word = false;
  };
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '#' && !in_word) {
      break;
    } else if (c == ' ' || c == '\t') {
      end_word();
    } else if (c == '|' || c == '&' || c == ';') {
      end_word();
      if (!commands.back().empty()) commands.emplace_back();
    } else {
      word += c;
      in_word = true;
    }
  }
  end_word();
  return commands;
}

bool is_rtk(const std::string& program) {
  return program == "rtk" || (program.size() > 4 && program.compare(program.size() - 4, 4, "/rtk") == 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(doc_snippet_tests)

BOOST_AUTO_TEST_CASE(every_cpp_block_in_the_docs_compiles) {
  std::vector<Block> blocks;
  for (auto& block : fenced_blocks())
    if (block.language == "cpp" || block.language == "c++") blocks.push_back(block);
  BOOST_TEST_REQUIRE(blocks.size() > 20u); // the docs have many; none may go unchecked
  const fs::path directory = fs::temp_directory_path() / ("rtk-doc-snippets-" + std::to_string(::getpid()));
  fs::create_directories(directory);
  const std::vector<std::string> flags = {RTK_CXX_COMPILER, "-std=c++17", "-Wall", "-Wextra",
                                          "-Wno-unused", "-I" RTK_SOURCE_DIR "/include",
                                          "-I" RTK_SOURCE_DIR "/testing/include"};
  std::ofstream(directory / "prelude.hpp") << "#pragma once\n" << prelude;
  std::vector<std::string> precompile = flags;
  precompile.insert(precompile.end(), {"-x", "c++-header", (directory / "prelude.hpp").string(),
                                       "-o", (directory / "prelude.hpp.gch").string()});
  const auto header = redis_toolkit::run_program(precompile, std::chrono::minutes(5));
  BOOST_TEST_REQUIRE(header.exit_status == 0, "the prelude does not compile:\n" << header.standard_error);
  auto compile = [&](std::size_t index) {
    const fs::path source = directory / ("snippet" + std::to_string(index) + ".cpp");
    std::ofstream(source) << translation_unit(blocks[index]);
    std::vector<std::string> command = flags;
    command.insert(command.end(), {"-fsyntax-only", source.string()});
    return redis_toolkit::run_program(command, std::chrono::minutes(5));
  };
  // Two at a time: the machine's cores, and each compile is mostly CAF's headers.
  for (std::size_t index = 0; index < blocks.size(); index += 2) {
    auto second = index + 1 < blocks.size() ? std::async(std::launch::async, compile, index + 1)
                                            : std::future<redis_toolkit::ProgramOutput>();
    std::vector<std::pair<std::size_t, redis_toolkit::ProgramOutput>> results;
    results.emplace_back(index, compile(index));
    if (second.valid()) results.emplace_back(index + 1, second.get());
    for (auto& [which, output] : results) {
      const Block& block = blocks[which];
      BOOST_TEST(output.exit_status == 0, block.file << ":" << block.line << " does not compile:\n"
                                                     << output.standard_error);
    }
  }
  fs::remove_all(directory);
}

BOOST_AUTO_TEST_CASE(every_rtk_command_line_in_the_docs_parses) {
  // --config and --scenario files are named relative to the source tree.
  const fs::path previous = fs::current_path();
  fs::current_path(RTK_SOURCE_DIR);
  int checked = 0;
  for (const Block& block : fenced_blocks()) {
    if (block.language != "sh" && block.language != "bash" && block.language != "console" &&
        block.language != "shell")
      continue;
    std::istringstream lines(block.text);
    int offset = 0;
    for (std::string line; std::getline(lines, line);) {
      ++offset;
      if (line.rfind("$ ", 0) == 0) line = line.substr(2);
      for (std::vector<std::string> words : shell_commands(line)) {
        if (words.empty() || !is_rtk(words.front())) continue;
        words.erase(words.begin());
        ++checked;
        BOOST_TEST_CONTEXT(block.file << ":" << block.line + offset << ": " << line) {
          try {
            rtk::parse_command_line(words);
          } catch (const std::exception& error) {
            BOOST_ERROR(error.what());
          }
        }
      }
    }
  }
  fs::current_path(previous);
  BOOST_TEST(checked > 10);
}

BOOST_AUTO_TEST_SUITE_END()
