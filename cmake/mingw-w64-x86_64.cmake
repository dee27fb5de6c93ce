# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (posix threads,
# so std::thread and std::mutex work). Binaries are linked statically so they
# run under Wine, or on a Windows Server, without the mingw runtime DLLs.
#
# Libraries built for Windows (Abseil, Protocol Buffers; see
# cmake/windows_deps.cmake) are found through CMAKE_FIND_ROOT_PATH: pass
# -DCMAKE_FIND_ROOT_PATH=<their prefix> to add them.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_SYSTEM_VERSION 6.3)  # Windows Server 2012 R2 is the oldest target

set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

list(APPEND CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
list(REMOVE_DUPLICATES CMAKE_FIND_ROOT_PATH)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # host tools (protoc, wine)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# Tests (and gtest discovery) run the .exe files under Wine when it exists.
find_program(MDEFLEET_WINE NAMES wine64 wine)
if(MDEFLEET_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MDEFLEET_WINE})
endif()
