# NTLM (auth/ntlm*.c): message parsers, client and server processing, unseal/verify: see fuzz_ntlm.c.
wmgw_fuzz_target(fuzz_ntlm wmgw_auth)
