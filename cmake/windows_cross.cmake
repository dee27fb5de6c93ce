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
    "Debian source packages of abseil and protobuf (apt-get source)")
find_program(MDEFLEET_MINGW_CXX x86_64-w64-mingw32-g++-posix)
find_program(MDEFLEET_WINE_PROGRAM NAMES wine64 wine)
file(GLOB _absl_src LIST_DIRECTORIES true
     ${MDEFLEET_DEBIAN_SRC}/abseil-[0-9]*)
file(GLOB _protobuf_src LIST_DIRECTORIES true
     ${MDEFLEET_DEBIAN_SRC}/protobuf-[0-9]*)

set(_why "")
if(NOT MDEFLEET_MINGW_CXX)
  set(_why "x86_64-w64-mingw32-g++-posix not found")
elseif(NOT _absl_src OR NOT _protobuf_src)
  set(_why "no abseil/protobuf sources in ${MDEFLEET_DEBIAN_SRC}")
endif()
option(MDEFLEET_WINDOWS_CROSS
       "Cross-build the Windows runner code with mingw-w64 and test it under Wine"
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

# The Windows dependencies are expensive and change only with their source
# packages and the toolchain, so they are built once per machine into a cache
# outside the clone, keyed by exactly those: the source package folders (their
# names carry the Debian versions), the mingw-w64 compiler's version, the
# toolchain file and this file's build settings. A later clone (or a clean
# build) on the same machine reuses them. Empty MDEFLEET_DEPS_CACHE: no cache.
set(MDEFLEET_DEPS_CACHE /var/cache/mdefleet/win64-deps CACHE PATH
    "Where the Windows dependencies built for a toolchain are kept and reused")
execute_process(COMMAND ${MDEFLEET_MINGW_CXX} --version
                OUTPUT_VARIABLE _mingw_version ERROR_QUIET)
file(READ ${_toolchain} _toolchain_text)
set(_absl_args -DABSL_PROPAGATE_CXX_STD=ON -DBUILD_TESTING=OFF
               -DABSL_ENABLE_INSTALL=ON)
# libprotobuf only: code is generated with the Linux protoc of the same
# release, so the Windows protoc is not needed.
set(_protobuf_args -Dprotobuf_BUILD_TESTS=OFF
    -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF
    -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF)
set(_common_args -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=20)
set(_deps_settings "${_absl_src};${_absl_args};${_protobuf_src};"
    "${_protobuf_args};${_common_args};${_mingw_version};${_toolchain_text}")
string(SHA256 _deps_key "${_deps_settings}")
string(SUBSTRING ${_deps_key} 0 16 _deps_key)

set(_deps_cached FALSE)
if(MDEFLEET_DEPS_CACHE)
  # Not writable (a build as an unprivileged user): build without the cache.
  # (Two calls: the COMMANDs of one execute_process run as a pipeline.)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E make_directory ${MDEFLEET_DEPS_CACHE}
    OUTPUT_QUIET ERROR_QUIET)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E touch ${MDEFLEET_DEPS_CACHE}/.writable
    RESULT_VARIABLE _not_writable OUTPUT_QUIET ERROR_QUIET)
  if(_not_writable)
    message(STATUS "Windows dependencies: ${MDEFLEET_DEPS_CACHE} is not "
                   "writable; building them in this tree only")
    set(MDEFLEET_DEPS_CACHE "")
  endif()
endif()
if(MDEFLEET_DEPS_CACHE)
  set(_deps_cache_dir ${MDEFLEET_DEPS_CACHE}/${_deps_key})
  if(EXISTS ${_deps_cache_dir}/.complete)
    set(_deps_cached TRUE)
  endif()
endif()

if(_deps_cached)
  set(_deps ${_deps_cache_dir})
  message(STATUS "Windows dependencies: reusing ${_deps}")
  add_custom_target(win64_deps)
