#include "suite.hpp"

#include "scenarios.hpp"
#include "targets.hpp"
#include "tls_certificates.hpp"

#include <redis_toolkit/server_launcher.hpp>

#include <sched.h>
#include <sys/utsname.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace rtk_bench {

using namespace redis_toolkit;

// ---- helpers the scenarios share ----

std::string text_of_size(std::size_t size) {
  static const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string text(size, ' ');
  for (std::size_t i = 0; i < size; ++i) text[i] = alphabet[i % alphabet.size()];
  return text;
}

std::string with_thousands(long number) {
  std::string digits = std::to_string(number < 0 ? -number : number);
  for (auto at = static_cast<long>(digits.size()) - 3; at > 0; at -= 3)
    digits.insert(static_cast<std::size_t>(at), ",");
  return number < 0 ? "-" + digits : digits;
}

Sizes Sizes::for_run(bool short_run) {
  if (short_run) return {1000, 1000, 10000, 2000, {10, 100, 1000, 10000}, 10000, 2000, 100, 500};
  return {20000, 20000, 200000, 40000, {10, 100, 1000, 10000, 100000}, 200000, 50000, 2000, 20000};
}

// ---- the context ----

BenchContext::BenchContext(const SuiteOptions& options, int rounds, std::ostream& progress)
    : options_(options), rounds_(rounds), sizes_(Sizes::for_run(options.short_run)),
      progress_(progress), started_(std::chrono::steady_clock::now()) {}

BenchContext::~BenchContext() {
  if (cluster_) cluster_->stop();
  if (server_) server_->stop();
  if (tls_server_) tls_server_->stop();
}

RedisServerProcess& BenchContext::server() {
  if (!server_) {
    progress("servers", "starting a redis-server");
    server_.emplace(RedisServerProcess::start());
  }
  return *server_;
}

LocalCluster& BenchContext::cluster() {
  if (!cluster_) {
    progress("servers", "starting a 3-master 3-replica cluster");
    cluster_.emplace(LocalCluster::start());
  }
  return *cluster_;
}

RedisServerProcess& BenchContext::tls_server() {
  if (!tls_server_) {
    progress("servers", "making throwaway certificates, starting a redis-server with TLS");
    certificates_ = std::make_unique<TlsCertificates>();
    tls_server_.emplace(RedisServerProcess::start(certificates_->server()));
  }
  return *tls_server_;
}

RedisConnectionConfig BenchContext::server_config() {
  RedisConnectionConfig config;
  config.host = server().host();
  config.port = server().port();
  config.connection_timeout = std::chrono::milliseconds(2000);
  config.socket_timeout = std::chrono::milliseconds(2000);
  return config;
}

RedisConnectionConfig BenchContext::cluster_config() {
  RedisConnectionConfig config;
  config.cluster_mode = true;
  config.startup_nodes = cluster().addresses();
  config.connection_timeout = std::chrono::milliseconds(2000);
  config.socket_timeout = std::chrono::milliseconds(2000);
  return config;
}

RedisConnectionConfig BenchContext::tls_server_config(bool tls) {
  RedisServerProcess& server = tls_server();
  RedisConnectionConfig config;
  config.host = server.host();
  config.port = tls ? server.tls_port() : server.port();
  config.connection_timeout = std::chrono::milliseconds(2000);
  config.socket_timeout = std::chrono::milliseconds(2000);
  if (tls) {
    config.ssl = true;
    config.ssl_ca_certs = certificates_->file("ca.crt");
  }
  return config;
}

RedisOptions BenchContext::toolkit_options(LogLevel level) {
  RedisOptions options;
  options.log_level = level;
  return options;
}

void BenchContext::progress(const std::string& scenario, const std::string& what) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  progress_ << "rtk bench [" << std::fixed << std::setprecision(1) << std::setw(6) << elapsed
            << " s] " << scenario << ": " << what << std::endl;
}

