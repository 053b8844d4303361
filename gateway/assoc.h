/*
 * assoc.h: ASSOCIATORS OF and REFERENCES OF evaluated by the gateway, for
 * hosts whose protocol has no association filter (translator caps without
 * WMGW_CAP_ASSOCIATIONS: the Windows Server 2003 R2 dialect).
 *
 * It is shaped as a translator (translator.h), so exec.c starts it in the
 * host translator's place behind the same sink and the stream cannot tell
 * the difference.  It walks what WMI walks: every concrete association
 * class of the namespace, in the class catalogue's order (the host cannot
 * list its classes), enumerated unfiltered on the host; an association
 * instance whose reference (Role) names the object is a result itself
 * (REFERENCES OF) or leads, through its other references (ResultRole), to
 * instances read with Get (ASSOCIATORS OF), each result once, filtered by
 * AssocClass / ResultClass with the catalogue's class tree.
 *
 * Bounds: one backend call at a time; memory holds the matches of one
 * object (at most WMGW_ASSOC_MAX_MATCHES, else 413), never the whole
 * association classes.  Paging: the cursor "skip:<n>" counts the results
 * earlier pages delivered; a page evaluates from the start and skips them
 * (see filter.h: same trade-off, same guarantee that `next` is null
 * exactly when nothing more follows).
 */
#ifndef WMGW_GATEWAY_ASSOC_H
#define WMGW_GATEWAY_ASSOC_H

#include "translators/translator.h"

struct wmgw_exec;

#define WMGW_ASSOC_MAX_MATCHES 10000

/* The gateway's association evaluator; its calls must be started by
 * wmgw_exec_start (sink_data is the struct wmgw_exec). */
const struct wmgw_translator *wmgw_assoc_translator(struct wmgw_exec *x);

#endif
