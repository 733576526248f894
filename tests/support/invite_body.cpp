#include "tests/support/invite_body.hpp"

#include "gateway/json/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace igw::test {

namespace net = boost::asio;

std::string invite_body(const std::vector<invitation_spec>& invitations,
                        const std::optional<std::vector<std::string>>& targets)
{
    std::string body;
    json::writer w(body);
    w.begin_object();
    w.key("invitations").begin_array();
    for (const auto& item : invitations) {
        w.begin_object();
        w.member("email", item.email);
        w.member("role", item.role);
        if (item.ref)
            w.member("ref", *item.ref);
        w.end_object();
    }
    w.end_array();
    if (targets) {
        w.key("targets").begin_array();
        for (const auto& target : *targets)
            w.string(target);
        w.end_array();
    }
    w.end_object();
    return body;
}

std::uint16_t closed_port()
{
    net::io_context ioc;
    net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    const std::uint16_t port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

} // namespace igw::test
