# Locates hnswlib's headers (hnswlib/hnswlib.h). Order:
#   1. HNSWLIB_INCLUDE_DIR given by the user (e.g. -DHNSWLIB_INCLUDE_DIR=/usr/include);
#   2. an installed copy (Debian's libhnswlib-dev puts it under /usr/include/hnswlib);
#   3. the pinned sdist hnswlib==${GIO_HNSWLIB_VERSION} from the package index, fetched with
#      `python -m pip download` at configure time and checked against its SHA-256.
# hnswlib is a dependency, not our code: its source is never committed here.
set(GIO_HNSWLIB_VERSION "0.8.0")
set(GIO_HNSWLIB_SHA256 "cb6d037eedebb34a7134e7dc78966441dfd04c9cf5ee93911be911ced951c44c")

if(NOT HNSWLIB_INCLUDE_DIR)
  find_path(HNSWLIB_INCLUDE_DIR NAMES hnswlib/hnswlib.h)
endif()

if(NOT HNSWLIB_INCLUDE_DIR)
  set(_dl "${CMAKE_BINARY_DIR}/_deps/hnswlib")
  set(_tgz "${_dl}/hnswlib-${GIO_HNSWLIB_VERSION}.tar.gz")
  if(NOT EXISTS "${_tgz}")
    if(NOT Python_EXECUTABLE)
      find_package(Python COMPONENTS Interpreter REQUIRED)
    endif()
    message(STATUS "gioselect: fetching hnswlib==${GIO_HNSWLIB_VERSION} sdist for its headers")
    execute_process(
      COMMAND "${Python_EXECUTABLE}" -m pip download --no-deps --no-binary hnswlib
              "hnswlib==${GIO_HNSWLIB_VERSION}" -d "${_dl}" --quiet
      RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0 OR NOT EXISTS "${_tgz}")
      message(FATAL_ERROR "gioselect: could not download hnswlib==${GIO_HNSWLIB_VERSION}. "
              "Install Debian's libhnswlib-dev or pass -DHNSWLIB_INCLUDE_DIR=<dir holding hnswlib/hnswlib.h>.")
    endif()
  endif()
  file(SHA256 "${_tgz}" _sum)
  if(NOT _sum STREQUAL GIO_HNSWLIB_SHA256)
    file(REMOVE "${_tgz}")
    message(FATAL_ERROR "gioselect: hnswlib sdist checksum mismatch: got ${_sum}, expected ${GIO_HNSWLIB_SHA256}")
  endif()
  file(ARCHIVE_EXTRACT INPUT "${_tgz}" DESTINATION "${_dl}"
       PATTERNS "hnswlib-${GIO_HNSWLIB_VERSION}/hnswlib/*.h")
  set(HNSWLIB_INCLUDE_DIR "${_dl}/hnswlib-${GIO_HNSWLIB_VERSION}" CACHE PATH "hnswlib headers" FORCE)
endif()
message(STATUS "gioselect: hnswlib headers from ${HNSWLIB_INCLUDE_DIR}")
