# The Authorization header's parsers (gateway/caller_header.c) and the token shape check: see fuzz_auth_header.c.
wmgw_fuzz_target(fuzz_auth_header wmgw_gateway wmgw_auth)
