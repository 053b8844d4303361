# Instance names and datetimes (cim/path*.c, cim/datetime.c): see fuzz_cim_path.c.
wmgw_fuzz_target(fuzz_cim_path wmgw_cim)
# As in cim_json.cmake: instrument the code under test by compiling it
# into the target.
file(GLOB WMGW_FUZZ_CIM_PATH_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/cim/path*.c ${CMAKE_SOURCE_DIR}/cim/datetime.c ${CMAKE_SOURCE_DIR}/cim/value.c
  ${CMAKE_SOURCE_DIR}/util/url.c ${CMAKE_SOURCE_DIR}/util/utf8.c ${CMAKE_SOURCE_DIR}/util/numtext.c)
target_sources(fuzz_cim_path PRIVATE ${WMGW_FUZZ_CIM_PATH_SOURCES})
