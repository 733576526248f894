#include "gateway/server/invite_handler.hpp"

#include "gateway/canonical/problems.hpp"

namespace igw::server {

boost::asio::awaitable<handler_reply> invite_handler::lookup(lookup_request& request)
{
    handler_reply reply;
    const canonical::problem problem = canonical::not_found_problem(
        std::string(request.job ? "/v1/jobs/" : "/v1/requests/") + std::string(request.recorded_id));
    reply.status = problem.status;
    reply.content_type = "application/problem+json";
    problem.write_json(reply.body);
    co_return reply;
}

boost::asio::awaitable<handler_reply> invite_handler::reconcile(lookup_request& request)
{
    handler_reply reply;
    const canonical::problem problem = canonical::not_found_problem("/v1/requests/" + std::string(request.recorded_id) +
                                                                    "/reconcile");
    reply.status = problem.status;
    reply.content_type = "application/problem+json";
    problem.write_json(reply.body);
    co_return reply;
}

} // namespace igw::server
