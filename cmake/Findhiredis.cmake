# Finds hiredis (Debian's libhiredis-dev); defines hiredis::hiredis.
find_path(HIREDIS_INCLUDE_DIR hiredis/hiredis.h)
find_library(HIREDIS_LIBRARY hiredis)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(hiredis REQUIRED_VARS HIREDIS_INCLUDE_DIR HIREDIS_LIBRARY)
if(hiredis_FOUND AND NOT TARGET hiredis::hiredis)
  add_library(hiredis::hiredis UNKNOWN IMPORTED)
  set_target_properties(hiredis::hiredis PROPERTIES IMPORTED_LOCATION "${HIREDIS_LIBRARY}"
                        INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${HIREDIS_INCLUDE_DIR}")
endif()
