// The blocking API in one page: values of every kind, TTLs, batches, deletes.
// Runs against 127.0.0.1:6379, or a throwaway redis-server when nothing answers there.
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <iostream>

using redis_toolkit::Value;

int main() try {
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  std::cout << "Redis: " << local.describe() << "\n";
  redis_toolkit::RedisToolkit toolkit(local.config());

  // Values keep their type: what you store is what you get back.
  Value user = Value::dict({{"name", "Ada"}, {"age", 36}, {"langs", Value::list({"C++", "Python"})}});
  toolkit.setter("example:user", user);
  Value back = toolkit.getter("example:user").value();
  std::cout << "user  -> " << back << "\n";

  toolkit.setter("example:flag", true);
  toolkit.setter("example:blob", Value::bytes(std::string("\x00\x01\x02", 3)));
  std::cout << "flag  -> " << *toolkit.getter("example:flag") << "\n";
  std::cout << "blob  -> " << *toolkit.getter("example:blob") << "\n";

  // Missing keys are "no value"; a stored None is a value.
  toolkit.setter("example:nothing", Value());
  std::cout << "none stored -> " << *toolkit.getter("example:nothing")
            << ", missing -> " << (toolkit.getter("example:missing") ? "a value" : "no value") << "\n";

  toolkit.setter_with_ttl("example:session", "token-123", std::chrono::minutes(30));
  std::cout << "session ttl -> " << toolkit.get_ttl("example:session") << " s\n";

  toolkit.batch_set({{"example:a", 1}, {"example:b", 2.5}, {"example:c", "three"}});
  for (const auto& [key, value] : toolkit.batch_get({"example:c", "example:a", "example:zz"}))
    std::cout << "batch " << key << " -> " << (value ? value->to_string() : "(missing)") << "\n";

  auto removed = toolkit.batch_delete({"example:a", "example:b", "example:c", "example:user",
                                       "example:flag", "example:blob", "example:nothing",
                                       "example:session"});
  std::cout << "removed " << removed << " keys\n";

  const bool ok = back == user && removed == 8 && toolkit.health_check();
  std::cout << (ok ? "basic_usage: ok" : "basic_usage: FAILED") << "\n";
  return ok ? 0 : 1;
} catch (const std::exception& error) {
  std::cerr << "basic_usage: " << error.what() << "\n";
  return 1;
}
