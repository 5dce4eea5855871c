// Your own C++ types, stored through cereal (a binary format: for C++ readers only).
#include <redis_toolkit/local_redis.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <iostream>

struct Position {
  double latitude = 0;
  double longitude = 0;
  template <class Archive>
  void serialize(Archive& archive) { archive(latitude, longitude); }
};

struct Vehicle {
  std::string id;
  std::vector<Position> route;
  std::map<std::string, int> counters;
  template <class Archive>
  void serialize(Archive& archive) { archive(id, route, counters); }
};

// A stable name keeps stored values readable by programs built with another compiler.
RTK_TYPE_NAME(Vehicle, "example.Vehicle");

int main() try {
  auto local = redis_toolkit::LocalRedis::connect_or_start();
  redis_toolkit::RedisToolkit toolkit(local.config());

  Vehicle truck{"truck-7", {{52.52, 13.40}, {48.85, 2.35}}, {{"stops", 2}, {"alerts", 0}}};
  toolkit.set("example:vehicle", truck);
  std::optional<Vehicle> back = toolkit.get<Vehicle>("example:vehicle");
  std::cout << "read back " << back->id << " with " << back->route.size() << " positions, "
            << back->counters.at("stops") << " stops\n";

  // Reading it as another type is a typed error, not undefined behaviour.
  try {
    toolkit.get<Position>("example:vehicle");
    std::cout << "typed_values: FAILED (wrong type accepted)\n";
    return 1;
  } catch (const redis_toolkit::SerializationError& error) {
    std::cout << "wrong type refused: " << error.what() << "\n";
  }
  toolkit.deleter("example:vehicle");
  const bool ok = back->id == truck.id && back->route.size() == 2;
  std::cout << (ok ? "typed_values: ok" : "typed_values: FAILED") << "\n";
  return ok ? 0 : 1;
} catch (const std::exception& error) {
  std::cerr << "typed_values: " << error.what() << "\n";
  return 1;
}
