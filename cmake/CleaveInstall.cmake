# CleaveInstall.cmake - What `cmake --install` puts under the prefix, and the CMake package.
#
# Included at the end of the top-level CMakeLists.txt, once every target exists. The layout:
#   bin/                      cleave-compile, cleave-run, cleave-generate, cleave-tune
#   lib/                      libcleave_runtime.a (Cleave::runtime),
#                             libcleave_runtime.so (Cleave::runtime_shared)
#   include/cleave/           runtime.h (C++ API), generate.h (generation loop), cleave.h (C API),
#                             abi.h (shared contract)
#   lib/cmake/Cleave/         CleaveConfig.cmake, CleaveConfigVersion.cmake, CleaveTargets*.cmake
#   share/doc/cleave/         README.md and docs/
#   lib/python3/dist-packages the Python package `cleave` (python/ registers it: the hook below)
# docs/install.md says how a project uses it.

include(CMakePackageConfigHelpers)

set(CLEAVE_INSTALL_BINDIR bin)
set(CLEAVE_INSTALL_LIBDIR lib)
set(CLEAVE_INSTALL_INCLUDEDIR include)
set(CLEAVE_INSTALL_CMAKEDIR ${CLEAVE_INSTALL_LIBDIR}/cmake/Cleave)
set(CLEAVE_INSTALL_DOCDIR share/doc/cleave)
# Where the Python package goes, relative to the prefix (Debian's layout).
set(CLEAVE_INSTALL_PYTHONDIR lib/python3/dist-packages CACHE STRING
    "where cmake --install puts the Python package, relative to the prefix")

# ---- The Python package hook ----------------------------------------------------------------
# The Python package is built elsewhere in the tree (build/python/cleave/...). Its CMake code
# registers it, before or after this file is included, with
#   set_property(GLOBAL PROPERTY CLEAVE_PYTHON_PACKAGE_DIR <dir>)            # the `cleave` dir
#   set_property(GLOBAL APPEND PROPERTY CLEAVE_PYTHON_MODULE_TARGETS <tgt>)  # extension modules
# or, after this file, by calling cleave_install_python_package(<dir> [<target>...]). Either
# way the package lands in <prefix>/${CLEAVE_INSTALL_PYTHONDIR}/cleave, extension modules
# inside it, as install component `python`.

# Installs the package directory `package_dir` (its name is the package's) and the extension
# module targets given after it into ${CLEAVE_INSTALL_PYTHONDIR}.
function(cleave_install_python_package package_dir)
  get_filename_component(name ${package_dir} NAME)
  # The extension modules built into the directory are installed as targets below, with
  # their install run path, not copied as they are in the build tree.
  install(DIRECTORY ${package_dir} DESTINATION ${CLEAVE_INSTALL_PYTHONDIR} COMPONENT python
          PATTERN __pycache__ EXCLUDE PATTERN "*.pyc" EXCLUDE PATTERN "*.so" EXCLUDE)
  foreach(module IN LISTS ARGN)
    install(TARGETS ${module} LIBRARY DESTINATION ${CLEAVE_INSTALL_PYTHONDIR}/${name}
            COMPONENT python)
  endforeach()
endfunction()

get_property(_cleave_python_dir GLOBAL PROPERTY CLEAVE_PYTHON_PACKAGE_DIR)
get_property(_cleave_python_modules GLOBAL PROPERTY CLEAVE_PYTHON_MODULE_TARGETS)
if(_cleave_python_dir)
  cleave_install_python_package(${_cleave_python_dir} ${_cleave_python_modules})
endif()

# ---- Tools --------------------------------------------------------------------------------
# Installed tools keep the run paths of the libraries they link outside the build tree
# (cleave-compile: libMLIR and libLLVM under /usr/lib/llvm-22/lib).
foreach(tool cleave-compile cleave-run cleave-generate cleave-tune)
  if(TARGET ${tool})
    set_target_properties(${tool} PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
    install(TARGETS ${tool} EXPORT CleaveTargets RUNTIME DESTINATION ${CLEAVE_INSTALL_BINDIR})
  endif()
endforeach()

# ---- The runtime and its package ----------------------------------------------------------
if(TARGET cleave_runtime)
  install(TARGETS cleave_runtime cleave_runtime_shared EXPORT CleaveTargets
          ARCHIVE DESTINATION ${CLEAVE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CLEAVE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CLEAVE_INSTALL_BINDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/cleave
          DESTINATION ${CLEAVE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

  # What CleaveConfig.cmake must find again for Cleave::runtime's link interface (runtime/
  # found MPI in its own scope; its link interface says whether it did).
  get_target_property(_cleave_runtime_links cleave_runtime INTERFACE_LINK_LIBRARIES)
  if("MPI::MPI_CXX" IN_LIST _cleave_runtime_links)
    set(CLEAVE_RUNTIME_WITH_MPI ON)
  else()
    set(CLEAVE_RUNTIME_WITH_MPI OFF)
  endif()
  install(EXPORT CleaveTargets NAMESPACE Cleave:: DESTINATION ${CLEAVE_INSTALL_CMAKEDIR})
  configure_package_config_file(
    ${CMAKE_CURRENT_LIST_DIR}/CleaveConfig.cmake.in
    ${PROJECT_BINARY_DIR}/cmake/CleaveConfig.cmake
    INSTALL_DESTINATION ${CLEAVE_INSTALL_CMAKEDIR}
    PATH_VARS CLEAVE_INSTALL_INCLUDEDIR CLEAVE_INSTALL_BINDIR)
  # Before 1.0 a minor version may change the API.
  write_basic_package_version_file(
    ${PROJECT_BINARY_DIR}/cmake/CleaveConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/cmake/CleaveConfig.cmake
                ${PROJECT_BINARY_DIR}/cmake/CleaveConfigVersion.cmake
          DESTINATION ${CLEAVE_INSTALL_CMAKEDIR})
endif()

# ---- Documentation ------------------------------------------------------------------------
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CLEAVE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CLEAVE_INSTALL_DOCDIR})
