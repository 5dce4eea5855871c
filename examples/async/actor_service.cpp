// A message-driven service in CAF actors. Order workers receive (order_atom, order) jobs, price
// each order with data read through the typed toolkit actor, store the accepted ones and publish
// every outcome on a channel; a collector actor subscribed to that channel hands the outcomes to
// main(). No actor ever blocks: each Redis step is a request(...).then(...), and the worker's
// mailbox keeps being served while a reply is on its way.
#include <redis_toolkit/actor_system.hpp>
#include <redis_toolkit/async_toolkit.hpp>
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit_actor.hpp>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <chrono>
#include <iostream>
#include <map>

#include "example_support.hpp"

using example::Checks;
using example::OwnedActors;
using redis_toolkit::ToolkitActor;
using redis_toolkit::Value;

namespace {

using order_atom = caf::atom_constant<caf::atom("order")>;
using outcomes_atom = caf::atom_constant<caf::atom("outcomes")>;

const std::string results_channel = "example:async:order-results";

std::string price_key(const std::string& item) { return "example:async:price:" + item; }
std::string order_key(std::int64_t id) { return "example:async:order:" + std::to_string(id); }

// ---- the order worker ----

/// One order worker's steps. Each continuation carries a copy (a pointer and two handles); `self`
/// is valid whenever a continuation runs, since CAF runs them inside the actor.
struct Worker {
  caf::event_based_actor* self;
  std::int64_t index;
  ToolkitActor toolkit;

  /// Step 1: look up the item's price.
  void on_order(const Value& order) const {
    const std::string& item = order.find("item")->as_string();
    self->request(toolkit, caf::infinite, redis_toolkit::getter_atom::value, price_key(item))
        .then(
            [worker = *this, order](std::optional<Value>& price) { worker.on_price(order, price); },
            [worker = *this, order](caf::error& error) {
              worker.publish_error(order.find("id")->as_int(), error);
            });
  }

  /// Step 2: price known (or not); store the accepted order, then announce it.
  void on_price(const Value& order, const std::optional<Value>& price) const {
    const std::int64_t id = order.find("id")->as_int();
    if (!price) {
      publish(Value::dict({{"id", id}, {"status", "rejected"}, {"reason", "unknown item"}}));
      return;
    }
    Value record = order;
    record.set("total", price->as_double() * static_cast<double>(order.find("qty")->as_int()));
    self->request(toolkit, caf::infinite, redis_toolkit::setter_atom::value, order_key(id), record)
        .then(
            [worker = *this, id, total = *record.find("total")](bool) {
              worker.publish(Value::dict({{"id", id}, {"status", "accepted"}, {"total", total}}));
            },
            [worker = *this, id](caf::error& error) { worker.publish_error(id, error); });
  }

  /// The last step of every order, whatever became of it. A failed PUBLISH leaves the order
  /// without an outcome, which main() notices.
  void publish(Value outcome) const {
    outcome.set("worker", index);
    self->request(toolkit, caf::infinite, redis_toolkit::publish_atom::value, results_channel,
                  std::move(outcome))
        .then([](std::int64_t) {},
              [](caf::error& error) {
                std::cerr << "publish failed: " << redis_toolkit::error_text(error) << "\n";
              });
  }

