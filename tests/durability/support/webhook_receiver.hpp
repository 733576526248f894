#pragma once
// A webhook receiver on 127.0.0.1 for the job tests: a thread of its own that records every
// request (headers and body) and answers the first `failures` of them 503, then 204.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace igw::durability {

struct received_webhook {
    std::map<std::string, std::string> headers; // names lower-cased
    std::string body;
    unsigned answered = 0;
};

class webhook_receiver {
public:
    explicit webhook_receiver(unsigned failures = 0);
    ~webhook_receiver();
    webhook_receiver(const webhook_receiver&) = delete;
    webhook_receiver& operator=(const webhook_receiver&) = delete;

    std::string url() const; // http://127.0.0.1:PORT/hooks/invitegw
    std::vector<received_webhook> received() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace igw::durability
