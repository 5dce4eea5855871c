// docker-cluster/docker-compose.yml describes six redis:7 cluster nodes and a creator that joins
// them with --cluster-replicas 1. Docker does not run on the machines this is built on, so this
// checks the file itself. No YAML library is among the dependencies: the file is written in a
// small subset of YAML (block maps, block lists of scalars, plain and quoted scalars, comments) and
// read here by a parser of exactly that subset, which refuses anything else rather than guess.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

// ---- the YAML subset ----

struct Yaml {
  enum class Kind { scalar, map, list } kind = Kind::scalar;
  std::string text;                                   ///< scalar
  std::vector<std::pair<std::string, Yaml>> entries;  ///< map, in file order
  std::vector<Yaml> items;                            ///< list

  bool has(const std::string& key) const {
    return std::any_of(entries.begin(), entries.end(),
                       [&](const auto& entry) { return entry.first == key; });
  }
  const Yaml& at(const std::string& key) const {
    if (kind != Kind::map) throw std::runtime_error("not a map, looking for '" + key + "'");
    for (const auto& entry : entries)
      if (entry.first == key) return entry.second;
    throw std::runtime_error("no key '" + key + "'");
  }
  std::vector<std::string> strings() const {
    if (kind != Kind::list) throw std::runtime_error("not a list");
    std::vector<std::string> result;
    for (const Yaml& item : items) {
      if (item.kind != Kind::scalar) throw std::runtime_error("a list item is not a scalar");
      result.push_back(item.text);
    }
    return result;
  }
};

struct Line {
  int number = 0;
  std::size_t indent = 0;
  std::string content; ///< without indentation and comment
};

[[noreturn]] void refuse(const Line& line, const std::string& why) {
  throw std::runtime_error("line " + std::to_string(line.number) + ": " + why + ": '" +
                           line.content + "'");
}

/// The line without a trailing comment: '#' at the start or after a space, outside quotes.
std::string without_comment(const std::string& text) {
  char quote = 0;
  for (std::size_t index = 0; index < text.size(); ++index) {
    const char c = text[index];
    if (quote != 0) {
      if (c == '\\' && quote == '"') ++index;
      else if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (index == 0 || text[index - 1] == ' ')) {
      return text.substr(0, index);
    }
  }
  return text;
}

std::string trimmed_right(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text;
}

std::vector<Line> significant_lines(std::istream& in) {
  std::vector<Line> lines;
  int number = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++number;
    Line line;
    line.number = number;
    const std::string text = trimmed_right(without_comment(raw));
    line.indent = text.find_first_not_of(' ');
    if (line.indent == std::string::npos) continue; // blank or comment only
    line.content = text.substr(line.indent);
    if (line.content[0] == '\t' || text.find('\t') < line.indent) refuse(line, "tab indentation");
    if (line.content == "---" || line.content == "...") refuse(line, "document markers");
    lines.push_back(std::move(line));
  }
  return lines;
}

Yaml scalar_of(const Line& line, const std::string& text) {
  Yaml value;
  if (text.empty()) refuse(line, "an empty plain scalar");
  if (text.front() == '"') {
    if (text.size() < 2 || text.back() != '"') refuse(line, "an unterminated double-quoted scalar");
    for (std::size_t index = 1; index + 1 < text.size(); ++index) {
      char c = text[index];
      if (c == '"') refuse(line, "a quote inside a double-quoted scalar");
      if (c == '\\') {
        c = text[++index];
        if (c != '"' && c != '\\') refuse(line, "an escape other than \\\" or \\\\");
      }
      value.text += c;
    }
  } else if (text.front() == '\'') {
    if (text.size() < 2 || text.back() != '\'') refuse(line, "an unterminated single-quoted scalar");
    for (std::size_t index = 1; index + 1 < text.size(); ++index) {
      if (text[index] == '\'') {
        if (text[index + 1] != '\'' || index + 2 >= text.size()) refuse(line, "a lone quote");
        ++index;
      }
      value.text += text[index];
    }
  } else {
    if (std::string("[]{}&*!|>%@`,").find(text.front()) != std::string::npos)
      refuse(line, "flow collections, anchors, aliases, tags and block scalars are not in the subset");
    if (text.find(": ") != std::string::npos) refuse(line, "a map where a scalar belongs");
    value.text = text;
  }
  return value;
}

