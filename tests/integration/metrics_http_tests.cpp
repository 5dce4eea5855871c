// The metrics over real HTTP: the component redis_toolkit::prometheus behind prometheus-cpp's
// Exposer, and `rtk subscribe --metrics-listen`, scraped after a known workload with Python's
// urllib and parsed with prometheus_client's own parser (the exposition format checked by a
// reader that is not ours). CI installs prometheus-cpp-dev: a build without the component fails
// here instead of skipping.
#include "redis_cli.hpp"
#include "toolkit_fixture.hpp"

#include "redis_toolkit/async_toolkit.hpp"
#include "redis_toolkit/server_launcher.hpp"
#include "redis_toolkit/toolkit.hpp"

#ifdef RTK_HAVE_PROMETHEUS
#include "redis_toolkit/prometheus.hpp"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#endif

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

extern char** environ;

using namespace redis_toolkit;
using namespace std::chrono_literals;

namespace {

/// Scrapes the URL and prints every sample as JSON: [[name, {labels}, value], ...].
const char* const scrape_script = R"(
import json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
samples = []
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        samples.append([sample.name, sample.labels, sample.value])
print(json.dumps(samples))
)";

using Labels = std::map<std::string, std::string>;

struct Scrape {
  struct Sample {
    std::string name;
    Labels labels;
    double value;
  };
  std::vector<Sample> samples;

  /// The value of the one sample `name` with exactly `labels`; fails the test when absent.
  double value(const std::string& name, const Labels& labels = {}) const {
    for (const Sample& sample : samples)
      if (sample.name == name && sample.labels == labels) return sample.value;
    BOOST_FAIL("no sample " + name);
    return -1;
  }
  std::vector<Sample> all(const std::string& name, const std::string& label,
                          const std::string& label_value) const {
    std::vector<Sample> found;
    for (const Sample& sample : samples)
      if (sample.name == name && sample.labels.count(label) && sample.labels.at(label) == label_value)
        found.push_back(sample);
    return found;
  }
};

/// Scrapes `url` with /usr/bin/python3; no value when the scrape or the parse failed (`problem`
/// then says why).
std::optional<Scrape> scrape(const std::string& url, std::string* problem = nullptr) {
  const ProgramOutput output = run_program({"/usr/bin/python3", "-c", scrape_script, url}, 30s);
  if (output.exit_status != 0) {
    if (problem) *problem = output.standard_error;
    return std::nullopt;
  }
  rapidjson::Document document;
  document.Parse<rapidjson::kParseNanAndInfFlag>(output.standard_output.c_str());
  BOOST_REQUIRE_MESSAGE(!document.HasParseError() && document.IsArray(), output.standard_output);
  Scrape result;
  for (const auto& each : document.GetArray()) {
    Scrape::Sample sample;
    sample.name = each[0].GetString();
    for (const auto& label : each[1].GetObject())
      sample.labels[label.name.GetString()] = label.value.GetString();
    sample.value = each[2].GetDouble();
    result.samples.push_back(std::move(sample));
  }
  return result;
}

Scrape scrape_or_fail(const std::string& url) {
  std::string problem;
  auto result = scrape(url, &problem);
  BOOST_REQUIRE_MESSAGE(result.has_value(), "scraping " + url + " failed: " + problem);
  return *result;
}

