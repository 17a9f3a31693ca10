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
endif()
