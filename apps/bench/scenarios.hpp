#pragma once
// Inside the `rtk bench` suite: what every scenario gets (the servers, started on first use, the
// sizes of this run, progress) and the scenarios themselves, one function each.

#include "metrics_board.hpp"
#include "results.hpp"
#include "suite.hpp"

#include <redis_toolkit/config.hpp>
#include <redis_toolkit/local_cluster.hpp>
#include <redis_toolkit/logging.hpp>
#include <redis_toolkit/server_launcher.hpp>

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtk_bench {

class TlsCertificates;

/// How much work each figure gets: enough for a stable figure in a full run, a quick check in a
/// short one.
struct Sizes {
  long sequential_operations;         ///< one caller, one call at a time
  long shallow_operations;            ///< 1 and 10 in flight
  long deep_operations;               ///< 100 and more in flight
  long caller_operations;             ///< many callers, in all
  std::vector<long> batch_sizes;      ///< keys per batch
  long batch_keys;                    ///< keys per figure: a batch is repeated up to this many
  long pubsub_messages;               ///< throughput: messages per figure
  long latency_messages;              ///< latency: messages, one at a time
  long codec_passes;                  ///< passes over the wire-vector corpus per figure

  static Sizes for_run(bool short_run);
};

class BenchContext {
public:
  BenchContext(const SuiteOptions& options, int rounds, std::ostream& progress);
  ~BenchContext();
  BenchContext(const BenchContext&) = delete;
  BenchContext& operator=(const BenchContext&) = delete;

  int rounds() const noexcept { return rounds_; }
  bool short_run() const noexcept { return options_.short_run; }
  const Sizes& sizes() const noexcept { return sizes_; }

  /// The one redis-server, started on first use.
  redis_toolkit::RedisServerProcess& server();
  /// The 3-master 3-replica cluster (cluster-node-timeout 1000 ms), started on first use.
  redis_toolkit::LocalCluster& cluster();
  /// A redis-server listening with TLS on tls_port() beside its plain port(), on throwaway
  /// certificates (tls_certificates.hpp) made on first use.
  redis_toolkit::RedisServerProcess& tls_server();
  /// Configs for toolkits on them, with the test suites' 2 s timeouts.
  redis_toolkit::RedisConnectionConfig server_config();
  redis_toolkit::RedisConnectionConfig cluster_config();
  /// The TLS server's plain port, or with `tls` its TLS port with ssl set and its CA to verify
  /// against (the certificate names 127.0.0.1: the name is checked too).
  redis_toolkit::RedisConnectionConfig tls_server_config(bool tls);
  /// The bench's toolkit options: warnings only (errors only where failures are the point).
  static redis_toolkit::RedisOptions toolkit_options(
      redis_toolkit::LogLevel level = redis_toolkit::LogLevel::warning);

  /// Puts the toolkit on the metrics board of --metrics-listen, if there is one, until the Watch
  /// ends: declare it after the toolkit, so that it ends first.
  template <typename Toolkit>
  MetricsBoard::Watch watch(Toolkit& toolkit) {
    return options_.metrics != nullptr ? options_.metrics->watch(toolkit) : MetricsBoard::Watch();
  }

  /// One progress line: "rtk bench [  12.3 s] blocking: SET 100 B".
  void progress(const std::string& scenario, const std::string& what);
  /// Calls `measure()` once per round, saying which round it is.
  void each_round(const std::string& scenario, const std::string& what,
                  const std::function<void()>& measure);

private:
  const SuiteOptions& options_;
  int rounds_;
  Sizes sizes_;
  std::ostream& progress_;
  std::chrono::steady_clock::time_point started_;
  std::optional<redis_toolkit::RedisServerProcess> server_;
  std::optional<redis_toolkit::LocalCluster> cluster_;
  std::unique_ptr<TlsCertificates> certificates_;
  std::optional<redis_toolkit::RedisServerProcess> tls_server_;
};

// The scenarios, in the order they run; each fills its Scenario's about, rows and notes.
void run_blocking(BenchContext& context, Scenario& scenario);   // 1
void run_in_flight(BenchContext& context, Scenario& scenario);  // 2
void run_callers(BenchContext& context, Scenario& scenario);    // 3
void run_batches(BenchContext& context, Scenario& scenario);    // 4
void run_pubsub(BenchContext& context, Scenario& scenario);     // 5
void run_codec(BenchContext& context, Scenario& scenario);      // 6
void run_commands(BenchContext& context, Scenario& scenario);   // 7
void run_failover(BenchContext& context, Scenario& scenario);   // 8
void run_metrics_cost(BenchContext& context, Scenario& scenario); // 9
void run_tls(BenchContext& context, Scenario& scenario);        // 10
void run_hog(BenchContext& context, Scenario& scenario);        // 11

/// The key every GET of scenarios 2 and 3 reads: the one redis-benchmark's GET test reads too.
inline constexpr const char* benchmark_get_key = "key:__rand_int__";
/// A value of `size` bytes of printable text.
std::string text_of_size(std::size_t size);
/// "1,000", "10,000": counts as the report writes them.
std::string with_thousands(long number);
/// tests/data/wire-vectors.json as it was at build time (generated: wire_vectors_corpus.cpp.in).
std::string_view wire_vectors_json();

} // namespace rtk_bench
