// `rtk bench --short` as CI runs it: the whole suite once with small sizes, on servers of its own.
// Checks that it ran and wrote every scenario's figures, the targets, the report and the charts;
// never a time or a ratio (the figures depend on the machine and its load).
#include "redis_toolkit/server_launcher.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

redis_toolkit::ProgramOutput run_rtk(const std::vector<std::string>& arguments,
                                     std::chrono::milliseconds limit) {
  const char* executable = std::getenv("RTK_RTK_EXE");
  BOOST_REQUIRE_MESSAGE(executable != nullptr, "RTK_RTK_EXE must name the rtk binary");
  std::vector<std::string> argv = {executable};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return redis_toolkit::run_program(argv, limit);
}

std::string read_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

const std::set<std::string> every_scenario = {"blocking", "in-flight", "callers",  "batches",
                                              "pubsub",   "codec",     "commands", "failover",
                                              "metrics",  "tls",       "hog"};

/// The scenario called `id` in the results, or null.
const rapidjson::Value* scenario_of(const rapidjson::Document& results, const std::string& id) {
  for (const auto& scenario : results["scenarios"].GetArray())
    if (std::string(scenario["id"].GetString()) == id) return &scenario;
  return nullptr;
}

} // namespace

BOOST_AUTO_TEST_SUITE(bench_run_tests)

