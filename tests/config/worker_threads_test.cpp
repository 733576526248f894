// listener.threads: 0 means one worker per core the process may run on, so that a gateway
// in a cpuset (a container, `taskset`) does not start threads that only take turns.

#include "gateway/config/config.hpp"

#include <boost/test/unit_test.hpp>

#include <pthread.h>
#include <sched.h>

#include <thread>

using igw::config::listener_config;
using igw::config::worker_threads;

BOOST_AUTO_TEST_SUITE(worker_thread_count)

BOOST_AUTO_TEST_CASE(a_configured_count_is_taken_as_it_is)
{
    listener_config listener;
    listener.threads = 3;
    BOOST_TEST(worker_threads(listener) == 3u);
}

BOOST_AUTO_TEST_CASE(zero_counts_the_cores_the_process_may_run_on)
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    BOOST_TEST_REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
    BOOST_TEST(worker_threads(listener_config{}) == static_cast<unsigned>(CPU_COUNT(&allowed)));

    // Pinned to one core (as `taskset -c N` starts a process), it is one thread, however
    // many cores the machine has. A thread of its own is pinned, so the test runner is not.
    int first = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE && first < 0; ++cpu)
        if (CPU_ISSET(cpu, &allowed))
            first = cpu;
    BOOST_TEST_REQUIRE(first >= 0);
    unsigned pinned_count = 0;
    bool pinned = false;
    std::thread([&] {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(first, &one);
        pinned = pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
        pinned_count = worker_threads(listener_config{});
    }).join();
    BOOST_TEST_REQUIRE(pinned);
    BOOST_TEST(pinned_count == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
