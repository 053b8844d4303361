# WQL parser, formatter and evaluator (cim/wql*.c): see fuzz_wql.c.
wmgw_fuzz_target(fuzz_wql wmgw_cim)
