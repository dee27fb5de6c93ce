# The Windows side of the runner, built on Linux with mingw-w64 and tested
# under Wine, as part of the normal build and CTest run:
#   1. Abseil and Protocol Buffers for Windows, from Debian's source packages
#      (fetched by `deploy/install-deps.sh --windows` with `apt-get source`),
#      built once per machine into a cache outside the clone
#      (/var/cache/mdefleet/win64-deps/<key>, see below) and reused;
#   2. this source tree again, cross-built into <build>/win64 (runner only:
#      common, host, executor, WindowsHost, service glue and their tests);
#   3. CTest runs each Windows test executable under Wine, in a Wine prefix
#      of its own under <build>/wineprefix.
# Off (with a message saying why) when mingw-w64, Wine or the sources are
# missing; `deploy/test.sh` installs all three.
include(ExternalProject)

set(MDEFLEET_DEBIAN_SRC /var/cache/mdefleet/debian-src CACHE PATH
    "Debian source packages of the Windows dependencies (apt-get source)")
set(MDEFLEET_MINGW_SYSROOT /usr/x86_64-w64-mingw32 CACHE PATH
    "mingw-w64's libraries (zlib: libz-mingw-w64-dev)")
find_program(MDEFLEET_MINGW_CXX x86_64-w64-mingw32-g++-posix)
find_program(MDEFLEET_WINE_PROGRAM NAMES wine64 wine)
set(_why "")
foreach(dep absl:abseil protobuf:protobuf openssl:openssl cares:c-ares
            re2:re2 grpc:grpc)
  string(REPLACE ":" ";" dep ${dep})
  list(GET dep 0 var)
  list(GET dep 1 package)
  file(GLOB _${var}_src LIST_DIRECTORIES true
       ${MDEFLEET_DEBIAN_SRC}/${package}-[0-9]*)
  list(FILTER _${var}_src EXCLUDE REGEX "\\.(tar|dsc|asc)")
  if(NOT _${var}_src)
    set(_why "no ${package} sources in ${MDEFLEET_DEBIAN_SRC}")
  endif()
endforeach()
if(NOT MDEFLEET_MINGW_CXX)
  set(_why "x86_64-w64-mingw32-g++-posix not found")
elseif(NOT EXISTS ${MDEFLEET_MINGW_SYSROOT}/lib/libz.a)
  set(_why "no ${MDEFLEET_MINGW_SYSROOT}/lib/libz.a (libz-mingw-w64-dev)")
endif()
option(MDEFLEET_WINDOWS_CROSS
       "Cross-build the Windows runner with mingw-w64 and test it under Wine"
       ON)
if(NOT MDEFLEET_WINDOWS_CROSS)
  return()
endif()
if(_why)
  message(WARNING "Windows cross build skipped: ${_why}. "
                  "Run deploy/install-deps.sh --windows to enable it.")
  return()
endif()

set(_toolchain ${PROJECT_SOURCE_DIR}/cmake/mingw-w64-x86_64.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/windows_deps.cmake)

set(MDEFLEET_WIN64_BINARY_DIR ${CMAKE_BINARY_DIR}/win64)
ExternalProject_Add(win64
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${MDEFLEET_WIN64_BINARY_DIR}
  CMAKE_GENERATOR Ninja
  CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${_toolchain}
             -DCMAKE_BUILD_TYPE=MinSizeRel  # as its dependencies
             -DCMAKE_FIND_ROOT_PATH=${_deps}
             -DMDEFLEET_UNITY_BUILD=${MDEFLEET_UNITY_BUILD}
             -DMDEFLEET_HOST_PROTOC=${Protobuf_PROTOC_EXECUTABLE}
             -DMDEFLEET_HOST_GRPC_CPP_PLUGIN=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
             -DZLIB_LIBRARY=${_mingw_zlib}
             -DZLIB_INCLUDE_DIR=${MDEFLEET_MINGW_SYSROOT}/include
             -DOPENSSL_USE_STATIC_LIBS=ON
  DEPENDS win64_deps
  BUILD_ALWAYS ON  # our sources change; ninja decides what to rebuild
  INSTALL_COMMAND ""
  USES_TERMINAL_BUILD ON)
