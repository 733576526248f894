# Writes OUT, a C++ source defining igw::api::openapi_document() as the contents of IN.
file(READ ${IN} content)
file(WRITE ${OUT}
"// Generated from config/openapi.json by gateway/api/embed.cmake; do not edit.
#include \"gateway/api/openapi.hpp\"

namespace igw::api {

std::string_view openapi_document() noexcept
{
    return R\"igw_openapi(${content})igw_openapi\";
}

} // namespace igw::api
")
