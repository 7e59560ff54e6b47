# pip's isolated build env lives at a new temporary path on every `pip install .`, and pybind11's
# headers with it: the bindings' -isystem flag changes and ninja recompiles them (and redoes their
# LTO) on an unchanged tree. So they compile against a copy at a fixed path in the build
# directory, where a header is rewritten (and gets a new timestamp) only when its content changed.
# The version is in the path, so a new pybind11 recompiles the bindings in any case.
set(_gio_pb_src "${pybind11_INCLUDE_DIR}")
set(_gio_pb_dst "${CMAKE_BINARY_DIR}/_deps/pybind11-${pybind11_VERSION}/include")
file(GLOB_RECURSE _gio_pb_headers RELATIVE "${_gio_pb_src}" "${_gio_pb_src}/pybind11/*")
if(NOT _gio_pb_headers)
  message(FATAL_ERROR "gioselect: no pybind11 headers under ${_gio_pb_src}")
endif()
foreach(_h IN LISTS _gio_pb_headers)
  file(SHA256 "${_gio_pb_src}/${_h}" _new)
  set(_old "")
  if(EXISTS "${_gio_pb_dst}/${_h}")
    file(SHA256 "${_gio_pb_dst}/${_h}" _old)
  endif()
  if(NOT _new STREQUAL _old)
    get_filename_component(_dir "${_gio_pb_dst}/${_h}" DIRECTORY)
    file(COPY "${_gio_pb_src}/${_h}" DESTINATION "${_dir}")
    file(TOUCH "${_gio_pb_dst}/${_h}")  # file(COPY) keeps the source's time, which may be older
  endif()
endforeach()
set_property(TARGET pybind11::pybind11_headers PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${_gio_pb_dst}")
message(STATUS "gioselect: pybind11 headers copied to ${_gio_pb_dst}")
