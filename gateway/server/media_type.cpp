#include "gateway/server/media_type.hpp"

#include "gateway/net/ows.hpp"

#include <boost/beast/core/string.hpp>

namespace igw::server {

bool is_json_media_type(std::string_view content_type) noexcept
{
    return boost::beast::iequals(net_text::trim_ows(content_type.substr(0, content_type.find(';'))),
                                 "application/json");
}

} // namespace igw::server
