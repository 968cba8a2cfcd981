# SPDX-License-Identifier: BSD-2-Clause
# package.cmake - Debian packages with CPack (scripts/package.sh; `cpack -G DEB` in a build tree).
#
#   mstack                daemon, mstackctl, the apps, unit, /etc/mstack/mstackd.conf (conffile), man pages
#   libmstack-client1     the shared client library, named after its SONAME (Debian policy 8.1)
#   libmstack-client-dev  headers, the .so link, the static library, libmstack-client.pc
#
# The installed paths are this build's (configure with -DCMAKE_INSTALL_PREFIX=/usr, the default).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mstack)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "the mstack authors")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
# DESTDIR staging: /etc/mstack and the unit directory are absolute paths.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL daemon lib dev)
set(MSTACK_DEB_MAINTAINER "mstack maintainers <mstack@example.org>" CACHE STRING "Maintainer: of the Debian packages")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MSTACK_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/mstack")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies computed by dpkg-shlibdeps; the shlibs file of libmstack-client1 lets it
# resolve the apps' libmstack-client.so.1 to that package.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR} ${CMAKE_BINARY_DIR}/tcp)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(deb ${CMAKE_SOURCE_DIR}/packaging/deb)
set(v ${PROJECT_VERSION})

set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME mstack)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SECTION net)
# The PMDs are plugins (dlopen), invisible to dpkg-shlibdeps: the TAP exception port is always
# needed; ixgbe drives the 82599, af_packet the veth test bed (other NICs need neither); dpdk has
# dpdk-devbind.py and dpdk-hugepages.py. adduser: postinst's addgroup.
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "adduser, libmstack-client1 (= ${v}), librte-net-tap23")
set(CPACK_DEBIAN_DAEMON_PACKAGE_RECOMMENDS "dpdk, librte-net-ixgbe23, librte-net-af-packet23")
# Descriptions: the first line is the synopsis; CPack indents the rest.
set(CPACK_DEBIAN_DAEMON_DESCRIPTION "user-level network stacks sharing a DPDK port with the kernel
mstackd owns a NIC through DPDK, keeps the kernel's stack working through a
TAP port and hands each application the packets of the 3-tuples it has bound.
This package holds the daemon, its systemd unit (not enabled) and
configuration, the admin tool mstackctl, the example apps mstack-echo,
mstack-tcpecho, mstack-pktgen and mstack-pktcount, and the static file server
mstack-httpd.")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA "${deb}/conffiles;${deb}/postinst;${deb}/prerm;${deb}/postrm")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libmstack-client1)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_LIB_DESCRIPTION "client library of mstack (attach user-level stacks to mstackd)
libmstack-client lets an application attach to mstackd, bind 3-tuples and
exchange packets with it through shared-memory rings. It needs only libc.
libmstack-tcp, the reference user-level TCP/IP stack on top of it, is here too.")
# CPack 3.25 also writes postinst/postrm calling ldconfig; the trigger is what policy asks for.
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA "${deb}/triggers")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libmstack-client-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libmstack-client1 (= ${v})")
set(CPACK_DEBIAN_DEV_DESCRIPTION "client library of mstack (development files)
Headers (mstack/), the static library and libmstack-client.pc for
pkg-config, to build applications that attach to mstackd.")

# Every package carries the license and the changelog (packages only: EXCLUDE_FROM_ALL keeps them out
# of a plain `cmake --install`).
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/changelog.gz
  COMMAND sh -c "gzip -9n -c \"$0\" > \"$1\"" ${deb}/changelog ${CMAKE_BINARY_DIR}/changelog.gz
  DEPENDS ${deb}/changelog VERBATIM)
add_custom_target(deb-changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/changelog.gz)
foreach(c daemon lib dev)
  string(TOUPPER ${c} C)
  install(FILES ${deb}/copyright ${CMAKE_BINARY_DIR}/changelog.gz
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${CPACK_DEBIAN_${C}_PACKAGE_NAME} COMPONENT ${c} EXCLUDE_FROM_ALL)
endforeach()

include(CPack)
