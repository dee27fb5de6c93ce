# Dependencies of a Windows build (runner only).
#
# mingw-w64 cross build from Linux: Abseil and Protocol Buffers were built for
# Windows from Debian's source packages (cmake/windows_cross.cmake) and are
# found through CMAKE_FIND_ROOT_PATH; protoc is the Linux one; GoogleTest is
# built from Debian's /usr/src/googletest. gRPC is not available, so the
# runner's gRPC client and the service executable are left out.
#
# MSVC: everything comes from vcpkg (vcpkg.json), gRPC included.
find_package(absl CONFIG REQUIRED)
find_package(Protobuf CONFIG REQUIRED)
find_package(gRPC CONFIG QUIET)
find_package(CLI11 CONFIG QUIET)

if(NOT TARGET protobuf::protoc)
  # Cross build: generate code with the build machine's protoc, which must be
  # the same release as the libprotobuf built for Windows.
  find_program(MDEFLEET_HOST_PROTOC protoc REQUIRED)
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