else()
  set(_deps ${CMAKE_BINARY_DIR}/win64-deps)
  set(_cross_args
    -DCMAKE_TOOLCHAIN_FILE=${_toolchain}
    ${_common_args}
    -DCMAKE_INSTALL_PREFIX=${_deps}
    -DCMAKE_FIND_ROOT_PATH=${_deps})

  ExternalProject_Add(win64_absl
    SOURCE_DIR ${_absl_src}
    BINARY_DIR ${CMAKE_BINARY_DIR}/win64-deps-build/absl
    INSTALL_DIR ${_deps}
    CMAKE_GENERATOR Ninja
    CMAKE_ARGS ${_cross_args} ${_absl_args}
    LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON LOG_OUTPUT_ON_FAILURE ON)

  ExternalProject_Add(win64_protobuf
    SOURCE_DIR ${_protobuf_src}
    BINARY_DIR ${CMAKE_BINARY_DIR}/win64-deps-build/protobuf
    INSTALL_DIR ${_deps}
    CMAKE_GENERATOR Ninja
    CMAKE_ARGS ${_cross_args} ${_protobuf_args}
    LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON LOG_OUTPUT_ON_FAILURE ON)

  # Once both are installed, publish a copy into the cache: copied to a
  # private folder, then renamed into place, so a concurrent build never
  # sees half a cache entry (the loser of a race drops its copy).
  if(MDEFLEET_DEPS_CACHE)
    set(_publish ${CMAKE_BINARY_DIR}/win64-deps-publish.cmake)
    file(WRITE ${_publish} "
      if(EXISTS \"${_deps_cache_dir}/.complete\")
        return()
      endif()
      string(RANDOM LENGTH 16 suffix)
      set(tmp \"${_deps_cache_dir}.tmp-\${suffix}\")
      file(REMOVE_RECURSE \"\${tmp}\")
      file(COPY \"${_deps}/\" DESTINATION \"\${tmp}\")
      file(WRITE \"\${tmp}/.complete\" \"${_deps_key}\")
      file(RENAME \"\${tmp}\" \"${_deps_cache_dir}\" RESULT moved)
      if(NOT moved STREQUAL \"0\")
        file(REMOVE_RECURSE \"\${tmp}\")
      endif()
      message(STATUS \"Windows dependencies cached in ${_deps_cache_dir}\")
    ")
    add_custom_target(win64_deps
      COMMAND ${CMAKE_COMMAND} -P ${_publish}
      DEPENDS win64_absl win64_protobuf
      VERBATIM)
  else()
    add_custom_target(win64_deps DEPENDS win64_absl win64_protobuf)
  endif()
endif()

set(MDEFLEET_WIN64_BINARY_DIR ${CMAKE_BINARY_DIR}/win64)
ExternalProject_Add(win64
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${MDEFLEET_WIN64_BINARY_DIR}
  CMAKE_GENERATOR Ninja
  CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${_toolchain}
             -DCMAKE_BUILD_TYPE=Release
             -DCMAKE_FIND_ROOT_PATH=${_deps}
             -DMDEFLEET_HOST_PROTOC=${Protobuf_PROTOC_EXECUTABLE}
  DEPENDS win64_deps
  BUILD_ALWAYS ON  # our sources change; ninja decides what to rebuild
  INSTALL_COMMAND ""
  USES_TERMINAL_BUILD ON)

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
    add_test(NAME wine.${name}
      COMMAND ${MDEFLEET_WINE_PROGRAM} ${MDEFLEET_WIN64_BINARY_DIR}/${exe}.exe
              --gtest_brief=1)
    set_tests_properties(wine.${name} PROPERTIES
      ENVIRONMENT "${_wine_env}" FIXTURES_REQUIRED wine LABELS wine
      TIMEOUT 600 RESOURCE_LOCK wineprefix)  # they share HKLM in the prefix
  endforeach()
else()
  message(WARNING "wine not found: the Windows tests are built but not run")
endif()
