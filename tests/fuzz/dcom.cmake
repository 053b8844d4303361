# The DCOM layer's stubs (translators/wmi/dcom*.c, wmi_calls*.c): every
# server-side request decoder and client-side reply decoder; see fuzz_dcom.c.
wmgw_fuzz_target(fuzz_dcom wmgw_dcom)
