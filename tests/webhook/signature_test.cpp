#include "gateway/webhook/signature.hpp"

#include "gateway/json/base64.hpp"
#include "tests/support/files.hpp"
#include "tests/support/paths.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace webhook = igw::webhook;

namespace {

// The Standard Webhooks reference libraries' own test vector (standard-webhooks
// libraries/python/tests/test_webhooks.py, test_sign_function): reproducing it is what
// says a receiver's library accepts what the gateway sends.
constexpr std::string_view vector_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view vector_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t vector_timestamp = 1614265330;
constexpr std::string_view vector_body = R"({"test": 2432232314})";
constexpr std::string_view vector_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

std::string secret_of_length(std::size_t bytes) { return "whsec_" + igw::json::base64(std::string(bytes, '\x5a')); }

// Exit status of `command` run by the shell, or -1 when it did not exit normally.
int run(const std::string& command)
{
    const int status = std::system(command.c_str());
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

boost::test_tools::assertion_result python3_available(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(run("command -v python3 >/dev/null 2>&1") == 0);
    result.message() << "python3 is not installed: scripts/verify-webhook cannot run";
    return result;
}

std::string verifier() { return igw::test::test_data_dir() + "/../scripts/verify-webhook"; }

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::int64_t unix_now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

BOOST_AUTO_TEST_CASE(sign_reproduces_the_specification_test_vector)
{
    const auto key = webhook::parse_secret(vector_secret);
    BOOST_TEST_REQUIRE(key.has_value());
    BOOST_TEST(key->key.size() == 24u);
    BOOST_TEST(webhook::sign(*key, vector_id, vector_timestamp, vector_body) == vector_signature);
}

BOOST_AUTO_TEST_CASE(sign_covers_the_id_the_timestamp_and_every_body_byte)
{
    const auto key = webhook::parse_secret(vector_secret);
    BOOST_TEST_REQUIRE(key.has_value());
    BOOST_TEST(webhook::sign(*key, "msg_p5jXN8AQM9LWM0D4loKWxJeK", vector_timestamp, vector_body) != vector_signature);
    BOOST_TEST(webhook::sign(*key, vector_id, vector_timestamp + 1, vector_body) != vector_signature);
    BOOST_TEST(webhook::sign(*key, vector_id, vector_timestamp, R"({"test": 2432232314} )") != vector_signature);
    // The body may hold any byte, NUL included: it is signed as bytes, not as a C string.
    const std::string with_nul("a\0b", 3);
    BOOST_TEST(webhook::sign(*key, vector_id, vector_timestamp, with_nul) !=
               webhook::sign(*key, vector_id, vector_timestamp, "a"));
}

BOOST_AUTO_TEST_CASE(parse_secret_keeps_the_key_bytes_within_the_specification_bounds)
{
    BOOST_TEST(webhook::parse_secret(secret_of_length(24))->key == std::string(24, '\x5a'));
    BOOST_TEST(webhook::parse_secret(secret_of_length(64))->key.size() == 64u);
}

BOOST_AUTO_TEST_CASE(parse_secret_rejects_what_is_not_a_whsec_secret)
{
    // Without the prefix: the reference libraries accept it, but a config that lost it
    // is more likely a pasted API key than a signing secret.
    BOOST_TEST(!webhook::parse_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    BOOST_TEST(!webhook::parse_secret("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    BOOST_TEST(!webhook::parse_secret(""));
    BOOST_TEST(!webhook::parse_secret("whsec_"));
    BOOST_TEST(!webhook::parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"));    // not a multiple of 4
    BOOST_TEST(!webhook::parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w"));   // URL-safe alphabet
    BOOST_TEST(!webhook::parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")); // pasted with a newline
    BOOST_TEST(!webhook::parse_secret(" whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    BOOST_TEST(!webhook::parse_secret(secret_of_length(23)));
    BOOST_TEST(!webhook::parse_secret(secret_of_length(65)));
}

BOOST_AUTO_TEST_CASE(the_independent_verifier_accepts_the_test_vector,
                     *boost::unit_test::precondition(python3_available))
{
    igw::test::temp_dir dir;
    const std::string body = dir.write("body", vector_body);
    const std::string args = " --id " + quoted(vector_id) + " --timestamp " + std::to_string(vector_timestamp) +
                             " --signature " + quoted(vector_signature) + " --body " + body + " " +
                             quoted(vector_secret);
    BOOST_TEST(run(verifier() + " --no-time-check" + args + " >/dev/null") == 0);
    // Five years old: rejected unless told to replay.
    BOOST_TEST(run(verifier() + args + " 2>/dev/null") == 1);
}

BOOST_AUTO_TEST_CASE(the_independent_verifier_accepts_what_sign_produces_now,
                     *boost::unit_test::precondition(python3_available))
{
    const std::string secret_text = secret_of_length(32);
    const auto key = webhook::parse_secret(secret_text);
    BOOST_TEST_REQUIRE(key.has_value());
    const std::string id = "job_2kq8v1";
    const std::string body = R"({"type":"invitation.job.completed","data":{"id":"j1"}})";
    const std::int64_t now = unix_now();

    igw::test::temp_dir dir;
    // As the receiver got it: request line, headers, blank line, body.
    const auto dump = [&](std::int64_t timestamp, std::string_view sent_body) {
        return dir.write("dump", "POST /hooks HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\n"
                                 "webhook-id: " +
                                     id + "\r\nwebhook-timestamp: " + std::to_string(timestamp) +
                                     "\r\nwebhook-signature: " + webhook::sign(*key, id, timestamp, body) + "\r\n\r\n" +
                                     std::string(sent_body));
    };
    BOOST_TEST(run(verifier() + " " + secret_text + " < " + dump(now, body) + " >/dev/null") == 0);
    // A body changed on the way, or the wrong secret: rejected.
    BOOST_TEST(run(verifier() + " " + secret_text + " < " + dump(now, body + " ") + " 2>/dev/null") == 1);
    BOOST_TEST(run(verifier() + " " + secret_of_length(33) + " < " + dump(now, body) + " 2>/dev/null") == 1);
    // Older than five minutes (or as far ahead): a replay, rejected unless allowed.
    BOOST_TEST(run(verifier() + " " + secret_text + " < " + dump(now - 400, body) + " 2>/dev/null") == 1);
    BOOST_TEST(run(verifier() + " " + secret_text + " < " + dump(now + 400, body) + " 2>/dev/null") == 1);
    BOOST_TEST(run(verifier() + " --tolerance 600 " + secret_text + " < " + dump(now - 400, body) + " >/dev/null") ==
               0);
}
