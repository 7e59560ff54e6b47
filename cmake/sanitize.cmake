# GIO_SANITIZE: build everything (the core, the C++ tests and example, the Python extension) with
# these sanitizers, e.g. -DGIO_SANITIZE="address;undefined", or for the extension
# `pip install . -C cmake.define.GIO_SANITIZE="address;undefined"`. Empty (the default): none.
# A finding must fail the run: ASan stops at its first report by default, and UBSan is made to
# abort instead of printing and going on (-fno-sanitize-recover=all). What is excluded, and why:
# docs/sanitizers.md.
set(GIO_SANITIZE "" CACHE STRING "Sanitizers to build with (a ;-list such as address;undefined); empty: none")

if(GIO_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "gioselect: GIO_SANITIZE needs GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  list(JOIN GIO_SANITIZE "," _gio_sanitizers)
  # Frame pointers and line tables (-g1) give the reports whole stacks with file:line in an
  # optimised build.
  add_compile_options(-fsanitize=${_gio_sanitizers} -fno-omit-frame-pointer -g1)
  if("undefined" IN_LIST GIO_SANITIZE)
    add_compile_options(-fno-sanitize-recover=all)
  endif()
  # Everything linked in this tree gets the runtime; gio_core also passes it on to projects that
  # link the installed (instrumented) library, in cpp/CMakeLists.txt.
  add_link_options(-fsanitize=${_gio_sanitizers})
  set(GIO_SANITIZE_LINK_OPTIONS -fsanitize=${_gio_sanitizers})
  message(STATUS "gioselect: sanitizers ${_gio_sanitizers}")
endif()