/// A loopback port nobody listens on now (the kernel's choice for port 0).
std::uint16_t free_port() {
  const int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(socket_fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool bound = ::bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(socket_fd);
  BOOST_REQUIRE(bound);
  return ntohs(address.sin_port);
}

/// A command's histogram: cumulative buckets that never decrease and end (+Inf) at its count.
void check_histogram(const Scrape& scrape, const std::string& command, double count,
                     const Labels& common) {
  auto with = [&](Labels labels) {
    labels.insert(common.begin(), common.end());
    return labels;
  };
  BOOST_TEST_CONTEXT(command) {
    const auto buckets = scrape.all("redis_toolkit_command_duration_seconds_bucket", "command", command);
    BOOST_TEST(buckets.size() == LatencyHistogram::bucket_count + 1);
    double previous = 0;
    for (const auto& bucket : buckets) {
      BOOST_TEST(bucket.value >= previous);
      previous = bucket.value;
    }
    BOOST_TEST(scrape.value("redis_toolkit_command_duration_seconds_bucket",
                            with({{"command", command}, {"le", "+Inf"}})) == count);
    BOOST_TEST(scrape.value("redis_toolkit_command_duration_seconds_count",
                            with({{"command", command}})) == count);
    BOOST_TEST(scrape.value("redis_toolkit_command_duration_seconds_bucket",
                            with({{"command", command}, {"le", "0.0001"}})) <= count);
  }
}

/// A program run in the background, its output in files of its own directory, with TMPDIR there
/// too (so that what it leaves behind goes with the directory). Whatever the test's outcome, the
/// destructor ends it: SIGTERM, then SIGKILL if it has not ended within 20 s; the servers it
/// started end with it (PR_SET_PDEATHSIG, server_launcher.hpp).
class Background {
public:
  /// Where its files go: made by the constructor, removed by the destructor.
  static std::filesystem::path directory_for_this_test() {
    return std::filesystem::temp_directory_path() / ("rtk-metrics-http-" + std::to_string(::getpid()));
  }
  explicit Background(const std::vector<std::string>& argv) : directory_(directory_for_this_test()) {
    std::filesystem::create_directories(directory_);
    posix_spawn_file_actions_t files;
    ::posix_spawn_file_actions_init(&files);
    ::posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&files, 1, (directory_ / "stdout").c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::posix_spawn_file_actions_addopen(&files, 2, (directory_ / "stderr").c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> environment;
    for (char** each = environ; *each != nullptr; ++each)
      if (std::string(*each).rfind("TMPDIR=", 0) != 0) environment.emplace_back(*each);
    environment.push_back("TMPDIR=" + directory_.string());
    std::vector<char*> args, envs;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    for (const std::string& env : environment) envs.push_back(const_cast<char*>(env.c_str()));
    envs.push_back(nullptr);
    const int spawned = ::posix_spawn(&pid_, args[0], &files, nullptr, args.data(), envs.data());
    ::posix_spawn_file_actions_destroy(&files);
    if (spawned != 0) pid_ = -1;
    BOOST_REQUIRE_MESSAGE(spawned == 0, "cannot start " << argv[0]);
  }
  ~Background() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  /// Still running?
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
    pid_ = -1;
    return false;
  }
  void stop() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  std::string standard_error() const {
    std::ifstream file(directory_ / "stderr");
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  }

private:
  std::filesystem::path directory_;
  pid_t pid_ = -1;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(metrics_http_tests, rtk_test::ServerFixture)

BOOST_AUTO_TEST_CASE(the_exposer_serves_exact_counts_in_the_exposition_format) {
#ifndef RTK_HAVE_PROMETHEUS
  BOOST_FAIL("redis_toolkit::prometheus was not built: install prometheus-cpp-dev (tools/dev.sh "
             "does) and configure again");
#else
  constexpr int calls = 12;
  constexpr int errors = 3;
  RedisToolkit toolkit(config());
  const std::string address = "127.0.0.1:" + std::to_string(free_port());
  prometheus::Exposer exposer(address, 1);
  auto collectable = make_metrics_collectable(toolkit, {{"toolkit", "test"}});
  exposer.RegisterCollectable(collectable);

  for (int i = 0; i < calls; ++i) toolkit.command({"SET", "text", "not a number"});
  for (int i = 0; i < errors; ++i) BOOST_CHECK_THROW(toolkit.command({"INCR", "text"}), CommandError);

  const Scrape metrics = scrape_or_fail("http://" + address + "/metrics");
  const Labels test{{"toolkit", "test"}};
  auto with = [&](Labels labels) {
    labels.insert(test.begin(), test.end());
    return labels;
  };
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "set"}, {"outcome", "ok"}})) == calls);
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "set"}, {"outcome", "error"}})) == 0);
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "incr"}, {"outcome", "error"}})) == errors);
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "incr"}, {"outcome", "ok"}})) == 0);
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "incr"}, {"outcome", "timeout"}})) == 0);
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "incr"}, {"outcome", "connection"}})) == 0);
  check_histogram(metrics, "set", calls, test);
  check_histogram(metrics, "incr", errors, test);
  BOOST_TEST(metrics.value("redis_toolkit_pending_calls", test) == 0);
  const std::string node = server.host() + ":" + std::to_string(server.port());
  BOOST_TEST(metrics.value("redis_toolkit_connections", with({{"node", node}})) >= 1);
  BOOST_TEST(metrics.value("redis_toolkit_reconnects_total", with({{"node", node}})) == 0);
  for (const char* kind : {"moved", "ask", "tryagain"})
    BOOST_TEST(metrics.value("redis_toolkit_redirections_total", with({{"kind", kind}})) == 0);
  BOOST_TEST(metrics.value("redis_toolkit_topology_refreshes_total", test) == 0);
  BOOST_TEST(metrics.value("redis_toolkit_pubsub_messages_total", with({{"kind", "received"}})) == 0);
  BOOST_TEST(metrics.value("redis_toolkit_pubsub_messages_total", with({{"kind", "dropped"}})) == 0);
  BOOST_TEST(metrics.value("redis_toolkit_pubsub_handler_backlog", test) == 0);

  // A scrape reads the toolkit at that moment: more calls, higher counts.
  toolkit.command({"SET", "text", "again"});
  BOOST_TEST(scrape_or_fail("http://" + address + "/metrics")
                 .value("redis_toolkit_commands_total", with({{"command", "set"}, {"outcome", "ok"}})) ==
             calls + 1);
  exposer.RemoveCollectable(collectable);
