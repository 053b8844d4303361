# Self-relative security descriptors (auth/sd_binary.c and what reads ACE data): see fuzz_sd_binary.c.
wmgw_fuzz_target(fuzz_sd_binary wmgw_auth)
