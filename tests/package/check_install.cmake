# Installs the build tree into a scratch prefix, then configures, builds and runs a consumer that
# asks find_package(redis_toolkit COMPONENTS prometheus). Run by CTest as package.prometheus_component.
#   cmake -DBINARY_DIR=<build> -DSOURCE_DIR=<tests/package> -DWORK_DIR=<scratch> [-DSANITIZE=...]
#         -P check_install.cmake
# SANITIZE: the tree's RTK_SANITIZE; a sanitized static library links only into a program built
# with the same sanitizers (exported targets do not carry the tree's link options).
file(REMOVE_RECURSE "${WORK_DIR}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed (${status}): ${ARGN}\n${output}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${WORK_DIR}/prefix")
set(sanitizer_flags "")
if(SANITIZE)
  set(sanitizer_flags "-fsanitize=${SANITIZE}")
endif()
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/consumer" -B "${WORK_DIR}/consumer"
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_CXX_FLAGS=${sanitizer_flags}" "-DCMAKE_EXE_LINKER_FLAGS=${sanitizer_flags}")
run(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
execute_process(COMMAND "${WORK_DIR}/consumer/consumer" RESULT_VARIABLE status OUTPUT_VARIABLE output)
if(NOT status EQUAL 0 OR NOT output STREQUAL "ok\n")
  message(FATAL_ERROR "the consumer failed (${status}): ${output}")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
