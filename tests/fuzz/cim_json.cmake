# JSON mapping of the CIM model (cim/json_*.c): see fuzz_cim_json.c.
wmgw_fuzz_target(fuzz_cim_json wmgw_cim)
# wmgw_cim is built without coverage instrumentation, which would leave
# libFuzzer blind to the code under test: compile those sources (whole
# files, so the library's objects are never pulled in) into the target.
file(GLOB WMGW_FUZZ_CIM_JSON_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/cim/json_*.c ${CMAKE_SOURCE_DIR}/cim/path*.c ${CMAKE_SOURCE_DIR}/cim/datetime.c
  ${CMAKE_SOURCE_DIR}/cim/value.c ${CMAKE_SOURCE_DIR}/util/url.c ${CMAKE_SOURCE_DIR}/util/utf8.c
  ${CMAKE_SOURCE_DIR}/util/numtext.c)
target_sources(fuzz_cim_json PRIVATE ${WMGW_FUZZ_CIM_JSON_SOURCES})
