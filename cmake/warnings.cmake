# clinic::warnings: every target of ours links this INTERFACE target.
add_library(clinic_warnings INTERFACE)
add_library(clinic::warnings ALIAS clinic_warnings)
target_compile_options(clinic_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local
                       -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
                       -Wimplicit-fallthrough)
if(CLINIC_WERROR)
  target_compile_options(clinic_warnings INTERFACE -Werror)
endif()
