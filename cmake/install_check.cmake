# ctest's cpp.install: `cmake --install` of the build into a fresh prefix (run with -P), then the
# checks that the installed package does not need hnswlib.
#   -DBUILD_DIR=<build tree> -DPREFIX=<empty prefix to create> -DCONFIG=<build type>
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" --config "${CONFIG}"
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${_rc})")
endif()
file(GLOB_RECURSE _config "${PREFIX}/*/gioselectConfig.cmake")
file(GLOB_RECURSE _lib "${PREFIX}/*/libgio_core.a")
file(GLOB _headers "${PREFIX}/include/gio/*.hpp")
if(NOT _config OR NOT _lib OR NOT _headers)
  message(FATAL_ERROR "incomplete install in ${PREFIX}: config '${_config}', library '${_lib}'")
endif()
# hnswlib is private to the .cpp files: no installed file may include it or name its directory.
file(GLOB_RECURSE _hnsw "${PREFIX}/*hnswlib*")
if(_hnsw)
  message(FATAL_ERROR "hnswlib files installed: ${_hnsw}")
endif()
file(GLOB_RECURSE _installed "${PREFIX}/*.hpp" "${PREFIX}/*.cmake")
foreach(_f IN LISTS _installed)
  file(STRINGS "${_f}" _hits REGEX "hnswlib/|#include[ \t]*[<\"]hnswlib")
  if(_hits)
    message(FATAL_ERROR "${_f} refers to hnswlib: ${_hits}")
  endif()
endforeach()
