# Instance names and datetimes (cim/path*.c, cim/datetime.c): see fuzz_cim_path.c.
wmgw_fuzz_target(fuzz_cim_path wmgw_cim)
