# The simulator's DCOM front (tests/sim/dcom_*.c) behind an RPC connection,
# raw and after an in-process NTLM handshake: see fuzz_sim_dcom.c.
wmgw_fuzz_target(fuzz_sim_dcom wmsim_core)
target_compile_definitions(fuzz_sim_dcom PRIVATE WMSIM_DEFAULT_FIXTURES="${CMAKE_SOURCE_DIR}/tests/sim/fixtures")
