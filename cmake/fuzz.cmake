# MDEFLEET_FUZZ=ON: a build tree of the libFuzzer targets only (tests/fuzz),
# with clang: coverage instrumentation, AddressSanitizer and
# UndefinedBehaviorSanitizer on all of our code (the libraries the fuzzers
# link included); -fsanitize=fuzzer (libFuzzer's main) on the fuzzers only.
# Debian's gcc-built Abseil, Protocol Buffers and gRPC link as they are.
# Needs clang-14 and libclang-rt-14-dev (deploy/install-deps.sh --fuzz).
# -O1 with line tables: quick to compile, fast enough to fuzz, and stacks
# name file and line; assertions stay on.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MDEFLEET_FUZZ needs clang: configure with "
                      "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                    -fno-sanitize-recover=all -fno-omit-frame-pointer
                    -O1 -gline-tables-only -UNDEBUG)
add_link_options(-fsanitize=address,undefined)
