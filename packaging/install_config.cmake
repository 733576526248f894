# Run by `cmake --install` (and by CPack): lays out the files whose content depends on the
# prefix chosen at install time, which is known only now (`--prefix` overrides the one
# configured). Under the /usr prefix (the .deb), configuration goes to /etc, as Debian wants;
# under any other prefix P, to P/etc.
#   P/etc/invitegw/gateway.yaml            the shipped config, reading P/share/invitegw/providers
#   P/etc/invitegw/invitegw.env.example    the environment it reads
#   P/lib/systemd/system/invitegw.service  the unit, pointing at P/bin and that etc folder
# IGW_SOURCE_DIR and IGW_BINARY_DIR are set by the install(CODE) line before this file.

set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(sysconf "/etc")
else()
  set(sysconf "${prefix}/etc")
endif()
set(stage "${IGW_BINARY_DIR}/install_stage")
file(MAKE_DIRECTORY "${stage}")

# The shipped config names no providers_dir (it reads ../providers beside config/): the
# installed one reads the mappings installed under share.
file(READ "${IGW_SOURCE_DIR}/config/gateway.yaml" config)
string(FIND "${config}" "\nlisten:" at)
if(at LESS 0)
  message(FATAL_ERROR "config/gateway.yaml has no top-level listen: line to put providers_dir before")
endif()
string(SUBSTRING "${config}" 0 ${at} head)
string(SUBSTRING "${config}" ${at} -1 tail)
file(WRITE "${stage}/gateway.yaml"
     "${head}\n# The provider mappings installed with the gateway.\n"
     "providers_dir: ${prefix}/share/invitegw/providers\n${tail}")

# The unit's own header speaks of the .deb's paths: the installed one gets a header of its own.
file(READ "${IGW_SOURCE_DIR}/config/invitegw.service" unit)
string(FIND "${unit}" "[Unit]" at)
string(SUBSTRING "${unit}" ${at} -1 unit)
string(REPLACE "/usr/bin/invitegw" "${prefix}/bin/invitegw" unit "${unit}")
string(REPLACE "/etc/invitegw/" "${sysconf}/invitegw/" unit "${unit}")
file(WRITE "${stage}/invitegw.service"
     "# systemd unit for Invite Gateway (installed under ${prefix}). Put the secrets in\n"
     "# ${sysconf}/invitegw/invitegw.env (from invitegw.env.example beside it, chmod 600), then:\n"
     "#   systemctl daemon-reload && systemctl enable --now invitegw\n"
     "#   systemctl reload invitegw      # re-reads the config and mappings (SIGHUP)\n"
     "${unit}")

file(INSTALL DESTINATION "${sysconf}/invitegw" TYPE FILE FILES "${stage}/gateway.yaml"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL DESTINATION "${sysconf}/invitegw" TYPE FILE
     FILES "${IGW_SOURCE_DIR}/config/invitegw.env.example"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL DESTINATION "${prefix}/lib/systemd/system" TYPE FILE FILES "${stage}/invitegw.service"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
