#include "measure.hpp"

#include <redis_toolkit/server_launcher.hpp>
#include <redis_toolkit/toolkit_actor.hpp>

#include <caf/all.hpp>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace rtk_bench {

using namespace redis_toolkit;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long context_switches() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw + usage.ru_nivcsw;
}

double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double processes_cpu_seconds(const std::vector<int>& pids) {
  double nanoseconds = 0;
  for (const int pid : pids) {
    std::error_code error;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    for (std::filesystem::directory_iterator task(tasks, error), end; !error && task != end;
         task.increment(error)) {
      std::ifstream schedstat(task->path() / "schedstat");
      double on_cpu = 0; // the first of three figures: time spent running, in ns
      if (schedstat >> on_cpu) nanoseconds += on_cpu;
    }
  }
  return nanoseconds * 1e-9;
}

// ---- raw hiredis ----

namespace {

/// hiredis' argv form of a command, built once and sent many times.
struct Argv {
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  explicit Argv(const Arguments& arguments) {
    for (const std::string& argument : arguments) {
      pointers.push_back(argument.data());
      lengths.push_back(argument.size());
    }
  }
  /// Queues the command in hiredis' output buffer.
  void append(redisContext* context) const {
    redisAppendCommandArgv(context, count(), argv(), lengths.data());
  }
  /// Sends the command and waits for its reply (nullptr: the connection failed).
  redisReply* call(redisContext* context) const {
    return static_cast<redisReply*>(redisCommandArgv(context, count(), argv(), lengths.data()));
  }
  /// Queues the command on an async context; `callback` gets its reply.
  int append_async(redisAsyncContext* context, redisCallbackFn* callback, void* data) const {
    return redisAsyncCommandArgv(context, callback, data, count(), argv(), lengths.data());
  }

private:
  int count() const { return static_cast<int>(pointers.size()); }
  // hiredis 0.14 takes `const char**` but does not write through it.
  const char** argv() const { return const_cast<const char**>(pointers.data()); }
};

std::vector<Argv> to_argv(const std::vector<Arguments>& commands) {
  if (commands.empty()) throw std::invalid_argument("no commands to send");
  return std::vector<Argv>(commands.begin(), commands.end());
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPointer = std::unique_ptr<redisReply, ReplyDeleter>;

std::string text_of(const redisReply* reply) {
  return reply->str == nullptr ? std::string() : std::string(reply->str, reply->len);
}

} // namespace

RawConnection::RawConnection(const std::string& host, std::uint16_t port)
    : address_(host + ":" + std::to_string(port)) {
  context_ = redisConnect(host.c_str(), port);
  if (context_ == nullptr || context_->err) {
    const std::string reason = context_ == nullptr ? "out of memory" : context_->errstr;
    if (context_ != nullptr) redisFree(context_);
    throw std::runtime_error("hiredis cannot connect to " + address_ + ": " + reason);
  }
  const timeval timeout{10, 0};
  redisSetTimeout(context_, timeout);
}

RawConnection::~RawConnection() { redisFree(context_); }

void RawConnection::command(const Arguments& arguments) {
  const Argv argv(arguments);
  ReplyPointer reply(argv.call(context_));
  if (!reply) throw std::runtime_error("hiredis on " + address_ + ": " + context_->errstr);
  if (reply->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("hiredis on " + address_ + ": " + text_of(reply.get()));
}

void RawConnection::append(const Arguments& arguments) {
  Argv(arguments).append(context_);
}

std::string RawConnection::read_reply() {
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr)
    throw std::runtime_error("hiredis on " + address_ + ": " + context_->errstr);
  const ReplyPointer reply(static_cast<redisReply*>(raw));
  if (reply->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("hiredis on " + address_ + ": " + text_of(reply.get()));
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) return text_of(reply->element[2]);
  return text_of(reply.get());
}

namespace {

void read_one(redisContext* context) {
  void* reply = nullptr;
  if (redisGetReply(context, &reply) != REDIS_OK)
    throw std::runtime_error(std::string("hiredis: ") + context->errstr);
  freeReplyObject(reply);
}

} // namespace

double raw_sequential(RawConnection& connection, long operations, const Arguments& command) {
  const Argv argv(command);
  redisContext* context = connection.context();
  return rate_of(operations, [&](long) {
    redisReply* reply = argv.call(context);
    if (reply == nullptr) throw std::runtime_error(std::string("hiredis: ") + context->errstr);
    freeReplyObject(reply);
  });
}

double raw_window(RawConnection& connection, long operations, long window,
                  const std::vector<Arguments>& commands) {
  const std::vector<Argv> argvs = to_argv(commands);
  redisContext* context = connection.context();
  const auto size = static_cast<long>(argvs.size());
  long sent = 0;
  auto send_next = [&] {
    argvs[static_cast<std::size_t>(sent % size)].append(context);
    ++sent;
  };
  const auto start = Clock::now();
  while (sent < std::min(window, operations)) send_next();
  for (long received = 0; received < operations; ++received) {
    read_one(context); // flushes what was appended, then reads one reply
    if (sent < operations) send_next();
  }
  return static_cast<double>(operations) / seconds_since(start);
}

namespace {

/// The state of raw_async_window's run, shared with hiredis' callbacks on the loop's thread.
struct AsyncRun {
  const std::vector<Argv>* argvs = nullptr;
  redisAsyncContext* context = nullptr;
  event_base* base = nullptr;
  long operations = 0;
  long sent = 0;
  long received = 0;
  std::string failure;

