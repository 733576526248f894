#pragma once
// Email addresses as the gateway accepts them: a practical subset of RFC 5321/5322
// that every vendor behind it also accepts (dot-atom local part, DNS host name).

#include <optional>
#include <string>
#include <string_view>

namespace igw::canonical {

// Trims ASCII whitespace at both ends and lower-cases ASCII letters, so that two
// spellings of one mailbox compare equal. Other bytes are left as they are.
std::string normalise_email(std::string_view raw);

// nullopt when `normalised` (the result of normalise_email) is acceptable, else a
// short reason meant to follow "invalid email address: ". The reason is a literal
// and never quotes the input.
std::optional<std::string_view> email_problem(std::string_view normalised);

} // namespace igw::canonical
