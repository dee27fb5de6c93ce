# Dependencies of a Windows build (runner only).
#
# mingw-w64 cross build from Linux: Abseil, Protocol Buffers, OpenSSL, c-ares,
# RE2 and gRPC were built for Windows from Debian's source packages
# (cmake/windows_deps.cmake) and are found through CMAKE_FIND_ROOT_PATH;
# protoc and grpc_cpp_plugin are the Linux ones of the same releases; zlib is
# Debian's libz-mingw-w64-dev; GoogleTest is built from /usr/src/googletest.
#
# MSVC: everything comes from vcpkg (vcpkg.json).
find_package(absl CONFIG REQUIRED)
find_package(Protobuf CONFIG REQUIRED)
if(NOT MSVC)
  # Static OpenSSL (adds ws2_32 and crypt32) and the static zlib, before
  # gRPC's config looks for them.
  set(OPENSSL_USE_STATIC_LIBS ON)
  set(ZLIB_USE_STATIC_LIBS ON)
  find_package(ZLIB REQUIRED)
else()
  find_package(ZLIB REQUIRED)  # the runner's evidence gzip (vcpkg zlib)
endif()
find_package(OpenSSL REQUIRED)  # TLS client key and CSR (common/tls)
find_package(gRPC CONFIG REQUIRED)
find_package(CLI11 CONFIG QUIET)

if(NOT TARGET protobuf::protoc)
  # Cross build: generate code with the build machine's protoc, which must be
  # the same release as the libprotobuf built for Windows.
  find_program(MDEFLEET_HOST_PROTOC protoc REQUIRED)
  find_program(MDEFLEET_HOST_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
  add_executable(protobuf::protoc IMPORTED)
  set_target_properties(protobuf::protoc PROPERTIES
    IMPORTED_LOCATION ${MDEFLEET_HOST_PROTOC})
endif()

if(MSVC)
  find_package(GTest CONFIG REQUIRED)
else()
  set(MDEFLEET_GTEST_SOURCE_DIR /usr/src/googletest CACHE PATH
      "GoogleTest sources (Debian: googletest package)")
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  set(gtest_force_shared_crt ON CACHE BOOL "" FORCE)
  add_subdirectory(${MDEFLEET_GTEST_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL SYSTEM)
endif()

# Windows Server 2012 R2 is the oldest supported target; W APIs explicitly.
add_compile_definitions(_WIN32_WINNT=0x0603 WINVER=0x0603 UNICODE _UNICODE
                        NOMINMAX)

if(MINGW)
  # Page-aligned sections in the file: Wine then maps the image instead of
  # copying all of it into private memory, so only the pages the runner
  # touches are resident (as Windows does with any alignment).
  add_link_options(-Wl,--file-alignment=4096)
endif()