set(MDEFLEET_RUNNER_EXE
    ${MDEFLEET_WIN64_BINARY_DIR}/runner/service/mdefleet-runner.exe)

# The MSI (deploy/windows/build-msi.sh with wixl), rebuilt with the runner.
set(MDEFLEET_RUNNER_MSI ${CMAKE_BINARY_DIR}/mdefleet-runner.msi)
find_program(MDEFLEET_WIXL wixl)
if(MDEFLEET_WIXL)
  add_custom_target(windows_msi ALL
    COMMAND ${PROJECT_SOURCE_DIR}/deploy/windows/build-msi.sh
            ${MDEFLEET_RUNNER_EXE} ${PROJECT_VERSION} ${MDEFLEET_RUNNER_MSI}
    DEPENDS win64
    BYPRODUCTS ${MDEFLEET_RUNNER_MSI}
    COMMENT "mdefleet-runner.msi"
    VERBATIM)
else()
  message(WARNING "wixl not found (msitools): no MSI is built")
endif()

# The Windows test executables the cross tree builds, run under Wine by CTest.
set(MDEFLEET_WINE_TESTS
  tests/common/common_test
  tests/runner/windows/windows_host_test
  tests/runner/service/runner_service_test)
if(MDEFLEET_WINE_PROGRAM)
  set(_prefix ${CMAKE_BINARY_DIR}/wineprefix)
  set(_wine_env WINEPREFIX=${_prefix} WINEDEBUG=-all WINEDLLOVERRIDES=mscoree,mshtml=)
  # A new prefix takes seconds to create; do it once before the tests.
  # Wait for that Wine session to end (wineserver -w): the session that
  # creates a prefix keeps its own services.exe, and services installed by
  # the tests would vanish between connections.
  find_program(MDEFLEET_WINESERVER wineserver)
  add_test(NAME wine.prefix
    COMMAND sh -c "'${MDEFLEET_WINE_PROGRAM}' wineboot --init && '${MDEFLEET_WINESERVER}' -w")
  set_tests_properties(wine.prefix PROPERTIES
    ENVIRONMENT "${_wine_env}" FIXTURES_SETUP wine LABELS wine TIMEOUT 300)
  foreach(exe IN LISTS MDEFLEET_WINE_TESTS)
    get_filename_component(name ${exe} NAME)
    # Each starts once the previous test's Wine session has ended (bounded):
    # a session still shutting down takes its services.exe with it, and a
    # test's first service call then failed with RPC_S_SERVER_UNAVAILABLE
    # (Win32 error 1722, seen once on a clean clone).
    add_test(NAME wine.${name}
      COMMAND sh -c "timeout 60 '${MDEFLEET_WINESERVER}' -w; exec '${MDEFLEET_WINE_PROGRAM}' '${MDEFLEET_WIN64_BINARY_DIR}/${exe}.exe' --gtest_brief=1")
    set_tests_properties(wine.${name} PROPERTIES
      ENVIRONMENT "${_wine_env}" FIXTURES_REQUIRED wine LABELS wine
      TIMEOUT 600 RESOURCE_LOCK wineprefix)  # they share HKLM in the prefix
  endforeach()
  # The runner needs only Windows system DLLs (statically linked).
  add_test(NAME windows.runner_exe_imports
    COMMAND ${PROJECT_SOURCE_DIR}/tests/deploy/windows/exe_imports_test.sh
            ${MDEFLEET_RUNNER_EXE})
  set_tests_properties(windows.runner_exe_imports PROPERTIES LABELS wine)
  # The MSI's tables, signing, and install/upgrade/uninstall under Wine, in a
  # prefix of its own (tests/deploy/windows/).
  if(MDEFLEET_WIXL)
    add_test(NAME wine.msi_package
      COMMAND ${PROJECT_SOURCE_DIR}/tests/deploy/windows/msi_package_test.sh
              ${MDEFLEET_RUNNER_EXE} ${CMAKE_BINARY_DIR}/msi-test)
    set_tests_properties(wine.msi_package PROPERTIES
      ENVIRONMENT "WINEDEBUG=-all;WINEDLLOVERRIDES=mscoree,mshtml="
      LABELS wine TIMEOUT 600)
  endif()
else()
  message(WARNING "wine not found: the Windows tests are built but not run")
endif()
