/*
 * caller_tool.h: the credential helpers of the command line
 * (caller_tool.c).  Both return a process exit status.
 */
#ifndef WMGW_GATEWAY_CALLER_TOOL_H
#define WMGW_GATEWAY_CALLER_TOOL_H

#include <stdio.h>

/* Prints "token = wmgw_..." and "token-hash = <sha256 hex>". */
int wmgw_tool_new_token(FILE *out);
/* Reads one line (the password) from in, prints "password-hash = $scrypt$...". */
int wmgw_tool_hash_password(FILE *in, FILE *out);

#endif
