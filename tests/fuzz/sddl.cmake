# SDDL text (auth/sddl*.c, auth/sid.c, auth/sd_binary.c, auth/access*.c): see fuzz_sddl.c.
wmgw_fuzz_target(fuzz_sddl wmgw_auth)