class SubsetParser {
public:
  explicit SubsetParser(std::vector<Line> lines) : lines_(std::move(lines)) {}

  Yaml document() {
    if (lines_.empty()) throw std::runtime_error("empty document");
    if (lines_.front().indent != 0) refuse(lines_.front(), "the document does not start at column 0");
    Yaml root = block(0);
    if (position_ != lines_.size()) refuse(lines_[position_], "indentation out of place");
    return root;
  }

private:
  static bool is_item(const Line& line) {
    return line.content == "-" || line.content.rfind("- ", 0) == 0;
  }

  Yaml block(std::size_t indent) {
    return is_item(lines_[position_]) ? list(indent) : map(indent);
  }

  Yaml list(std::size_t indent) {
    Yaml value;
    value.kind = Yaml::Kind::list;
    while (position_ < lines_.size() && lines_[position_].indent == indent) {
      const Line& line = lines_[position_];
      if (!is_item(line)) refuse(line, "a map key among list items");
      if (line.content == "-") refuse(line, "a nested block in a list item");
      value.items.push_back(scalar_of(line, line.content.substr(2)));
      ++position_;
    }
    return value;
  }

  Yaml map(std::size_t indent) {
    Yaml value;
    value.kind = Yaml::Kind::map;
    while (position_ < lines_.size() && lines_[position_].indent == indent) {
      const Line& line = lines_[position_];
      if (is_item(line)) refuse(line, "a list item among map keys");
      const std::size_t colon = line.content.find(':');
      if (colon == std::string::npos ||
          (colon + 1 < line.content.size() && line.content[colon + 1] != ' '))
        refuse(line, "not a 'key: value' line");
      const std::string key = line.content.substr(0, colon);
      if (key.empty() || key.find_first_of("\"'[]{}&*!|>%@` ") != std::string::npos)
        refuse(line, "a key that is not a plain word");
      if (value.has(key)) refuse(line, "a duplicate key");
      const std::string rest = colon + 1 < line.content.size() ? line.content.substr(colon + 2) : "";
      ++position_;
      if (!rest.empty()) {
        value.entries.emplace_back(key, scalar_of(line, rest));
      } else {
        if (position_ >= lines_.size() || lines_[position_].indent <= indent)
          refuse(line, "a key without a value");
        value.entries.emplace_back(key, block(lines_[position_].indent));
      }
    }
    if (position_ < lines_.size() && lines_[position_].indent > indent)
      refuse(lines_[position_], "indentation out of place");
    return value;
  }

  std::vector<Line> lines_;
  std::size_t position_ = 0;
};

Yaml parse_yaml(const std::string& text) {
  std::istringstream in(text);
  return SubsetParser(significant_lines(in)).document();
}

Yaml compose_file() {
  const std::string path = RTK_SOURCE_DIR "/docker-cluster/docker-compose.yml";
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return parse_yaml(text.str());
}

// ---- what the compose file must say ----

