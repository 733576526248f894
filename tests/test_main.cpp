// The one definition of the Boost.Test runner shared by every test program.
#define BOOST_TEST_MODULE invite_gateway
#include <boost/test/unit_test.hpp>
