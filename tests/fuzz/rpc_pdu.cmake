# DCE/RPC PDUs, connections (client and server, with a toy security
# provider) and the NDR readers of the DCOM types (translators/wmi/rpc*.c,
# ndr*.c): see fuzz_rpc_pdu.c.
wmgw_fuzz_target(fuzz_rpc_pdu wmgw_rpc)
