// AsyncRedisToolkit behind a web framework: a small HTTP/1.1 service with Boost.Beast whose every
// Redis access goes through the async toolkit. Values travel as rtk's JSON form (wire_format.hpp:
// parse_cli_json / format_cli_json), so {"$bytes": "AAE="} is a bytes value.
//
//   PUT    /kv/<key>              body: a JSON value              -> 204
//   GET    /kv/<key>              -> 200 the JSON value, or 404
//   DELETE /kv/<key>              -> 204, or 404
//   POST   /batch                 body: a JSON object key: value  -> 204
//   GET    /batch?keys=a,b        -> 200 a JSON object of the keys that exist
//   POST   /publish/<channel>     body: a JSON value              -> 200 how many received it
//   GET    /stream/<channel>?count=N  -> chunked, one JSON line per message; ends after N messages
//                                        or 10 s
//   GET    /metrics               -> 200 the toolkit's metrics as Prometheus text (docs/METRICS.md)
// Bad JSON or a refused key is a 400 with the ValidationError text; Redis unreachable is a 503.
//
//   example_async_http_service               self-test: serve on a free port, drive every
//   example_async_http_service --self-test   endpoint with the real curl binary, exit 0 if all pass
//   example_async_http_service PORT          serve on 127.0.0.1:PORT (0: any free port) until
//                                            Ctrl-C; prints "listening on PORT"
//
// The server is synchronous to stay short: a thread pool serves one request per connection. A
// production server would use Beast's asynchronous streams with timeouts (a client that connects
// and sends nothing holds a pool thread here).
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/prometheus.hpp>
#include <redis_toolkit/wire_format.hpp>

#include <prometheus/text_serializer.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <functional>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

extern char** environ;

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using redis_toolkit::AsyncRedisToolkit;
using redis_toolkit::Value;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr auto stream_time_limit = 10s;

// ---- requests and responses ----

/// A request the client got wrong in a way the toolkit does not check (e.g. a missing parameter).
class BadRequest : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

Response respond(http::status status, std::string body = {},
                 const char* content_type = "text/plain") {
  Response response{status, 11};
  response.set(http::field::content_type, content_type);
  response.keep_alive(false); // one request per connection
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response json(std::string body) {
  return respond(http::status::ok, std::move(body), "application/json");
}

/// The answer to a request that threw: the client's fault (400), Redis unreachable (503, after
/// the toolkit's retries), or ours (500).
Response error_response(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const BadRequest& problem) {
    return respond(http::status::bad_request, problem.what());
  } catch (const redis_toolkit::ValidationError& problem) {
    return respond(http::status::bad_request, problem.what());
  } catch (const redis_toolkit::ConnectionError& problem) {
    return respond(http::status::service_unavailable, problem.what());
  } catch (const std::exception& problem) {
    return respond(http::status::internal_server_error, problem.what());
  } catch (...) {
    return respond(http::status::internal_server_error, "unknown error");
  }
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::string percent_decoded(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && is_hex(text[i + 1]) && is_hex(text[i + 2])) {
      decoded += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find(separator, start)) != std::string::npos; start = end + 1)
    parts.push_back(text.substr(start, end - start));
  parts.push_back(text.substr(start));
  return parts;
}

/// The request target: a percent-decoded path and its query parameters.
struct Target {
  std::string path;
  std::string query;

  static Target parse(beast::string_view target) {
    const std::string_view text(target.data(), target.size());
    const std::size_t mark = text.find('?');
    if (mark == std::string_view::npos) return {percent_decoded(text), {}};
    return {percent_decoded(text.substr(0, mark)), std::string(text.substr(mark + 1))};
  }

  /// The rest of the path after `prefix` (a key or a channel), when there is one.
  std::optional<std::string> after(std::string_view prefix) const {
    if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return {};
    return path.substr(prefix.size());
  }

  std::optional<std::string> parameter(std::string_view name) const {
    for (const std::string& pair : split(query, '&')) {
      if (pair.size() > name.size() && pair.compare(0, name.size(), name) == 0 &&
          pair[name.size()] == '=')
        return percent_decoded(std::string_view(pair).substr(name.size() + 1));
    }
    return {};
  }
};

// ---- streaming ----

