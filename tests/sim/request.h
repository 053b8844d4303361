/*
 * request.h: one WS-Management request as the simulator sees it, and the
 * per-request context the operations work in.
 *
 * The envelope is read with a streaming xmlTextReader: headers first
 * (sim_request_read_headers), then the operation, once it knows the class
 * and so the types, reads the body from the same reader.
 */
#ifndef WMSIM_REQUEST_H
#define WMSIM_REQUEST_H

#include <libxml/xmlreader.h>
#include <stdbool.h>

#include "cim/cim.h"
#include "util/buf.h"
#include "util/err.h"

struct sim_host;
struct sim_class;

struct sim_option {
    char *name;
    char *value;
};

struct sim_request {
    char *action;       /* NULL for Identify */
    char *resource_uri;
    char *message_id;
    char *to;
    bool has_reply_to;
    bool reply_to_anonymous;
    bool identify;      /* body is wsmid:Identify */
    bool has_selectors;
    struct wmgw_cim_proplist selectors;
    size_t noptions;
    struct sim_option *options;
    long max_envelope;  /* octets, or -1 when absent */
    long timeout_ms;    /* from OperationTimeout, or -1 when absent */
    char *fragment;     /* FragmentTransfer expression, or NULL */
    bool body_empty;    /* s:Body has no element */
    const char *dialect_ns; /* the wsman namespace the request used */
    char not_understood[64]; /* the first mustUnderstand header not understood */
};

/* Everything one request needs; lives from the HTTP body to the reply. */
struct sim_ctx {
    struct sim_host *host;
    struct sim_request req;
    xmlTextReaderPtr reader;
    int body_depth;        /* depth of s:Body */
    struct wmgw_buf out;   /* the response body */
    int http_status;
    char *ns;              /* from the resource URI */
    char *class_name;
    struct sim_class *cls; /* NULL for the all-classes URI */
    struct wmgw_err err;
    unsigned latency_ms;   /* how long the control plan makes the operation take */
    bool timed_out;        /* it outlived OperationTimeout: the reply is TimedOut */
    /* A call of the DCOM front (dcom_*.c) borrows operations that fault
     * through sim_fault: then no envelope is written, the kind is kept
     * for the front to answer with the matching HRESULT. */
    bool dcom;
    bool faulted;
    int fault_kind;        /* enum sim_fault_kind of the last sim_fault, when faulted */
};

/* Reads the envelope up to the first body element (or the end of an empty
 * body).  On failure the context's response already holds the fault. */
int sim_request_read_headers(struct sim_ctx *ctx);
/* Moves to the first element inside s:Body; 1 found, 0 empty body. */
int sim_request_body_first(struct sim_ctx *ctx);
void sim_request_dispose(struct sim_request *req);
const char *sim_request_option(const struct sim_request *req, const char *name);

/* The time the request's operation may take: its OperationTimeout, or the
 * host's MaxTimeoutms when that is absent or larger (MS-WSMV 3.1.4.1.8). */
long sim_request_timeout_ms(const struct sim_ctx *ctx);

/* Parses an xs:duration into milliseconds; -1 when malformed or negative. */
long sim_parse_duration_ms(const char *s);

#endif
