#include "report.hpp"

#include "charts.hpp"
#include "scenarios.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rtk_bench {

// ---- JSON ----

namespace {

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void write_string(JsonWriter& json, const char* key, const std::string& value) {
  json.Key(key);
  json.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_number(JsonWriter& json, const char* key, double value) {
  json.Key(key);
  json.Double(std::isfinite(value) ? value : 0.0);
}

void write_row(JsonWriter& json, const Row& row) {
  json.StartObject();
  write_string(json, "name", row.name);
  write_string(json, "unit", row.unit);
  json.Key("higher_is_better");
  json.Bool(row.higher_is_better);
  if (row.x > 0) write_number(json, "x", row.x);
  json.Key("sides");
  json.StartArray();
  for (const Side& side : row.sides) {
    json.StartObject();
    write_string(json, "label", side.label);
    write_number(json, "median", side.median());
    json.Key("rounds");
    json.StartArray();
    for (const double figure : side.rounds) json.Double(std::isfinite(figure) ? figure : 0.0);
    json.EndArray();
    json.EndObject();
  }
  json.EndArray();
  json.Key("ratios"); // the first side against each other one
  json.StartArray();
  for (std::size_t baseline = 1; baseline < row.sides.size(); ++baseline) {
    json.StartObject();
    write_string(json, "against", row.sides[baseline].label);
    json.Key("ratio");
    if (const auto ratio = row.ratio(baseline)) json.Double(*ratio);
    else json.Null();
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void write_strings(JsonWriter& json, const char* key, const std::vector<std::string>& values) {
  json.Key(key);
  json.StartArray();
  for (const std::string& value : values) json.String(value.c_str());
  json.EndArray();
}

} // namespace

std::string results_json(const SuiteResults& results) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  write_string(json, "tool", "rtk bench");
  write_string(json, "version", results.version);
  write_string(json, "date", results.date);
  write_string(json, "mode", results.short_run ? "short" : "full");
  json.Key("rounds");
  json.Int(results.rounds);
  write_number(json, "seconds", results.seconds);
  json.Key("machine");
  json.StartObject();
  write_string(json, "cpu_model", results.machine.cpu_model);
  json.Key("cores");
  json.Uint(results.machine.cores);
  write_string(json, "kernel", results.machine.kernel);
  write_string(json, "redis_version", results.machine.redis_version);
  write_string(json, "load_before", results.machine.load_before);
  write_string(json, "load_after", results.machine.load_after);
  json.EndObject();
  json.Key("scenarios");
  json.StartArray();
  for (const Scenario& scenario : results.scenarios) {
    json.StartObject();
    write_string(json, "id", scenario.id);
    write_string(json, "title", scenario.title);
    write_string(json, "about", scenario.about);
    write_number(json, "seconds", scenario.seconds);
    json.Key("failure");
    if (scenario.failure.empty()) json.Null();
    else json.String(scenario.failure.c_str());
    json.Key("rows");
    json.StartArray();
    for (const Row& row : scenario.rows) write_row(json, row);
    json.EndArray();
    write_strings(json, "notes", scenario.notes);
    json.EndObject();
  }
  json.EndArray();
  json.Key("targets");
  json.StartArray();
  for (const Target& target : results.targets) {
    json.StartObject();
    write_string(json, "name", target.name);
    write_string(json, "requirement", target.requirement);
    json.Key("measured");
    if (target.measured) json.Double(*target.measured);
    else json.Null();
    write_string(json, "measured_text", target.measured_text);
    json.Key("met");
    if (target.met) json.Bool(*target.met);
    else json.Null();
    write_string(json, "reason", target.reason);
    json.EndObject();
  }
  json.EndArray();
  write_string(json, "plotter", results.plotter);
  write_strings(json, "charts", results.charts);
  write_string(json, "charts_note", results.charts_note);
  json.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

// ---- Markdown ----

namespace {

std::string figure_text(double value, const std::string& unit = "") {
  char text[64];
  if (unit == "errors") return with_thousands(std::lround(value));
  if (std::fabs(value) >= 1000) return with_thousands(std::lround(value));
  if (std::fabs(value) >= 100) std::snprintf(text, sizeof text, "%.0f", value);
  else std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

std::string ratio_text(const Row& row, std::size_t baseline) {
  const auto ratio = row.ratio(baseline);
  if (!ratio) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2fx", *ratio);
  return text;
}

std::vector<std::string> labels_of(const Row& row) {
  std::vector<std::string> labels;
  for (const Side& side : row.sides) labels.push_back(side.label);
  return labels;
}

/// Rows with the same sides share one table, in the order the sides first appear: case, unit,
/// then each side (each baseline with its ratio).
void write_tables(std::ostream& md, const Scenario& scenario) {
  std::vector<std::vector<std::string>> tables;
  for (const Row& row : scenario.rows) {
    if (!row.sides.empty() && std::find(tables.begin(), tables.end(), labels_of(row)) == tables.end())
      tables.push_back(labels_of(row));
  }
  for (const std::vector<std::string>& labels : tables) {
    md << "\n| case | unit | " << labels.front();
    for (std::size_t i = 1; i < labels.size(); ++i) md << " | " << labels[i] << " | ratio";
    md << " |\n| --- | --- | ---:";
    for (std::size_t i = 1; i < labels.size(); ++i) md << " | ---: | ---:";
    md << " |\n";
    for (const Row& row : scenario.rows) {
      if (labels_of(row) != labels) continue;
      md << "| " << row.name << " | " << row.unit << " | "
         << figure_text(row.sides.front().median(), row.unit);
      for (std::size_t i = 1; i < row.sides.size(); ++i)
        md << " | " << figure_text(row.sides[i].median(), row.unit) << " | " << ratio_text(row, i);
      md << " |\n";
    }
  }
}

} // namespace

std::string markdown_report(const SuiteResults& results) {
  std::ostringstream md;
  const Machine& machine = results.machine;
  md << "# rtk bench report\n\n"
     << "rtk " << results.version << ", " << results.date << ", "
     << (results.short_run ? "short run (small sizes)" : "full run") << ", " << results.rounds
     << (results.rounds == 1 ? " round" : " rounds") << " per figure, "
     << figure_text(results.seconds) << " s in all.\n\n"
     << "Machine: " << machine.cpu_model << ", " << machine.cores << " cores (nproc), "
     << machine.kernel << ", Redis " << machine.redis_version << ", loopback. Load average "
     << machine.load_before << " at the start, " << machine.load_after << " at the end.\n\n"
     << "Each figure is the median of the rounds. Both sides of a row ran in this run, on the "
        "same server, with the same data. Each ratio compares the row's first figure (the toolkit) "
        "with the figure just left of the ratio: for rates the first over the other, for times "
        "and costs the other over the first, so above 1 the toolkit does better.\n\n"
        "## Targets\n\n"
     << "| target | required | measured | result |\n| --- | --- | --- | --- |\n";
  for (const Target& target : results.targets) {
    md << "| " << target.name << " | " << target.requirement << " | " << target.measured_text
       << " | " << (!target.met ? "not measured" : *target.met ? "met" : "**missed**") << " |\n";
  }
  bool any_missed = false;
  for (const Target& target : results.targets) {
    if (!target.met || *target.met) continue;
    if (!any_missed) md << "\nThe targets missed, and why:\n\n";
    any_missed = true;
    md << "- **" << target.name << "** (" << target.measured_text << "): " << target.reason << "\n";
  }
  for (const Scenario& scenario : results.scenarios) {
    md << "\n## " << scenario.title << "\n\n" << scenario.about << " (" << figure_text(scenario.seconds)
       << " s)\n";
    if (!scenario.failure.empty()) md << "\n**Failed:** " << scenario.failure << "\n";
    write_tables(md, scenario);
    if (!scenario.notes.empty()) {
      md << "\n";
      for (const std::string& note : scenario.notes) md << "- " << note << "\n";
    }
  }
  md << "\n## Charts\n\n";
  if (results.charts.empty()) md << "No charts: " << results.charts_note << ".\n";
  for (const std::string& chart : results.charts) md << "![" << chart << "](" << chart << ")\n\n";
  if (!results.charts.empty() && !results.charts_note.empty())
    md << "Not drawn: " << results.charts_note << "\n";
  return md.str();
}

void write_reports(SuiteResults& results, const std::string& directory) {
  namespace fs = std::filesystem;
  fs::create_directories(directory);
  draw_charts(charts_of(results), directory, results);
  const auto write = [&](const std::string& name, const std::string& text) {
    const fs::path path = fs::path(directory) / name;
    std::ofstream file(path);
    file << text;
    if (!file) throw std::runtime_error("cannot write " + path.string());
  };
  write("bench-results.json", results_json(results));
  write("bench-report.md", markdown_report(results));
}

} // namespace rtk_bench
