# Locates hnswlib's headers (hnswlib/hnswlib.h). Order:
#   1. HNSWLIB_INCLUDE_DIR given by the user (e.g. -DHNSWLIB_INCLUDE_DIR=/usr/include);
#   2. an installed copy on the include path, if it is hnswlib >= 0.7 (filtered search); Debian
#      12's libhnswlib-dev is 0.6.2, too old, and is then passed over;
#   3. the pinned sdist hnswlib==${GIO_HNSWLIB_VERSION} from the package index, fetched with
#      `python -m pip download` at configure time and checked against its SHA-256.
# hnswlib is a dependency, not our code: its source is never committed here.
set(GIO_HNSWLIB_VERSION "0.8.0")
set(GIO_HNSWLIB_SHA256 "cb6d037eedebb34a7134e7dc78966441dfd04c9cf5ee93911be911ced951c44c")

# gioselect needs filtered search (hnswlib::BaseFilterFunctor, hnswlib >= 0.7).
function(_gio_hnswlib_usable dir out)
  set(${out} FALSE PARENT_SCOPE)
  if(EXISTS "${dir}/hnswlib/hnswlib.h")
    file(STRINGS "${dir}/hnswlib/hnswlib.h" _filter REGEX "class BaseFilterFunctor")
    if(_filter)
      set(${out} TRUE PARENT_SCOPE)
    endif()
  endif()
endfunction()

if(HNSWLIB_INCLUDE_DIR)
  _gio_hnswlib_usable("${HNSWLIB_INCLUDE_DIR}" _ok)
  if(NOT _ok)
    message(FATAL_ERROR "gioselect: HNSWLIB_INCLUDE_DIR=${HNSWLIB_INCLUDE_DIR} has no usable hnswlib/hnswlib.h "
            "(hnswlib >= 0.7 with BaseFilterFunctor is needed; ${GIO_HNSWLIB_VERSION} is tested)")
  endif()
else()
  find_path(_gio_hnswlib_found NAMES hnswlib/hnswlib.h)
  if(_gio_hnswlib_found)
    _gio_hnswlib_usable("${_gio_hnswlib_found}" _ok)
    if(_ok)
      set(HNSWLIB_INCLUDE_DIR "${_gio_hnswlib_found}")
    else()
      message(STATUS "gioselect: hnswlib in ${_gio_hnswlib_found} is older than 0.7 (no filtered search); "
              "using the pinned ${GIO_HNSWLIB_VERSION} instead")
    endif()
  endif()
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