void BenchContext::each_round(const std::string& scenario, const std::string& what,
                              const std::function<void()>& measure) {
  for (int round = 1; round <= rounds_; ++round) {
    progress(scenario, what + (rounds_ > 1 ? ", round " + std::to_string(round) + "/" +
                                                 std::to_string(rounds_)
                                           : ""));
    measure();
  }
}

// ---- the machine ----

namespace {

std::string first_line_of(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

std::string load_average() {
  std::istringstream fields(first_line_of("/proc/loadavg"));
  std::string one, five, fifteen;
  fields >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

Machine describe_machine() {
  Machine machine;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      machine.cpu_model = line.substr(line.find(':') + 2);
      break;
    }
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (::sched_getaffinity(0, sizeof cpus, &cpus) == 0) machine.cores = static_cast<unsigned>(CPU_COUNT(&cpus));
  utsname name{};
  if (::uname(&name) == 0) machine.kernel = std::string(name.sysname) + " " + name.release;
  if (const auto binary = find_redis_server_binary()) {
    try {
      std::string version =
          run_program({*binary, "--version"}, std::chrono::seconds(10)).standard_output;
      const std::size_t at = version.find("v=");
      machine.redis_version = at == std::string::npos
                                  ? version
                                  : version.substr(at + 2, version.find(' ', at) - at - 2);
    } catch (const std::exception&) {
      machine.redis_version = "unknown";
    }
  }
  machine.load_before = load_average();
  return machine;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

struct ScenarioEntry {
  const char* id;
  const char* title;
  void (*run)(BenchContext&, Scenario&);
};

const std::vector<ScenarioEntry>& registry() {
  static const std::vector<ScenarioEntry> entries = {
      {"blocking", "1. Blocking facade vs raw hiredis", run_blocking},
      {"in-flight", "2. Async calls in flight vs raw hiredis pipelining and redis-benchmark -P",
       run_in_flight},
      {"callers", "3. Many callers vs redis-benchmark -c", run_callers},
      {"batches", "4. Batches by size, one server and cluster", run_batches},
      {"pubsub", "5. Pub/sub: publish to handler, classic and sharded", run_pubsub},
      {"codec", "6. The wire codec alone vs raw RapidJSON", run_codec},
      {"commands", "7. Any command: command() and pipeline() vs get_raw and raw hiredis",
       run_commands},
      {"failover", "8. Failover: the error window of a master kill", run_failover},
      {"metrics", "9. Metrics cost: async calls with metrics_enabled on vs off", run_metrics_cost},
      {"tls", "10. TLS against plain TCP", run_tls},
      {"hog", "11. Beside a CPU hog on every core", run_hog},
  };
  return entries;
}

} // namespace

const std::vector<std::string>& scenario_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> all;
    for (const ScenarioEntry& entry : registry()) all.emplace_back(entry.id);
    return all;
  }();
  return ids;
}

SuiteResults run_suite(const SuiteOptions& options, std::ostream& progress) {
  SuiteResults results;
  results.version = options.version;
  results.date = utc_now();
  results.short_run = options.short_run;
  results.rounds = options.rounds > 0 ? options.rounds : (options.short_run ? 1 : 3);
  results.machine = describe_machine();
  const auto started = std::chrono::steady_clock::now();
  {
    BenchContext context(options, results.rounds, progress);
    for (const ScenarioEntry& entry : registry()) {
      if (!options.only.empty() &&
          std::find(options.only.begin(), options.only.end(), entry.id) == options.only.end())
        continue;
      Scenario scenario;
      scenario.id = entry.id;
      scenario.title = entry.title;
      context.progress(entry.id, entry.title);
      const auto scenario_started = std::chrono::steady_clock::now();
      try {
        entry.run(context, scenario);
      } catch (const std::exception& error) {
        scenario.failure = error.what();
        context.progress(entry.id, std::string("FAILED: ") + error.what());
      }
      scenario.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - scenario_started).count();
      results.scenarios.push_back(std::move(scenario));
    }
    context.progress("servers", "stopping");
  }
  results.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  results.machine.load_after = load_average();
  results.targets = judge_targets(results);
  return results;
}

} // namespace rtk_bench