  /// A toolkit error as an outcome: its kind says whether the input (refused) or Redis (failed)
  /// was at fault; rethrow_error(error) would give back the typed exception.
  void publish_error(std::int64_t id, const caf::error& error) const {
    const bool refused = redis_toolkit::error_kind(error) == redis_toolkit::ErrorKind::validation;
    publish(Value::dict({{"id", id},
                         {"status", refused ? "refused" : "failed"},
                         {"error", redis_toolkit::error_text(error)}}));
  }
};

caf::behavior order_worker(caf::event_based_actor* self, std::int64_t index, ToolkitActor toolkit) {
  Worker worker{self, index, std::move(toolkit)};
  return {
      [worker](order_atom, const Value& order) { worker.on_order(order); },
  };
}

// ---- the collector: a subscription handler actor ----

/// Gathers outcomes from the results channel; once `expected` arrived, sends them to `report_to`.
caf::behavior collect_outcomes(caf::stateful_actor<std::vector<Value>>* self, std::size_t expected,
                               caf::actor report_to) {
  return {
      [=](redis_toolkit::message_atom, const std::string&, const Value& outcome) {
        std::cout << "  outcome " << outcome << "\n";
        self->state.push_back(outcome);
        if (self->state.size() == expected)
          self->send(report_to, outcomes_atom::value, Value::list(self->state));
      },
  };
}

// ---- main ----

std::vector<Value> make_orders() {
  auto order = [](std::int64_t id, std::string item, std::int64_t qty) {
    return Value::dict({{"id", id}, {"item", std::move(item)}, {"qty", qty}});
  };
  return {order(1, "tea", 2), order(2, "cake", 1), order(3, "coffee", 1), order(4, "tea", 4),
          order(5, std::string(600, 'x'), 1)}; // a key of 600+ bytes is refused by validation
}

/// The outcomes by order id.
std::map<std::int64_t, Value> by_id(const Value& outcomes) {
  std::map<std::int64_t, Value> indexed;
  for (const Value& outcome : outcomes.items()) indexed[outcome.find("id")->as_int()] = outcome;
  return indexed;
}

bool has(const std::map<std::int64_t, Value>& outcomes, std::int64_t id,
         const std::string& status) {
  auto found = outcomes.find(id);
  return found != outcomes.end() && *found->second.find("status") == Value(status);
}

void verify(redis_toolkit::AsyncRedisToolkit& toolkit,
            const std::map<std::int64_t, Value>& outcomes, Checks& checks) {
  checks.expect(outcomes.size() == 5, "every order has an outcome");
  checks.expect(has(outcomes, 1, "accepted") && has(outcomes, 2, "accepted") &&
                    has(outcomes, 4, "accepted"),
                "orders of known items are accepted");
  checks.expect(has(outcomes, 3, "rejected"), "an unknown item is rejected");
  checks.expect(has(outcomes, 5, "refused"), "a too-long item name is refused by validation");

  const auto stored = toolkit.batch_get({order_key(1), order_key(3), order_key(4)}).get();
  checks.expect(stored[0].second && *stored[0].second->find("total") == Value(5.0) &&
                    !stored[1].second && stored[2].second &&
                    *stored[2].second->find("total") == Value(10.0),
                "accepted orders are stored with their totals, rejected ones are not");
}

} // namespace

int main() try {
  using namespace std::chrono_literals;
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  std::cout << "Redis: " << local.describe() << "\n";
  // The service's own actor system, handed to the toolkit; declared first so that it outlives it.
  caf::actor_system_config config;
  config.load<caf::io::middleman>();
  redis_toolkit::configure_actor_system(config); // the toolkit's scheduling (workers, polling)
  caf::actor_system system{config};
  redis_toolkit::AsyncRedisToolkit toolkit(system, local.config());
  Checks checks;

  toolkit.batch_set({{price_key("tea"), 2.5}, {price_key("cake"), 4.0}}).get(); // the price list
  const std::vector<Value> orders = make_orders();

  caf::scoped_actor main_actor{system};
  OwnedActors actors;
  caf::actor collector = actors.add(
      system.spawn(collect_outcomes, orders.size(), caf::actor_cast<caf::actor>(main_actor)));
  // Subscribed and confirmed before the first order goes out, so no outcome is missed.
  redis_toolkit::Subscription results = toolkit.subscribe({results_channel}, collector).get();

  std::vector<caf::actor> workers;
  for (std::int64_t index = 0; index < 3; ++index)
    workers.push_back(actors.add(system.spawn(order_worker, index, toolkit.actor())));
  std::cout << "-- " << orders.size() << " orders to " << workers.size() << " workers\n";
  for (std::size_t i = 0; i < orders.size(); ++i)
    main_actor->send(workers[i % workers.size()], order_atom::value, orders[i]);

  Value outcomes = Value::list();
  main_actor->receive([&](outcomes_atom, const Value& all) { outcomes = all; },
                      caf::after(10s) >> [] { std::cout << "timed out waiting for outcomes\n"; });
  verify(toolkit, by_id(outcomes), checks);

  std::vector<std::string> keys = {price_key("tea"), price_key("cake")};
  for (std::int64_t id = 1; id <= 5; ++id) keys.push_back(order_key(id));
  checks.expect(toolkit.batch_delete(keys).get() == 5, "cleanup removed the prices and 3 orders");
  return checks.finish("async/actor_service");
} catch (const std::exception& error) {
  std::cerr << "async/actor_service: " << error.what() << "\n";
  return 1;
}
