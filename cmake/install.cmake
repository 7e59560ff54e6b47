# `cmake --install` for C++ users: libgio_core.a, the headers of cpp/include/gio, the exported
# target gioselect::core and a package config for find_package(gioselect). Included only when
# GIO_INSTALL is on, which it is not under scikit-build-core: the wheel holds the extension only.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GIO_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/gioselect"
    CACHE STRING "Where gioselectConfig.cmake is installed, relative to the prefix")

install(TARGETS gio_core EXPORT gioselectTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})  # the consumers' include path
install(DIRECTORY cpp/include/gio DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT gioselectTargets NAMESPACE gioselect:: DESTINATION ${GIO_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/gioselectConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/gioselectConfig.cmake"
  INSTALL_DESTINATION ${GIO_INSTALL_CMAKEDIR})
# 0.x: a minor release may change the API, so only the same major.minor satisfies a request.
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/gioselectConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/gioselectConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/gioselectConfigVersion.cmake"
        DESTINATION ${GIO_INSTALL_CMAKEDIR})