BOOST_AUTO_TEST_CASE(a_short_run_writes_every_scenario_the_targets_the_report_and_the_charts) {
  const fs::path directory = fs::path(RTK_BINARY_DIR) / "bench-short";
  fs::remove_all(directory);
  const auto run = run_rtk({"bench", "--short", "--report-dir", directory.string()}, 600s);
  BOOST_TEST_MESSAGE("rtk bench --short:\n" << run.standard_output << run.standard_error);
  BOOST_REQUIRE_MESSAGE(run.exit_status == 0, run.standard_error);
  BOOST_TEST(run.standard_error.find("rtk bench [") != std::string::npos); // progress lines

  rapidjson::Document results;
  const std::string json = read_file(directory / "bench-results.json");
  results.Parse(json.c_str(), json.size());
  BOOST_REQUIRE(!results.HasParseError());
  BOOST_TEST(std::string(results["mode"].GetString()) == "short");
  const int rounds = results["rounds"].GetInt();
  BOOST_TEST(rounds == 1);
  BOOST_TEST(results["machine"]["cores"].GetUint() >= 1u);

  std::set<std::string> seen;
  for (const auto& scenario : results["scenarios"].GetArray()) {
    const std::string id = scenario["id"].GetString();
    seen.insert(id);
    BOOST_TEST(scenario["failure"].IsNull(), id);
    BOOST_TEST(scenario["rows"].Size() > 0u, id);
    for (const auto& row : scenario["rows"].GetArray()) {
      const std::string name = id + ": " + row["name"].GetString();
      BOOST_TEST(row["sides"].Size() >= 1u, name);
      for (const auto& side : row["sides"].GetArray()) {
        BOOST_TEST(side["rounds"].Size() == static_cast<unsigned>(rounds), name);
        for (const auto& figure : side["rounds"].GetArray())
          BOOST_TEST((std::isfinite(figure.GetDouble()) && figure.GetDouble() >= 0), name);
      }
    }
  }
  BOOST_TEST(seen == every_scenario, boost::test_tools::per_element());

  // The metrics cost ran both sides: a positive rate and CPU per call with counting on and off.
  const rapidjson::Value* metrics = scenario_of(results, "metrics");
  BOOST_REQUIRE(metrics != nullptr);
  std::set<std::string> metrics_rows;
  for (const auto& row : (*metrics)["rows"].GetArray()) {
    const std::string name = row["name"].GetString();
    metrics_rows.insert(name);
    std::set<std::string> labels;
    for (const auto& side : row["sides"].GetArray()) {
      labels.insert(side["label"].GetString());
      for (const auto& figure : side["rounds"].GetArray()) BOOST_TEST(figure.GetDouble() > 0, name);
    }
    BOOST_TEST((labels == std::set<std::string>{"metrics on", "metrics off"}), name);
  }
  BOOST_TEST((metrics_rows == std::set<std::string>{"100 in flight, 100 keys",
                                                    "CPU per call, 100 in flight, 100 keys"}));

  // TLS against plain TCP on one server: both sides of every row, rates and CPU per call.
  const rapidjson::Value* tls = scenario_of(results, "tls");
  BOOST_REQUIRE(tls != nullptr);
  std::set<std::string> tls_rows;
  for (const auto& row : (*tls)["rows"].GetArray()) {
    const std::string name = row["name"].GetString();
    tls_rows.insert(name);
    std::set<std::string> labels;
    for (const auto& side : row["sides"].GetArray()) {
      labels.insert(side["label"].GetString());
      for (const auto& figure : side["rounds"].GetArray()) BOOST_TEST(figure.GetDouble() > 0, name);
    }
    BOOST_TEST((labels == std::set<std::string>{"TLS", "plain TCP"}), name);
  }
  BOOST_TEST((tls_rows == std::set<std::string>{"GET one at a time", "CPU per call, GET one at a time",
                                                "100 in flight, 100 keys",
                                                "CPU per call, 100 in flight, 100 keys"}));

  // Every target is judged or says why not; the short run measures the ones at 10,000 too.
  BOOST_TEST(results["targets"].Size() >= 16u);
  bool metrics_target = false;
  int tls_targets = 0;
  for (const auto& target : results["targets"].GetArray()) {
    BOOST_TEST(!target["met"].IsNull(), target["name"].GetString());
    const std::string name = target["name"].GetString();
    if (name.rfind("Metrics cost", 0) == 0) {
      metrics_target = true;
      BOOST_TEST(std::string(target["requirement"].GetString()) == ">= 0.95x");
    }
    if (name.rfind("TLS vs plain TCP", 0) == 0) {
      ++tls_targets;
      BOOST_TEST(std::string(target["requirement"].GetString()) == ">= 0.7x", name);
    }
  }
  BOOST_TEST(metrics_target);
  BOOST_TEST(tls_targets == 2);

  // The batches of 10,000 say what each key cost the client and the servers on both sides; the
  // servers' side is the CPU of real redis-server processes, so it cannot be zero.
  const rapidjson::Value* batches = scenario_of(results, "batches");
  BOOST_REQUIRE(batches != nullptr);
  int cost_rows = 0;
  for (const auto& row : (*batches)["rows"].GetArray()) {
    const std::string name = row["name"].GetString();
    if (name.find("CPU per key") == std::string::npos) continue;
    ++cost_rows;
    std::set<std::string> labels;
    for (const auto& side : row["sides"].GetArray()) {
      labels.insert(side["label"].GetString());
      for (const auto& figure : side["rounds"].GetArray()) BOOST_TEST(figure.GetDouble() > 0, name);
    }
    BOOST_TEST((labels == std::set<std::string>{"toolkit, cluster", "toolkit, one server"}), name);
  }
  BOOST_TEST(cost_rows == 4); // client and servers, for batch_set and batch_get of 10,000

  // Beside a CPU hog on every core: the blocking and async comparisons, each with its baseline.
  const rapidjson::Value* hog = scenario_of(results, "hog");
  BOOST_REQUIRE(hog != nullptr);
  std::set<std::string> hog_rows;
  for (const auto& row : (*hog)["rows"].GetArray()) {
    const std::string name = row["name"].GetString();
    hog_rows.insert(name);
    BOOST_TEST(row["sides"].Size() == 2u, name);
    for (const auto& side : row["sides"].GetArray())
      for (const auto& figure : side["rounds"].GetArray()) BOOST_TEST(figure.GetDouble() > 0, name);
  }
  BOOST_TEST((hog_rows == std::set<std::string>{"GET one at a time", "CPU per GET one at a time",
                                                "100 in flight, 100 keys",
                                                "CPU per GET, 100 in flight, 100 keys",
                                                "getter, 100 in flight, 100 keys",
                                                "CPU per getter, 100 in flight, 100 keys"}));
  int hog_targets = 0;
  for (const auto& target : results["targets"].GetArray())
    if (std::string(target["name"].GetString()).rfind("With CPU hogs", 0) == 0) ++hog_targets;
  BOOST_TEST(hog_targets == 6);

  const std::string report = read_file(directory / "bench-report.md");
  for (const char* part : {"# rtk bench report", "## Targets", "## 1. Blocking facade",
                                  "## 6. The wire codec", "## 7. Any command", "## 8. Failover",
                                  "## 9. Metrics cost", "Metrics cost: async get_raw",
                                  "## 10. TLS against plain TCP", "TLS vs plain TCP: blocking GET",
                                  "## 11. Beside a CPU hog", "Async getter 100 in flight",
                                  "## Charts"})
    BOOST_TEST(report.find(part) != std::string::npos, part);

  const std::string plotter = results["plotter"].GetString();
  if (plotter == "none") {
    BOOST_TEST(results["charts"].Size() == 0u);
    BOOST_TEST(report.find("No charts: ") != std::string::npos);
  } else {
    BOOST_TEST(results["charts"].Size() == 4u, results["charts_note"].GetString());
    for (const auto& chart : results["charts"].GetArray())
      BOOST_TEST(fs::file_size(directory / chart.GetString()) > 0u, chart.GetString());
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_scenario_is_a_usage_error_before_any_server_starts) {
  const auto run = run_rtk({"bench", "--only", "codec,nonsense"}, 60s);
  BOOST_TEST(run.exit_status == 2);
  BOOST_TEST(run.standard_error.find("unknown scenario 'nonsense'") != std::string::npos,
             run.standard_error);
  BOOST_TEST(run.standard_error.find("rtk bench [") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
