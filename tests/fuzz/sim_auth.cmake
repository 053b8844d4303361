# The simulator's Authorization header parsing and Basic check (tests/sim/auth*.c): see fuzz_sim_auth.c.
wmgw_fuzz_target(fuzz_sim_auth wmsim_core)