/// The element after `option` in a command list; throws when there is none.
std::string value_after(const std::vector<std::string>& command, const std::string& option) {
  const auto found = std::find(command.begin(), command.end(), option);
  if (found == command.end() || found + 1 == command.end())
    throw std::runtime_error("no value for " + option);
  return *(found + 1);
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

struct Services {
  std::map<std::string, std::string> node_ports; ///< service name -> --port
  std::vector<std::string> creators;             ///< services that run redis-cli --cluster create
};

Services classify(const Yaml& services) {
  Services result;
  for (const auto& [name, service] : services.entries) {
    const std::vector<std::string> command = service.at("command").strings();
    if (!command.empty() && command.front() == "redis-server")
      result.node_ports[name] = value_after(command, "--port");
    else if (contains(command, "--cluster") && value_after(command, "--cluster") == "create")
      result.creators.push_back(name);
  }
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(docker_compose_tests)

BOOST_AUTO_TEST_CASE(the_subset_parser_reads_what_it_should_and_refuses_the_rest) {
  const Yaml doc = parse_yaml("# c\na:\n  b: \"x # y\"   # z\n  c:\n    - '1'\n    - \"\"\n    - plain\n"
                              "d: 'it''s'\n");
  BOOST_TEST(doc.at("a").at("b").text == "x # y");
  BOOST_TEST(doc.at("a").at("c").strings() == (std::vector<std::string>{"1", "", "plain"}));
  BOOST_TEST(doc.at("d").text == "it's");
  BOOST_CHECK_THROW(parse_yaml("a: [1, 2]\n"), std::runtime_error);
  BOOST_CHECK_THROW(parse_yaml("a: &anchor x\n"), std::runtime_error);
  BOOST_CHECK_THROW(parse_yaml("a: |\n  text\n"), std::runtime_error);
  BOOST_CHECK_THROW(parse_yaml("a: 1\na: 2\n"), std::runtime_error);
  BOOST_CHECK_THROW(parse_yaml("a:\n  - x\n  b: y\n"), std::runtime_error);
  BOOST_CHECK_THROW(parse_yaml("a: 1\n   b: 2\n"), std::runtime_error);
  BOOST_CHECK_THROW(parse_yaml("a:\n"), std::runtime_error);
  BOOST_CHECK_THROW(parse_yaml("a: \"open\n"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(the_compose_file_parses) {
  const Yaml doc = compose_file(); // a failure names the line and what is wrong with it
  BOOST_TEST((doc.kind == Yaml::Kind::map));
  BOOST_TEST(doc.has("services"));
  BOOST_TEST((doc.at("services").kind == Yaml::Kind::map));
}

BOOST_AUTO_TEST_CASE(six_redis_7_cluster_nodes_on_the_host_network) {
  const Yaml services = compose_file().at("services");
  const Services found = classify(services);
  BOOST_TEST(found.node_ports.size() == 6U);
  std::set<std::string> ports;
  std::set<std::string> config_files;
  for (const auto& [name, port] : found.node_ports) {
    BOOST_TEST_CONTEXT("service " << name) {
      const Yaml& service = services.at(name);
      BOOST_TEST(service.at("image").text == "redis:7");
      // Clients outside reach the addresses the nodes announce only on the host network.
      BOOST_TEST(service.at("network_mode").text == "host");
      const std::vector<std::string> command = service.at("command").strings();
      BOOST_TEST(value_after(command, "--cluster-enabled") == "yes");
      BOOST_TEST(value_after(command, "--cluster-node-timeout") == "1000");
      BOOST_TEST(value_after(command, "--repl-diskless-sync-delay") == "0");
      BOOST_TEST(value_after(command, "--cluster-replica-validity-factor") == "0");
      config_files.insert(value_after(command, "--cluster-config-file"));
      BOOST_TEST(contains(service.at("healthcheck").at("test").strings(), port));
      ports.insert(port);
    }
  }
  BOOST_TEST(ports == (std::set<std::string>{"7000", "7001", "7002", "7003", "7004", "7005"}));
  BOOST_TEST(config_files.size() == 6U);
}

BOOST_AUTO_TEST_CASE(a_one_shot_creator_joins_them_with_one_replica_each) {
  const Yaml services = compose_file().at("services");
  const Services found = classify(services);
  BOOST_REQUIRE(found.creators.size() == 1U);
  const Yaml& creator = services.at(found.creators.front());
  BOOST_TEST(creator.at("image").text == "redis:7");
  BOOST_TEST(creator.at("network_mode").text == "host");
  BOOST_TEST(creator.at("restart").text == "no");
  const std::vector<std::string> command = creator.at("command").strings();
  BOOST_TEST(command.front() == "redis-cli");
  BOOST_TEST(value_after(command, "--cluster-replicas") == "1");
  BOOST_TEST(contains(command, "--cluster-yes"));

  // The addresses after "create" are exactly the six nodes, and it waits for all of them.
  std::set<std::string> addresses;
  for (auto at = std::find(command.begin(), command.end(), "create") + 1;
       at != command.end() && at->rfind("--", 0) != 0; ++at) {
    addresses.insert(*at);
  }
  std::set<std::string> expected;
  for (const auto& [name, port] : found.node_ports) {
    expected.insert("127.0.0.1:" + port);
    BOOST_TEST_CONTEXT("depends_on " << name) {
      BOOST_TEST(creator.at("depends_on").at(name).at("condition").text == "service_healthy");
    }
  }
  BOOST_TEST(addresses == expected);
  BOOST_TEST(addresses.size() == 6U);
}

BOOST_AUTO_TEST_SUITE_END()