/// Lines of one streamed subscription, from its handler actor to the connection's thread.
class LineQueue {
public:
  void push(std::string line) {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back(std::move(line));
    changed_.notify_all();
  }
  /// Ends every wait at once (the service is stopping).
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }
  /// The next line; nullopt once `deadline` passed or the queue was closed.
  std::optional<std::string> pop(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_until(lock, deadline, [this] { return closed_ || !lines_.empty(); });
    if (closed_ || lines_.empty()) return std::nullopt;
    std::string line = std::move(lines_.front());
    lines_.pop_front();
    return line;
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> lines_;
  bool closed_ = false;
};

std::size_t message_count(const Target& target) {
  const std::optional<std::string> text = target.parameter("count");
  const long count = text ? std::atol(text->c_str()) : 0;
  if (count < 1 || count > 10000) throw BadRequest("expected ?count=N with N from 1 to 10000");
  return static_cast<std::size_t>(count);
}

// ---- the service ----

class HttpService {
public:
  /// Listens on 127.0.0.1:`port` (0: any free port); serves once start() was called.
  HttpService(AsyncRedisToolkit& toolkit, unsigned short port)
      : toolkit_(toolkit), acceptor_(io_, {net::ip::make_address("127.0.0.1"), port}) {}
  ~HttpService() { stop(); }
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void start() {
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  /// Stops accepting, ends open streams, waits for the requests being served.
  void stop() {
    if (stopping_.exchange(true)) return;
    if (accept_thread_.joinable()) {
      wake_acceptor();
      accept_thread_.join();
    }
    close_streams();
    workers_.join();
  }

private:
  void accept_loop() {
    for (;;) {
      tcp::socket socket(io_);
      beast::error_code error;
      acceptor_.accept(socket, error);
      if (stopping_) return;
      if (error) {
        std::cerr << "accept: " << error.message() << "\n";
        continue;
      }
      net::post(workers_, [this, socket = std::move(socket)]() mutable { serve(socket); });
    }
  }

  /// accept() blocks and closing the acceptor from another thread is not safe: connect instead.
  void wake_acceptor() {
    tcp::socket waker(io_);
    beast::error_code ignored;
    waker.connect({net::ip::make_address("127.0.0.1"), port()}, ignored);
  }

  void serve(tcp::socket& socket) {
    beast::error_code error;
    beast::flat_buffer buffer;
    Request request;
    http::read(socket, buffer, request, error);
    if (error) return; // not HTTP, or the client left: nobody to answer
    const Target target = Target::parse(request.target());
    try {
      const std::optional<std::string> channel = target.after("/stream/");
      if (channel && request.method() == http::verb::get)
        stream(socket, *channel, target);
      else
        http::write(socket, route(request, target), error);
    } catch (...) {
      http::write(socket, error_response(std::current_exception()), error);
    }
    socket.shutdown(tcp::socket::shutdown_send, error);
  }

  Response route(const Request& request, const Target& target) {
    const http::verb method = request.method();
    if (const auto key = target.after("/kv/")) {
      if (method == http::verb::put) return put_value(*key, request.body());
      if (method == http::verb::get) return get_value(*key);
      if (method == http::verb::delete_) return delete_value(*key);
    } else if (target.path == "/batch") {
      if (method == http::verb::post) return put_batch(request.body());
      if (method == http::verb::get) return get_batch(target);
    } else if (const auto channel = target.after("/publish/")) {
      if (method == http::verb::post) return publish(*channel, request.body());
    } else if (target.path == "/metrics") {
      if (method == http::verb::get) return metrics();
    } else {
      return respond(http::status::not_found, "no such endpoint");
    }
    return respond(http::status::method_not_allowed, "method not allowed");
  }

  // Each handler waits for its future: this thread serves this one request and nothing else.
  // Errors arrive as exceptions from get(), and serve() turns them into responses.

  /// Beside the API on the same port: one server to scrape, the toolkit read at each scrape.
  Response metrics() {
    const prometheus::TextSerializer serializer;
    return respond(http::status::ok,
                   serializer.Serialize(redis_toolkit::to_metric_families(toolkit_.metrics())),
                   "text/plain; version=0.0.4");
  }

  Response put_value(const std::string& key, const std::string& body) {
    toolkit_.setter(key, redis_toolkit::parse_cli_json(body)).get();
    return respond(http::status::no_content);
  }

  Response get_value(const std::string& key) {
    const std::optional<Value> value = toolkit_.getter(key).get();
    if (!value) return respond(http::status::not_found, "no such key");
    return json(redis_toolkit::format_cli_json(*value));
  }

  Response delete_value(const std::string& key) {
    const bool existed = toolkit_.deleter(key).get();
    return existed ? respond(http::status::no_content)
                   : respond(http::status::not_found, "no such key");
  }

  Response put_batch(const std::string& body) {
    const Value entries = redis_toolkit::parse_cli_json(body);
    if (!entries.is_dict()) throw BadRequest("the body must be a JSON object of key: value");
    toolkit_.batch_set(entries.as_dict()).get(); // validated whole: all written, or none
    return respond(http::status::no_content);
  }

  Response get_batch(const Target& target) {
    const std::optional<std::string> keys = target.parameter("keys");
    if (!keys || keys->empty()) throw BadRequest("expected ?keys=a,b,...");
    Value found = Value::dict();
    for (auto& [key, value] : toolkit_.batch_get(split(*keys, ',')).get())
      if (value) found.set(key, std::move(*value)); // a missing key is left out: null is a value
    return json(redis_toolkit::format_cli_json(found));
  }

  Response publish(const std::string& channel, const std::string& body) {
    const std::int64_t receivers =
        toolkit_.publisher(channel, redis_toolkit::parse_cli_json(body)).get();
    return json(std::to_string(receivers));
  }

  /// Subscribes first, so that once the client has the response head no message is missed.
  /// Throws (and nothing is sent) only before the head goes out.
  void stream(tcp::socket& socket, const std::string& channel, const Target& target) {
    const std::size_t count = message_count(target);
    // The handler runs on the subscription's actor and may outlive this call by a moment after
    // stop(), so it shares ownership of the queue.
    auto queue = std::make_shared<LineQueue>();
    redis_toolkit::Subscription subscription =
        toolkit_
            .subscribe({channel},
                       [queue](const std::string&, const Value& message) {
                         queue->push(redis_toolkit::format_cli_json(message) + "\n");
                       })
            .get();

    http::response<http::empty_body> head{http::status::ok, 11};
    head.set(http::field::content_type, "application/x-ndjson");
    head.keep_alive(false);
    head.chunked(true);
    http::response_serializer<http::empty_body> serializer{head};
    beast::error_code error;
    http::write_header(socket, serializer, error);

    open_stream(queue);
    const auto deadline = std::chrono::steady_clock::now() + stream_time_limit;
    for (std::size_t sent = 0; sent < count && !error; ++sent) {
      const std::optional<std::string> line = queue->pop(deadline);
      if (!line) break;
      net::write(socket, http::make_chunk(net::buffer(*line)), error); // error: the client left
    }
    close_stream(queue);
    subscription.stop();
    net::write(socket, http::make_chunk_last(), error);
  }

  // Open streams are registered so that stop() can end them instead of waiting up to 10 s.
  void open_stream(const std::shared_ptr<LineQueue>& queue) {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    if (stopping_)
      queue->close();
    else
      streams_.insert(queue);
  }
  void close_stream(const std::shared_ptr<LineQueue>& queue) {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    streams_.erase(queue);
  }
  void close_streams() {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    for (const auto& queue : streams_) queue->close();
  }

  AsyncRedisToolkit& toolkit_;
  net::io_context io_; // never run: the sockets are used synchronously
  tcp::acceptor acceptor_;
  net::thread_pool workers_{8};
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex streams_mutex_;
  std::set<std::shared_ptr<LineQueue>> streams_;
};

// ---- the self-test: the service driven by the real curl binary ----

/// Runs `command` (no shell in between: arguments go through as they are) and returns what it
/// wrote to stdout.
std::string output_of(const std::vector<std::string>& command) {
  int pipe_ends[2];
  // Close-on-exec: a curl started meanwhile by another thread must not hold our pipe open.
  if (pipe2(pipe_ends, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  std::vector<char*> argv;
  for (const std::string& argument : command) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  pid_t child = 0;
  const int spawned = posix_spawnp(&child, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_ends[1]);
  std::string output;
  char buffer[4096];
  for (ssize_t got; spawned == 0 && (got = read(pipe_ends[0], buffer, sizeof buffer)) != 0;) {
    if (got > 0)
      output.append(buffer, static_cast<std::size_t>(got));
    else if (errno != EINTR)
      break;
  }
  close(pipe_ends[0]);
  if (spawned != 0) throw std::system_error(spawned, std::generic_category(), command[0]);
  waitpid(child, nullptr, 0);
  return output;
}

struct CurlReply {
  int status = 0; ///< 0: no HTTP answer (curl failed)
  std::string body;
};

/// curl's --write-out appends the HTTP status on a line of its own.
CurlReply curl(std::vector<std::string> arguments) {
  std::vector<std::string> command = {"curl",      "--silent",    "--show-error",
                                      "--noproxy", "*",           "--max-time",
                                      "15",        "--write-out", "\n%{http_code}"};
  command.insert(command.end(), arguments.begin(), arguments.end());
  const std::string output = output_of(command);
  const std::size_t last_line = output.rfind('\n');
  if (last_line == std::string::npos) return {};
  return {std::atoi(output.c_str() + last_line + 1), output.substr(0, last_line)};
}

CurlReply curl_send(const std::string& method, const std::string& url, const std::string& body) {
  return curl({"--request", method, "--header", "Content-Type: application/json", "--data-binary",
               body, url});
}

/// Prints each request with its answer; remembers whether any was not what it should be.
class Checks {
public:
  using BodyTest = std::function<bool(const std::string&)>;

  void expect(
      const std::string& what, const CurlReply& reply, int status,
      const BodyTest& body_ok = [](const std::string&) { return true; }) {
    const bool passed = reply.status == status && body_ok(reply.body);
    std::cout << (passed ? "  ok    " : "  FAIL  ") << what << " -> " << reply.status << " "
              << shortened(reply.body) << "\n";
    failed_ = failed_ || !passed;
  }
  void expect(bool passed, const std::string& what) {
    if (!passed) std::cout << "  FAIL  " << what << "\n";
    failed_ = failed_ || !passed;
  }
  int finish(const std::string& name) const {
    std::cout << name << (failed_ ? ": FAILED" : ": ok") << "\n";
    return failed_ ? 1 : 0;
  }

private:
  static std::string shortened(std::string text) {
    for (char& c : text)
      if (c == '\n') c = ' ';
    return text.size() > 90 ? text.substr(0, 90) + "..." : text;
  }
  bool failed_ = false;
};

Checks::BodyTest equals(std::string expected) {
  return [expected](const std::string& body) { return body == expected; };
}
Checks::BodyTest contains(std::string part) {
  return [part](const std::string& body) { return body.find(part) != std::string::npos; };
}

const std::string user_key = "example:async:http:user";
const std::vector<std::string> self_test_keys = {user_key, "example:async:http:a",
                                                 "example:async:http:b"};

void check_values(const std::string& base, Checks& checks) {
  const std::string user =
      R"({"name": "Ada", "langs": ["C++", "Python"], "avatar": {"$bytes": "AAE="}})";
  checks.expect("PUT /kv/<user>", curl_send("PUT", base + "/kv/" + user_key, user), 204);
  checks.expect("GET /kv/<user>", curl({base + "/kv/" + user_key}), 200, equals(user));
  checks.expect("GET /kv/<missing>", curl({base + "/kv/example:async:http:missing"}), 404);
  checks.expect("PUT /kv/<temp>", curl_send("PUT", base + "/kv/example:async:http:temp", "1"), 204);
  checks.expect("DELETE /kv/<temp>",
                curl({"--request", "DELETE", base + "/kv/example:async:http:temp"}), 204);
  checks.expect("DELETE /kv/<temp> again",
                curl({"--request", "DELETE", base + "/kv/example:async:http:temp"}), 404);
}

void check_batch(const std::string& base, Checks& checks) {
  checks.expect("POST /batch",
                curl_send("POST", base + "/batch",
                          R"({"example:async:http:a": 1, "example:async:http:b": [null, 2.5]})"),
                204);
  checks.expect(
      "GET /batch?keys=b,missing,a",
      curl({base +
            "/batch?keys=example:async:http:b,example:async:http:missing,example:async:http:a"}),
      200, equals(R"({"example:async:http:b": [null, 2.5], "example:async:http:a": 1})"));
}

/// The stream subscribes when its request arrives, which curl does not report: publish until
/// Redis counts a receiver. A message that reached nobody is lost, so sending it again is right.
CurlReply publish_once_subscribed(const std::string& url, const std::string& body) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  CurlReply reply = curl_send("POST", url, body);
  while (reply.status == 200 && reply.body == "0" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    reply = curl_send("POST", url, body);
  }
  return reply;
}

void check_stream(const std::string& base, Checks& checks) {
  const std::string channel = "example:async:http:news";
  // curl reads the stream in the background while this thread publishes.
  auto streamed = std::async(std::launch::async, [&] {
    return curl({"--no-buffer", base + "/stream/" + channel + "?count=2"});
  });
  checks.expect("POST /publish/<channel> (until subscribed)",
                publish_once_subscribed(base + "/publish/" + channel, R"({"n": 1})"), 200,
                equals("1"));
  checks.expect("POST /publish/<channel>",
                curl_send("POST", base + "/publish/" + channel, R"("two")"), 200, equals("1"));
  checks.expect("GET /stream/<channel>?count=2", streamed.get(), 200,
                equals("{\"n\": 1}\n\"two\"\n"));
}

/// After check_values: its two GET /kv/ requests are two GET calls answered, none pending.
void check_metrics(const std::string& base, Checks& checks) {
  checks.expect("GET /metrics", curl({base + "/metrics"}), 200, [](const std::string& body) {
    return body.find("redis_toolkit_commands_total{command=\"get\",outcome=\"ok\"} 2\n") !=
               std::string::npos &&
           body.find("redis_toolkit_command_duration_seconds_count{command=\"get\"} 2\n") !=
               std::string::npos &&
           body.find("redis_toolkit_pending_calls 0\n") != std::string::npos;
  });
}

void check_errors(const std::string& base, Checks& checks) {
  checks.expect("PUT /kv/<key> bad JSON", curl_send("PUT", base + "/kv/" + user_key, R"({"a": )"),
                400, contains("ValidationError"));
  checks.expect("PUT /kv/<600-byte key>",
                curl_send("PUT", base + "/kv/" + std::string(600, 'k'), "1"), 400,
                contains("max_key_length"));
  checks.expect("POST /batch not an object", curl_send("POST", base + "/batch", "[1, 2]"), 400,
                contains("JSON object"));
  checks.expect("POST /publish/<channel> bad JSON",
                curl_send("POST", base + "/publish/example:async:http:news", "nope"), 400,
                contains("ValidationError"));
  checks.expect("GET /batch without keys", curl({base + "/batch"}), 400);
  checks.expect("GET /stream/<channel>?count=0", curl({base + "/stream/x?count=0"}), 400);
  checks.expect("GET /nowhere", curl({base + "/nowhere"}), 404);
  checks.expect("DELETE /batch", curl({"--request", "DELETE", base + "/batch"}), 405);
}

int self_test(AsyncRedisToolkit& toolkit) {
  HttpService service(toolkit, 0);
  service.start();
  std::cout << "listening on " << service.port() << std::endl;
  const std::string base = "http://127.0.0.1:" + std::to_string(service.port());
  Checks checks;
  check_values(base, checks);
  check_metrics(base, checks);
  check_batch(base, checks);
  check_stream(base, checks);
  check_errors(base, checks);
  service.stop();
  checks.expect(toolkit.batch_delete(self_test_keys).get() == 3,
                "the self-test's keys are removed");
  return checks.finish("async/http_service");
}

int serve(AsyncRedisToolkit& toolkit, unsigned short port) {
  // Installed before "listening" is printed, so that a SIGTERM sent right after is handled.
  net::io_context signals_context;
  net::signal_set signals(signals_context, SIGINT, SIGTERM);
  signals.async_wait([](const beast::error_code&, int) {});
  HttpService service(toolkit, port);
  service.start();
  std::cout << "listening on " << service.port() << std::endl;
  signals_context.run(); // returns once a signal arrived
  service.stop();
  return 0;
}

/// The port of "PORT" (0 to 65535); nullopt for anything else.
std::optional<unsigned short> port_from(const std::string& text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const unsigned long port = std::stoul(text);
  if (port > 65535) return std::nullopt;
  return static_cast<unsigned short>(port);
}

} // namespace

int main(int argc, char** argv) try {
  const std::string mode = argc > 1 ? argv[1] : "--self-test";
  const std::optional<unsigned short> port = port_from(mode);
  if (argc > 2 || (mode != "--self-test" && !port)) {
    std::cerr << "usage: " << argv[0] << " [--self-test | PORT]\n";
    return 2;
  }
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  std::cerr << "Redis: " << local.describe() << "\n";
  AsyncRedisToolkit toolkit(local.config());
  return port ? serve(toolkit, *port) : self_test(toolkit);
} catch (const std::exception& error) {
  std::cerr << "async/http_service: " << error.what() << "\n";
  return 1;
}
