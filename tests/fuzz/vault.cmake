# Vault file, password hashes, tokens, vault keys (auth/vault*.c, passhash.c, token.c): see fuzz_vault.c.
wmgw_fuzz_target(fuzz_vault wmgw_auth PkgConfig::JANSSON)
