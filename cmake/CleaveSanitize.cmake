# CleaveSanitize.cmake - -DCLEAVE_SANITIZE=address,undefined: sanitizers for everything built after
# this file is included (the compiler, runtime and tools from the top level; the runtime alone
# from runtime/). Findings end the process (-fno-sanitize-recover=all), so a test that meets
# one fails. Use a build directory of its own (see docs/testing.md, "Sanitizers").
set(CLEAVE_SANITIZE "" CACHE STRING
    "comma-separated -fsanitize= list for the compiler, runtime and tools (e.g. address,undefined)")
if(CLEAVE_SANITIZE)
  add_compile_options(-fsanitize=${CLEAVE_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${CLEAVE_SANITIZE})
  message(STATUS "Cleave: sanitizers ${CLEAVE_SANITIZE}")
  set(CLEAVE_SANITIZE_TIMEOUT_FACTOR 4 CACHE STRING
      "what the tests' timeouts are multiplied by in a sanitizer build")
  # The sanitizer runtime a non-instrumented interpreter (python3) must load first to host
  # the instrumented Python extension.
  # The C++ runtime comes with it: libasan intercepts __cxa_throw, and finds no real one to
  # call in a C program that loads C++ later (torch's exceptions under python3).
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE asan_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++.so
                  OUTPUT_VARIABLE cxx_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(CLEAVE_ASAN_RUNTIME "${asan_runtime}:${cxx_runtime}")
endif()

# cleave_sanitize_tests([FULL_STACKS]): under CLEAVE_SANITIZE, gives every test added so far in
# the calling directory the sanitizer options. Call it last in each CMakeLists.txt that adds tests.
# - LeakSanitizer ignores what OpenMPI keeps until exit (runtime/tests/lsan-openmpi.supp).
#   Some of it is allocated by OpenMPI plugins unloaded by then, which only full stacks
#   (fast_unwind_on_malloc=0) trace back to OpenMPI's libraries. Full stacks make every
#   allocation several times slower, so only processes started by mpirun get them (through
#   OpenMPI's mca_base_env_list), and every process of a FULL_STACKS directory (the runtime's
#   tests, which start MPI themselves); the compiler keeps the fast unwinder. Nothing of
#   Cleave's is suppressed.
# - intercept_tls_get_addr=0: with Debian 12's glibc, gcc 12's LeakSanitizer reads a garbage
#   dynamic-TLS range of a thread (that of a stage library loaded with dlopen) and crashes
#   ("Tracer caught signal 11"); without the interception it scans static TLS and stacks only.
# - allow_user_poisoning=0: LLVM's headers poison and unpoison the slabs of its bump allocators
#   when the includer is built with ASan, while Debian's libLLVM/libMLIR, built without it,
#   allocate from the same allocators without unpoisoning: every MLIR context would report
#   use-after-poison inside LLVM. The compiler's own heap is still checked in full.
# - Tests labelled `python` run the extension in /usr/bin/python3, which is not instrumented:
#   the ASan runtime is preloaded, and leaks are not checked there (the interpreter keeps its
#   own objects until exit); the C++ API soak and the runtime's own tests check them. The
#   install test (label `install`) runs the installed package that way too, and a C program
#   linked with the shared runtime, which loads the sanitizer runtime only as a dependency.
# - The soaks (tests named *soak*) measure resident memory: ASan's quarantine of freed blocks
#   (256 MB) would grow it, so they run without one.
# - Timeouts are multiplied by CLEAVE_SANITIZE_TIMEOUT_FACTOR: instrumented code is slower.
function(cleave_sanitize_tests)
  if(NOT CLEAVE_SANITIZE)
    return()
  endif()
  cmake_parse_arguments(ARG "FULL_STACKS" "" "" ${ARGN})
  set(supp ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../runtime/tests/lsan-openmpi.supp)
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(test IN LISTS tests)
    get_property(timeout TEST ${test} PROPERTY TIMEOUT)
    if(timeout)
      math(EXPR timeout "${timeout} * ${CLEAVE_SANITIZE_TIMEOUT_FACTOR}")
      set_property(TEST ${test} PROPERTY TIMEOUT ${timeout})
    endif()
    set(asan intercept_tls_get_addr=0:allow_user_poisoning=0)
    get_property(labels TEST ${test} PROPERTY LABELS)
    if("python" IN_LIST labels OR "install" IN_LIST labels)
      string(APPEND asan :detect_leaks=0)
      set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
        "LD_PRELOAD=${CLEAVE_ASAN_RUNTIME}")
    endif()
    if(test MATCHES "soak")
      string(APPEND asan :quarantine_size_mb=0:thread_local_quarantine_size_kb=0)
    endif()
    set(full "${asan}:fast_unwind_on_malloc=0")
    if(ARG_FULL_STACKS)
      set(asan ${full})
    endif()
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
      "ASAN_OPTIONS=${asan}"
      "OMPI_MCA_mca_base_env_list=ASAN_OPTIONS=${full}"
      "LSAN_OPTIONS=suppressions=${supp}:print_suppressions=0"
      "UBSAN_OPTIONS=print_stacktrace=1")
  endforeach()
endfunction()