#endif
}

BOOST_AUTO_TEST_CASE(a_registry_of_the_programs_own_holds_exact_counts) {
#ifndef RTK_HAVE_PROMETHEUS
  BOOST_FAIL("redis_toolkit::prometheus was not built: install prometheus-cpp-dev (tools/dev.sh "
             "does) and configure again");
#else
  constexpr int calls = 9;
  constexpr int errors = 2;
  RedisToolkit toolkit(config());
  AsyncRedisToolkit jobs(config());
  auto registry = std::make_shared<prometheus::Registry>();
  // The program's own metric, beside the toolkit's in the same registry.
  prometheus::BuildCounter().Name("app_requests_total").Help("requests").Register(*registry).Add({}).Increment(2);
  const std::string address = "127.0.0.1:" + std::to_string(free_port());
  prometheus::Exposer exposer(address, 1);
  exposer.RegisterCollectable(registry);
  const std::string url = "http://" + address + "/metrics";

  // Copied on refresh() only (interval 0): the counts are exact at each scrape.
  auto sessions = register_metrics(*registry, toolkit, {{"toolkit", "sessions"}}, 0ms);
  BOOST_CHECK_THROW(register_metrics(*registry, toolkit, {{"toolkit", "sessions"}}, 0ms),
                    std::invalid_argument); // two toolkits' samples must be told apart
  for (int i = 0; i < calls; ++i) toolkit.command({"SET", "text", "not a number"});
  for (int i = 0; i < errors; ++i) BOOST_CHECK_THROW(toolkit.command({"INCR", "text"}), CommandError);
  sessions->refresh();
  const Labels labels{{"toolkit", "sessions"}};
  auto with = [&](Labels more) {
    more.insert(labels.begin(), labels.end());
    return more;
  };
  Scrape metrics = scrape_or_fail(url);
  BOOST_TEST(metrics.value("app_requests_total") == 2);
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "set"}, {"outcome", "ok"}})) == calls);
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "incr"}, {"outcome", "error"}})) == errors);
  check_histogram(metrics, "set", calls, labels);
  check_histogram(metrics, "incr", errors, labels);
  BOOST_TEST(metrics.value("redis_toolkit_pending_calls", labels) == 0);
  const std::string node = server.host() + ":" + std::to_string(server.port());
  BOOST_TEST(metrics.value("redis_toolkit_connections", with({{"node", node}})) >= 1);
  BOOST_TEST(metrics.value("redis_toolkit_redirections_total", with({{"kind", "moved"}})) == 0);
  BOOST_TEST(metrics.value("redis_toolkit_pubsub_messages_total", with({{"kind", "received"}})) == 0);

  // Counters grow by what happened since the last copy.
  toolkit.command({"SET", "text", "again"});
  sessions->refresh();
  metrics = scrape_or_fail(url);
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", with({{"command", "set"}, {"outcome", "ok"}})) == calls + 1);
  check_histogram(metrics, "set", calls + 1, labels);

  // Copied by its own thread: a scrape shows the calls soon after, with no refresh() call.
  auto background = register_metrics(*registry, jobs, {{"toolkit", "jobs"}}, 20ms);
  for (int i = 0; i < 5; ++i) BOOST_TEST(jobs.command({"GET", "text"}).get().is_string());
  const Labels jobs_labels{{"toolkit", "jobs"}, {"command", "get"}, {"outcome", "ok"}};
  rtk_test::wait_until(
      [&] {
        const auto scraped = scrape(url);
        return scraped && !scraped->all("redis_toolkit_commands_total", "toolkit", "jobs").empty() &&
               scraped->value("redis_toolkit_commands_total", jobs_labels) == 5;
      },
      15s, "the background copy of five GETs");

  // Gone with its RegistryMetrics: no sample of that toolkit is left; the others stay.
  sessions.reset();
  metrics = scrape_or_fail(url);
  BOOST_TEST(metrics.all("redis_toolkit_commands_total", "toolkit", "sessions").empty());
  BOOST_TEST(metrics.all("redis_toolkit_pending_calls", "toolkit", "sessions").empty());
  BOOST_TEST(metrics.value("redis_toolkit_commands_total", jobs_labels) == 5);
  BOOST_TEST(metrics.value("app_requests_total") == 2);
  background.reset();
