/*
 * jsondir.h: the *.json files of a directory, in name order — how the
 * simulator's fixtures and the gateway's class catalogue are laid out
 * ("00-base.json" before "10-system.json"), read by one loop.
 */
#ifndef WMGW_UTIL_JSONDIR_H
#define WMGW_UTIL_JSONDIR_H

struct wmgw_err;

#define WMGW_JSONDIR_MAX_FILES 1024

/* Calls fn(ctx, path) for each *.json file of dir, in name order, until
 * one returns non-zero.  WMGW_ECONFIG when dir cannot be read, holds no
 * *.json file or more than WMGW_JSONDIR_MAX_FILES. */
int wmgw_jsondir_each(const char *dir, int (*fn)(void *ctx, const char *path, struct wmgw_err *err), void *ctx,
                      struct wmgw_err *err);

#endif
