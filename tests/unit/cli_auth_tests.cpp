// rtk's password sources: REDISCLI_AUTH (redis-cli's convention) when --password is absent, and a
// warning when the password is on the command line, where `ps` shows it to every local user.
#include "../../apps/rtk/cli.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <sstream>

using namespace rtk;

namespace {

/// Sets REDISCLI_AUTH for one test and restores the absence of it afterwards.
struct AuthVariable {
  explicit AuthVariable(const char* value) { ::setenv("REDISCLI_AUTH", value, 1); }
  ~AuthVariable() { ::unsetenv("REDISCLI_AUTH"); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cli_auth_tests)

BOOST_AUTO_TEST_CASE(the_password_comes_from_rediscli_auth_when_not_given) {
  AuthVariable variable("from-env");
  auto invocation = parse_command_line({"get", "k"});
  BOOST_TEST(invocation.config.connection.password.value_or("") == "from-env");
  BOOST_TEST(!invocation.password_on_command_line);
}

BOOST_AUTO_TEST_CASE(password_on_the_command_line_wins_and_is_flagged) {
  AuthVariable variable("from-env");
  auto invocation = parse_command_line({"--password", "typed", "get", "k"});
  BOOST_TEST(invocation.config.connection.password.value_or("") == "typed");
  BOOST_TEST(invocation.password_on_command_line);
}

BOOST_AUTO_TEST_CASE(an_empty_variable_means_no_password) {
  AuthVariable variable("");
  auto invocation = parse_command_line({"get", "k"});
  BOOST_TEST(!invocation.config.connection.password.has_value());
}

BOOST_AUTO_TEST_CASE(run_cli_warns_about_a_password_on_the_command_line_without_printing_it) {
  std::istringstream in;
  std::ostringstream out, err;
  CommandStreams streams{in, out, err};
  // Port 1: nothing listens, the command fails after the warning.
  run_cli({"--password", "s3cret-typed", "--port", "1", "get", "k"}, streams);
  BOOST_TEST(err.str().find("REDISCLI_AUTH") != std::string::npos, err.str());
  BOOST_TEST(err.str().find("s3cret-typed") == std::string::npos, err.str());
}

BOOST_AUTO_TEST_SUITE_END()
