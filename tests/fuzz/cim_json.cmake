# JSON mapping of the CIM model (cim/json_*.c): see fuzz_cim_json.c.
wmgw_fuzz_target(fuzz_cim_json wmgw_cim)
