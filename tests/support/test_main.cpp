// The single Boost.Test entry point shared by the unit and integration executables.
#define BOOST_TEST_MODULE redis_toolkit_tests
#include <boost/test/unit_test.hpp>
