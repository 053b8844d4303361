# The simulator's request parsing and operations (tests/sim): see fuzz_sim_request.c.
wmgw_fuzz_target(fuzz_sim_request wmsim_core)
target_compile_definitions(fuzz_sim_request PRIVATE WMSIM_DEFAULT_FIXTURES="${CMAKE_SOURCE_DIR}/tests/sim/fixtures")