#endif
}

BOOST_AUTO_TEST_CASE(rtk_subscribe_serves_its_metrics_while_it_runs) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE_MESSAGE(executable != nullptr, "RTK_RTK_EXE must name the rtk binary");
  const std::string address = "127.0.0.1:" + std::to_string(free_port());
  ProgramOutput subscriber;
  std::thread running([&] {
    subscriber = run_program({executable, "--port", std::to_string(server.port()), "subscribe",
                              "metered", "--count", "4", "--timeout", "30", "--metrics-listen",
                              address},
                             60s);
  });
  struct Join {
    std::thread& thread;
    std::uint16_t port;
    ~Join() {
      // Ends rtk whatever the test's outcome: enough messages to reach its --count.
      for (int i = 0; i < 4 && thread.joinable(); ++i)
        rtk_test::run_redis_cli(port, {"PUBLISH", "metered", "\"end\""});
      if (thread.joinable()) thread.join();
    }
  } join{running, server.port()};
  RedisToolkit publisher(config());
  // The first message that reaches a subscriber counts: rtk is listening from then on.
  rtk_test::wait_until([&] { return publisher.publisher("metered", 0) == 1; }, 15s,
                       "rtk subscribed");
  BOOST_TEST(publisher.publisher("metered", 1) == 1);
  BOOST_TEST(publisher.publisher("metered", 2) == 1);
  const std::string url = "http://" + address + "/metrics";
  std::optional<Scrape> metrics;
  rtk_test::wait_until(
      [&] {
        metrics = scrape(url);
        return metrics &&
               metrics->value("redis_toolkit_pubsub_messages_total", {{"kind", "received"}}) == 3;
      },
      15s, "rtk's metrics to show the three messages");
  BOOST_TEST(metrics->value("redis_toolkit_pubsub_messages_total", {{"kind", "dropped"}}) == 0);
  BOOST_TEST(metrics->value("redis_toolkit_pending_calls") == 0);
  BOOST_TEST(publisher.publisher("metered", 3) == 1); // the fourth: rtk prints it and ends
  running.join();
  BOOST_TEST(subscriber.exit_status == 0, subscriber.standard_error);
  BOOST_TEST(subscriber.standard_error.find("metrics at " + url) != std::string::npos,
             subscriber.standard_error);
  BOOST_TEST(std::count(subscriber.standard_output.begin(), subscriber.standard_output.end(), '\n') == 4);
}

BOOST_AUTO_TEST_CASE(rtk_bench_serves_its_toolkits_metrics_while_it_runs) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE_MESSAGE(executable != nullptr, "RTK_RTK_EXE must name the rtk binary");
  const std::string address = "127.0.0.1:" + std::to_string(free_port());
  const std::string url = "http://" + address + "/metrics";
  // Far more rounds than the test waits for: rtk is still measuring when it is scraped, however
  // slow or fast the machine; the test ends it once it has seen what it needs.
  Background bench({executable, "bench", "--only", "metrics", "--rounds", "1000", "--report-dir",
                    (Background::directory_for_this_test() / "report").string(),
                    "--metrics-listen", address});
  const auto gets = [](const Scrape& metrics) {
    double ok = 0;
    for (const auto& sample : metrics.all("redis_toolkit_commands_total", "command", "get"))
      if (sample.labels.at("outcome") == "ok") ok += sample.value;
    return ok;
  };
  std::optional<Scrape> first;
  rtk_test::wait_until(
      [&] {
        BOOST_REQUIRE_MESSAGE(bench.running(), "rtk bench ended:\n" << bench.standard_error());
        first = scrape(url);
        return first && gets(*first) > 0;
      },
      120s, "rtk bench's metrics to count GETs");
  // Counters only grow while the scenario runs: a later scrape counts at least as many.
  std::optional<Scrape> later;
  rtk_test::wait_until(
      [&] {
        later = scrape(url);
        return later && gets(*later) > gets(*first);
      },
      120s, "more GETs counted");
  BOOST_TEST(later->value("redis_toolkit_commands_total", {{"command", "set"}, {"outcome", "ok"}}) >= 100);
  BOOST_TEST(bench.standard_error().find("metrics at " + url) != std::string::npos,
             bench.standard_error());
  BOOST_TEST(bench.standard_error().find("rtk bench [") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
