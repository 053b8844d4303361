# The simulator's client-certificate UPN and mapping (tests/sim/auth_cert.c): see fuzz_sim_cert.c.
wmgw_fuzz_target(fuzz_sim_cert wmsim_core)
