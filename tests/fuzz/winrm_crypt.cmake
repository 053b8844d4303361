# WinRM message encryption (auth/winrm_crypt*.c): the multipart/encrypted parser, the NTLM unwrap path,
# Content-Type parsing and the keytab-bytes parser of auth/gss_keytab.c: see fuzz_winrm_crypt.c.
wmgw_fuzz_target(fuzz_winrm_crypt wmgw_auth)
