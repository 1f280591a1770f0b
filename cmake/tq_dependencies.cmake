# tq_dependencies: imported targets for every library tlsqual uses (Debian 12 packages).
# TLS libraries are never linked two into one executable: see docs/DEVELOPING.md.

find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent libevent_openssl)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(CRITERION REQUIRED IMPORTED_TARGET criterion)