  void send_next() {
    const auto& all = *argvs;
    all[static_cast<std::size_t>(sent % static_cast<long>(all.size()))].append_async(context, on_reply, this);
    ++sent;
  }
  static void on_reply(redisAsyncContext* context, void* reply, void* data) {
    auto* run = static_cast<AsyncRun*>(data);
    const auto* typed = static_cast<const redisReply*>(reply);
    if (typed == nullptr || typed->type == REDIS_REPLY_ERROR) {
      if (run->failure.empty())
        run->failure = typed == nullptr ? std::string(context->errstr) : std::string(typed->str, typed->len);
      event_base_loopbreak(run->base);
      return;
    }
    if (++run->received == run->operations) {
      event_base_loopbreak(run->base);
      return;
    }
    if (run->sent < run->operations) run->send_next();
  }
};

} // namespace

double raw_async_window(const std::string& host, std::uint16_t port, long operations, long window,
                        const std::vector<Arguments>& commands) {
  const std::vector<Argv> argvs = to_argv(commands);
  std::unique_ptr<event_base, void (*)(event_base*)> base(event_base_new(), event_base_free);
  if (!base) throw std::runtime_error("libevent: event_base_new failed");
  redisAsyncContext* context = redisAsyncConnect(host.c_str(), port);
  const std::string address = host + ":" + std::to_string(port);
  if (context == nullptr || context->err) {
    const std::string reason = context ? context->errstr : "out of memory";
    if (context) redisAsyncFree(context);
    throw std::runtime_error("hiredis async " + address + ": " + reason);
  }
  redisLibeventAttach(context, base.get());
  AsyncRun run;
  run.argvs = &argvs;
  run.context = context;
  run.base = base.get();
  run.operations = operations;
  const auto start = Clock::now();
  while (run.sent < std::min(window, operations)) run.send_next();
  event_base_dispatch(base.get());
  const double seconds = seconds_since(start);
  // Frees the context (and its callbacks' replies) while the loop still exists.
  redisAsyncFree(context);
  if (!run.failure.empty()) throw std::runtime_error("hiredis async " + address + ": " + run.failure);
  if (run.received != operations)
    throw std::runtime_error("hiredis async " + address + ": the loop ended after " +
                             std::to_string(run.received) + " replies of " + std::to_string(operations));
  return static_cast<double>(operations) / seconds;
}

double raw_batches(RawConnection& connection, long batches, const std::vector<Arguments>& commands) {
  const std::vector<Argv> argvs = to_argv(commands);
  redisContext* context = connection.context();
  const auto start = Clock::now();
  for (long batch = 0; batch < batches; ++batch) {
    for (const Argv& argv : argvs) argv.append(context);
    for (std::size_t reply = 0; reply < argvs.size(); ++reply) read_one(context);
  }
  return static_cast<double>(batches) * static_cast<double>(argvs.size()) / seconds_since(start);
}

// ---- redis-benchmark ----

std::string redis_benchmark_path() {
  std::vector<std::string> candidates;
  try {
    const std::string cli = redis_cli_path();
    candidates.push_back(cli.substr(0, cli.find_last_of('/') + 1) + "redis-benchmark");
  } catch (const std::exception&) {
    // no redis-cli: try the usual places below
  }
  candidates.insert(candidates.end(), {"/usr/bin/redis-benchmark", "/usr/local/bin/redis-benchmark"});
  for (const std::string& candidate : candidates) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw std::runtime_error(
      "redis-benchmark not found (Debian: apt-get install redis-tools; tools/dev.sh does)");
}

double redis_benchmark(std::uint16_t port, int clients, long requests, int pipeline,
                       const std::string& test) {
  const ProgramOutput output =
      run_program({redis_benchmark_path(), "-h", "127.0.0.1", "-p", std::to_string(port), "-c",
                   std::to_string(clients), "-n", std::to_string(requests), "-P",
                   std::to_string(pipeline), "-t", test, "-q"},
                  std::chrono::minutes(5));
  // The final "GET: 89126.56 requests per second, p50=..."; progress lines ("GET: rps=...") and
  // anything else do not parse.
  std::string marker = test + ": ";
  std::transform(marker.begin(), marker.end(), marker.begin(), ::toupper);
  const std::string unit = " requests per second";
  const std::string& text = output.standard_output;
  double rate = 0;
  for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
    const char* number = text.c_str() + at + marker.size();
    char* end = nullptr;
    const double parsed = std::strtod(number, &end);
    if (end != number && text.compare(static_cast<std::size_t>(end - text.c_str()), unit.size(), unit) == 0)
      rate = parsed;
  }
  if (rate <= 0) {
    throw std::runtime_error("no figure from redis-benchmark (exit " +
                             std::to_string(output.exit_status) + "): " + output.standard_error);
  }
  return rate;
}

