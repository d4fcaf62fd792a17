# Build options. Sanitizers are mutually exclusive: ASan+UBSan or TSan.
option(CLINIC_BUILD_TESTS "Build the test suites" ON)
option(CLINIC_BUILD_BENCHMARKS "Build the benchmarks and the load generator" ON)
option(CLINIC_WERROR "Treat warnings as errors" OFF)
option(CLINIC_UNITY_BUILD "Compile each target's files together, in batches of 8 (faster clean builds)" ON)
set(CLINIC_DEBUG_INFO "lines" CACHE STRING "Debug information in RelWithDebInfo and Debug builds: 'lines' (-g1) or 'full' (-g)")
set_property(CACHE CLINIC_DEBUG_INFO PROPERTY STRINGS lines full)
set(CLINIC_SANITIZER "" CACHE STRING "Sanitizer build: '' (none), 'address' (ASan+UBSan) or 'thread' (TSan)")
set_property(CACHE CLINIC_SANITIZER PROPERTY STRINGS "" address thread)

if(CLINIC_SANITIZER STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(CLINIC_SANITIZER STREQUAL "thread")
  # -Wno-tsan: GCC warns that TSan does not model std::atomic_thread_fence, which only
  # Abseil's inline absl::GetFlag (flags/internal/sequence_lock.h) uses; the flag words
  # it reads are atomics, which TSan does see. Not ours to change, so not a warning.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  add_link_options(-fsanitize=thread)
elseif(NOT CLINIC_SANITIZER STREQUAL "")
  message(FATAL_ERROR "CLINIC_SANITIZER must be '', 'address' or 'thread', not '${CLINIC_SANITIZER}'")
endif()

# Debug information. 'lines' (-g1) keeps function names and line tables: what perf,
# callgrind and crash backtraces need. 'full' (-g) adds variables and types for stepping
# through with gdb, at about a third more compile time on every file (docs/DEVELOPMENT.md).
if(CLINIC_DEBUG_INFO STREQUAL "lines")
  add_compile_options($<$<CONFIG:RelWithDebInfo,Debug>:-g1>)
elseif(NOT CLINIC_DEBUG_INFO STREQUAL "full")
  message(FATAL_ERROR "CLINIC_DEBUG_INFO must be 'lines' or 'full', not '${CLINIC_DEBUG_INFO}'")
endif()

# Unity build: each target's files are compiled in batches of 8, so that the headers they
# share (gRPC, protobuf, Abseil, gtest) are parsed once per batch (docs/DEVELOPMENT.md
# "Build time"). Generated protobuf code opts out (cmake/proto.cmake). Turn it off for
# quicker rebuilds of one edited file: -DCLINIC_UNITY_BUILD=OFF.
set(CMAKE_UNITY_BUILD ${CLINIC_UNITY_BUILD})
set(CMAKE_UNITY_BUILD_BATCH_SIZE 8)

# Link with LLVM's lld (Debian package lld, installed by tools/install-deps.sh) when the
# compiler can: about a quarter of GNU ld's time per test binary (0.14 s against 0.61 s
# for notification_service_test), over some ninety executables.
include(CheckLinkerFlag)
check_linker_flag(CXX -fuse-ld=lld CLINIC_HAVE_LLD)
if(CLINIC_HAVE_LLD)
  add_link_options(-fuse-ld=lld)
endif()
