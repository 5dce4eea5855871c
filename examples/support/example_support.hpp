#pragma once
// Small helpers the examples share; they are not part of the library.

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace example {

/// Records failed checks; the tour keeps going so that one run shows every problem.
class Checks {
public:
  void expect(bool passed, const std::string& what) {
    if (!passed) std::cout << "FAILED: " << what << "\n";
    failed_ = failed_ || !passed;
  }
  int finish(const std::string& name) const {
    std::cout << name << (failed_ ? ": FAILED" : ": ok") << "\n";
    return failed_ ? 1 : 0;
  }

private:
  bool failed_ = false;
};

/// Actors of ours, ended when the scope is left (by an exception too): the actor system waits for
/// every actor before it shuts down, so a forgotten one would hang the program at exit.
class OwnedActors {
public:
  OwnedActors() = default;
  OwnedActors(const OwnedActors&) = delete;
  OwnedActors& operator=(const OwnedActors&) = delete;
  ~OwnedActors() {
    for (const auto& actor : actors_) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }
  caf::actor add(caf::actor actor) {
    actors_.push_back(actor);
    return actor;
  }

private:
  std::vector<caf::actor> actors_;
};

} // namespace example