// ---- the toolkit's fronts ----

double keep_in_flight(long in_flight, long operations, const StartCall& start) {
  std::mutex mutex;
  std::condition_variable finished;
  long started = 0, completed = 0, failures = 0;
  std::function<void()> start_one;
  start_one = [&] {
    start([&](bool ok) {
      bool start_another = false;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (!ok) ++failures;
        ++completed;
        if (started < operations) {
          ++started;
          start_another = true;
        }
        if (completed == operations) finished.notify_one();
      }
      if (start_another) start_one(); // keep the window full
    });
  };
  const long first = std::min(in_flight, operations);
  const auto begin = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex);
    started = first;
  }
  for (long i = 0; i < first; ++i) start_one();
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return completed == operations; });
  const double rate = static_cast<double>(operations) / seconds_since(begin);
  if (failures > 0) throw std::runtime_error(std::to_string(failures) + " async calls failed");
  return rate;
}

namespace {

/// The toolkit's side of the in-flight rows, with the bookkeeping raw_async_window's AsyncRun
/// does for hiredis: counters and a callback that captures one pointer (no allocation of its
/// own, no lock per call), so that the row compares the clients, not two harnesses. The counters
/// are atomic because the first window is started from the caller's thread while the first
/// callbacks already run on the I/O thread.
template <typename Call>
double toolkit_window(long in_flight, long operations, const std::vector<std::string>& keys,
                      Call call) {
  struct Run {
    const std::vector<std::string>* keys = nullptr;
    Call* call = nullptr;
    long operations = 0;
    std::atomic<long> sent{0}, received{0}, failures{0};
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;

    void send_next(long index) {
      (*call)((*keys)[static_cast<std::size_t>(index) % keys->size()], this);
    }
    void on_reply(bool ok) {
      if (!ok) failures.fetch_add(1, std::memory_order_relaxed);
      if (received.fetch_add(1, std::memory_order_relaxed) + 1 == operations) {
        std::lock_guard<std::mutex> lock(mutex);
        done = true;
        finished.notify_one();
        return;
      }
      const long index = sent.fetch_add(1, std::memory_order_relaxed);
      if (index < operations) send_next(index); // keep the window full
    }
  } run;
  run.keys = &keys;
  run.call = &call;
  run.operations = operations;
  const long first = std::min(in_flight, operations);
  run.sent = first;
  const auto begin = Clock::now();
  for (long i = 0; i < first; ++i) run.send_next(i);
  std::unique_lock<std::mutex> lock(run.mutex);
  run.finished.wait(lock, [&] { return run.done; });
  const double rate = static_cast<double>(operations) / seconds_since(begin);
  if (run.failures > 0) throw std::runtime_error(std::to_string(run.failures.load()) + " async calls failed");
  return rate;
}

} // namespace

double async_gets_in_flight(AsyncRedisToolkit& toolkit, const std::vector<std::string>& keys,
                            long in_flight, long operations) {
  return toolkit_window(in_flight, operations, keys, [&toolkit](const std::string& key, auto* run) {
    toolkit.get_raw(key, [run](Result<std::optional<std::string>> result) { run->on_reply(result.ok()); });
  });
}

double async_commands_in_flight(AsyncRedisToolkit& toolkit, const Arguments& command,
                                long in_flight, long operations) {
  const std::vector<std::string> one{std::string()}; // the window walks keys; the command is fixed
  return toolkit_window(in_flight, operations, one, [&](const std::string&, auto* run) {
    toolkit.command(command, [run](Result<Reply> result) { run->on_reply(result.ok()); });
  });
}

