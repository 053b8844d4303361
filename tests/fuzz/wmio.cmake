# The MS-WMIO decoder and its round trip through the encoder: see fuzz_wmio.c.
wmgw_fuzz_target(fuzz_wmio wmgw_wmi)
