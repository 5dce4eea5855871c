// Scenario 6: the wire codec alone, on the wire-vector corpus (the exact bytes redis-toolkit 0.3.2
// wrote, tests/data/wire-vectors.json, built into rtk) against raw RapidJSON on the same documents.
#include "measure.hpp"
#include "scenarios.hpp"

#include <redis_toolkit/wire_format.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <memory>
#include <stdexcept>

namespace rtk_bench {

using namespace redis_toolkit;

namespace {

// Full precision because the toolkit reads doubles exactly; NaN and infinities because Python
// writes them and the toolkit reads them.
constexpr unsigned parse_flags = rapidjson::kParseFullPrecisionFlag | rapidjson::kParseNanAndInfFlag;

/// The documents both sides work on: the stored text, the toolkit's Value of it and RapidJSON's
/// document of it.
struct Corpus {
  std::vector<std::string> texts;
  std::vector<Value> values;
  std::vector<std::unique_ptr<rapidjson::Document>> documents;
  std::size_t skipped = 0; ///< vectors that are not JSON (__NONE__): RapidJSON cannot take them
  std::size_t bytes = 0;
};

Corpus load_corpus() {
  const std::string_view json = wire_vectors_json();
  rapidjson::Document vectors;
  vectors.Parse(json.data(), json.size());
  if (vectors.HasParseError() || !vectors.IsObject() || !vectors.HasMember("encode"))
    throw std::runtime_error("the built-in wire-vectors.json does not parse");
  Corpus corpus;
  for (const auto& vector : vectors["encode"].GetArray()) {
    std::string text(vector["text"].GetString(), vector["text"].GetStringLength());
    auto document = std::make_unique<rapidjson::Document>();
    document->Parse<parse_flags>(text.c_str(), text.size());
    if (document->HasParseError()) {
      ++corpus.skipped;
      continue;
    }
    corpus.values.push_back(deserialize_value(text));
    corpus.documents.push_back(std::move(document));
    corpus.bytes += text.size();
    corpus.texts.push_back(std::move(text));
  }
  if (corpus.texts.empty()) throw std::runtime_error("no JSON document in the wire vectors");
  return corpus;
}

/// Documents per second of `work(i)` over every document of the corpus, `passes` times.
template <typename Work>
double documents_per_second(const Corpus& corpus, long passes, Work&& work) {
  const auto count = static_cast<long>(corpus.texts.size());
  return static_cast<double>(count) * rate_of(passes, [&](long) {
           for (std::size_t i = 0; i < corpus.texts.size(); ++i) work(i);
         });
}

/// Keeps results observable so that the compiler cannot drop the work.
volatile std::size_t sink = 0;

void toolkit_write(const Corpus& corpus, std::size_t i) { sink = sink + serialize_value(corpus.values[i]).size(); }
void toolkit_read(const Corpus& corpus, std::size_t i) {
  sink = sink + static_cast<std::size_t>(deserialize_value(corpus.texts[i]).kind());
}
void rapidjson_write(const Corpus& corpus, std::size_t i) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  corpus.documents[i]->Accept(writer);
  sink = sink + buffer.GetSize();
}
void rapidjson_read(const Corpus& corpus, std::size_t i) {
  rapidjson::Document document;
  document.Parse<parse_flags>(corpus.texts[i].c_str(), corpus.texts[i].size());
  sink = sink + static_cast<std::size_t>(document.GetType());
}

} // namespace

void run_codec(BenchContext& context, Scenario& scenario) {
  const Corpus corpus = load_corpus();
  const long passes = context.sizes().codec_passes;
  scenario.about =
      "The wire codec alone, no server: serialize_value of each corpus value and "
      "deserialize_value of each stored text, against RapidJSON's Writer of the same documents "
      "(parsed once beforehand) and its Parse (full-precision doubles) of the same texts. The "
      "corpus: the " + std::to_string(corpus.texts.size()) + " JSON documents of the wire vectors "
      "(" + std::to_string(corpus.bytes) + " bytes), " + with_thousands(passes) +
      " passes per figure; figures are documents per second.";
  struct Case {
    std::string name;
    void (*toolkit)(const Corpus&, std::size_t);
    void (*raw)(const Corpus&, std::size_t);
  };
  const auto both_toolkit = [](const Corpus& c, std::size_t i) { toolkit_write(c, i), toolkit_read(c, i); };
  const auto both_raw = [](const Corpus& c, std::size_t i) { rapidjson_write(c, i), rapidjson_read(c, i); };
  const std::vector<Case> cases = {
      {"serialize + deserialize", both_toolkit, both_raw},
      {"serialize", toolkit_write, rapidjson_write},
      {"deserialize", toolkit_read, rapidjson_read},
  };
  for (const Case& one : cases) {
    Row& row = scenario.row(one.name, "docs/s");
    context.each_round(scenario.id, one.name, [&] {
      row.add("toolkit", documents_per_second(corpus, passes, [&](std::size_t i) { one.toolkit(corpus, i); }));
      row.add("RapidJSON", documents_per_second(corpus, passes, [&](std::size_t i) { one.raw(corpus, i); }));
    });
  }
  scenario.notes.push_back(
      std::to_string(corpus.skipped) + " vector(s) left out: not JSON (`__NONE__`). The toolkit "
      "writes Python's separators and float text, checks UTF-8 and decodes bytes markers "
      "(base64) into bytes; RapidJSON writes compact JSON and keeps markers as objects.");
}

} // namespace rtk_bench