double async_getters_in_flight(AsyncRedisToolkit& toolkit, const std::vector<std::string>& keys,
                               long in_flight, long operations) {
  return toolkit_window(in_flight, operations, keys, [&toolkit](const std::string& key, auto* run) {
    // A key without a value would be a wrong figure, not a fast one.
    toolkit.getter(key, [run](Result<std::optional<Value>> result) {
      run->on_reply(result.ok() && result.value().has_value());
    });
  });
}

double async_gets_in_flight(AsyncRedisToolkit& toolkit, const std::string& key, long in_flight,
                            long operations) {
  return async_gets_in_flight(toolkit, std::vector<std::string>{key}, in_flight, operations);
}

namespace {

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

} // namespace

double resident_bytes_per_held_call(const std::string& host, std::uint16_t port, long calls,
                                    const StartCall& start) {
  using namespace std::chrono_literals;
  // The server sleeps (DEBUG SLEEP, on a connection of its own) while the calls are started:
  // they are sent and wait for replies, all of them in flight at once.
  RawConnection sleeper(host, port);
  std::thread sleeping([&] { sleeper.command({"DEBUG", "SLEEP", "1.5"}); });
  std::this_thread::sleep_for(100ms); // the server takes the DEBUG SLEEP before the calls
  ::malloc_trim(0);                   // what earlier runs freed goes back: the growth is these calls'
  const long before = resident_bytes();
  std::atomic<long> completed{0}, failed{0};
  for (long call = 0; call < calls; ++call)
    start([&](bool ok) {
      if (!ok) ++failed;
      ++completed;
    });
  std::this_thread::sleep_for(500ms); // sent by now, answered only after the sleep
  const long after = resident_bytes();
  const bool answered_late = completed.load() == 0;
  const auto deadline = Clock::now() + 30s;
  while (completed.load() < calls && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  sleeping.join();
  if (completed.load() < calls || failed.load() > 0)
    throw std::runtime_error("calls held in flight: " + std::to_string(completed.load()) + " of " +
                             std::to_string(calls) + " answered, " + std::to_string(failed.load()) +
                             " failed");
  if (!answered_late) throw std::runtime_error("calls held in flight: answered during DEBUG SLEEP");
  return static_cast<double>(after - before) / static_cast<double>(calls);
}

double threads_rate(int threads, long operations, const std::function<void()>& operation) {
  std::atomic<long> next{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      while (next.fetch_add(1) < operations) operation();
    });
  for (auto& worker : workers) worker.join();
  return static_cast<double>(operations) / seconds_since(start);
}

namespace {

/// What the caller actors share: the count of requests handed out, and who has finished.
struct ActorRun {
  std::string key;
  long operations = 0;
  std::atomic<long> next{0};
  std::atomic<long> failures{0};
  std::mutex mutex;
  std::condition_variable finished;
  int running = 0;

  void finish_one() {
    std::lock_guard<std::mutex> lock(mutex);
    if (--running == 0) finished.notify_one();
  }
};

void ask_next(caf::event_based_actor* self, const ToolkitActor& toolkit,
              const std::shared_ptr<ActorRun>& run) {
  if (run->next.fetch_add(1) >= run->operations) {
    run->finish_one();
    self->quit();
    return;
  }
  self->request(toolkit, caf::infinite, getter_atom::value, run->key)
      .then([self, toolkit, run](std::optional<Value>&) { ask_next(self, toolkit, run); },
            [self, toolkit, run](caf::error&) {
              ++run->failures;
              ask_next(self, toolkit, run);
            });
}

caf::behavior caller_actor(caf::event_based_actor* self, ToolkitActor toolkit,
                           std::shared_ptr<ActorRun> run) {
  ask_next(self, toolkit, run);
  return {[](int) {}}; // nothing sends it this: the actor lives until it quits in ask_next
}

} // namespace

double actors_rate(AsyncRedisToolkit& toolkit, int actors, long operations, const std::string& key) {
  auto run = std::make_shared<ActorRun>();
  run->key = key;
  run->operations = operations;
  run->running = actors;
  const ToolkitActor toolkit_actor = toolkit.actor();
  const auto start = Clock::now();
  for (int a = 0; a < actors; ++a) toolkit.system().spawn(caller_actor, toolkit_actor, run);
  std::unique_lock<std::mutex> lock(run->mutex);
  run->finished.wait(lock, [&] { return run->running == 0; });
  const double rate = static_cast<double>(operations) / seconds_since(start);
  if (run->failures > 0)
    throw std::runtime_error(std::to_string(run->failures.load()) + " actor GETs failed");
  return rate;
}

} // namespace rtk_bench
