/*
 * soap.h: the WS-Management translator's own pieces, shared by its files
 * (not a public interface; the gateway sees only translator.h).
 *
 *   soap_build.c  request envelopes, every caller value escaped
 *   soap_read.c   response envelopes, read as a stream into CIM values
 *   fault.c       SOAP faults and HTTP failures -> wmgw_backend_error
 *   class_read.c  DSP0201 CLASS elements -> wmgw_cim_class
 *   wsman.c       the translator vtable and the call state machine
 *
 * Everything that differs between WS-Management dialects comes from the
 * `struct wmgw_wsman_dialect` passed in; nothing here names a dialect.
 */
#ifndef WMGW_TRANSLATORS_WSMAN_SOAP_H
#define WMGW_TRANSLATORS_WSMAN_SOAP_H

#include <libxml/xmlreader.h>
#include <stdbool.h>
#include <stddef.h>

#include "translators/translator.h"
#include "translators/wsman/cimxml.h"

struct wmgw_buf;
struct wmgw_err;

/* What a request asks; a response is read in the terms of its request. */
enum wmgw_soap_kind {
    WMGW_SOAP_IDENTIFY,  /* wsmid:Identify, or Get of the dialect's "this" resource
                          * (read: IdentifyResponse, or This{Vendor,Version}) */
    WMGW_SOAP_GET_CLASS, /* Get of the cim-xml class URI -> DSP0201 CLASS */
    WMGW_SOAP_GET,
    WMGW_SOAP_PUT,
    WMGW_SOAP_CREATE,
    WMGW_SOAP_DELETE,
    WMGW_SOAP_ENUMERATE,
    WMGW_SOAP_PULL,
    WMGW_SOAP_RELEASE,
    WMGW_SOAP_INVOKE,
};

/* Room for "uuid:" + 36 characters. */
#define WMGW_SOAP_ID_LEN 48

/* A fresh "uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (random, version 4). */
void wmgw_soap_message_id(char out[WMGW_SOAP_ID_LEN]);

/* --- requests (soap_build.c) ---------------------------------------------- */

struct wmgw_soap_request {
    enum wmgw_soap_kind kind;
    const struct wmgw_wsman_dialect *d;
    const char *to;            /* the endpoint URL (a:To) */
    const char *resource_uri;  /* w:ResourceURI */
    const char *message_id;    /* a:MessageID */
    unsigned max_envelope;     /* w:MaxEnvelopeSize, octets */
    unsigned timeout_ms;       /* w:OperationTimeout */
    const struct wmgw_cim_proplist *selectors; /* may be NULL or empty */
    /* PUT, CREATE: the instance (cls orders it and fills missing scalars
     * with nil; NULL writes exactly the given properties). */
    const struct wmgw_cim_instance *instance;
    const struct wmgw_cim_class *cls;
    /* INVOKE */
    const char *method;
    const struct wmgw_cim_proplist *params; /* may be NULL */
    /* ENUMERATE */
    const char *wql;           /* filter text, or NULL */
    bool optimize;
    bool epr_only;
    /* ENUMERATE, PULL */
    unsigned max_elements;
    /* PULL, RELEASE */
    const char *context;
};

/* Appends the whole envelope for req.  WMGW_EINVAL when a caller value
 * cannot be written (a class, method or property name that is not a CIM
 * name; a NULL key), WMGW_EUNSUPPORTED for what req->d cannot carry (a
 * filter), WMGW_ETOOBIG past the buffer's limit. */
int wmgw_soap_build(struct wmgw_buf *out, const struct wmgw_soap_request *req);

/* True for [A-Za-z_][A-Za-z0-9_]* (names that become XML element names). */
bool wmgw_soap_name_ok(const char *s);

/* --- responses (soap_read.c) ------------------------------------------------- */

/* One enumeration item: an instance or (EnumerateEPR) a reference. */
struct wmgw_soap_item {
    struct wmgw_cim_instance *inst;
    struct wmgw_cim_ref *ref;
};

struct wmgw_soap_response {
    /* In: how to read. */
    enum wmgw_soap_kind kind;
    const struct wmgw_wsman_dialect *d;
    const char *message_id;       /* our MessageID: RelatesTo must match when present (NULL: unchecked) */
    const char *expect_action;    /* the response Action, checked when present; may be NULL */
    const char *ns;               /* namespace of the request (items without one) */
    const struct wmgw_cim_class *cls; /* GET, PUT, ENUMERATE: the class of the items */
    wmgw_wsman_class_fn lookup;   /* other classes (QUERY items, embedded objects) */
    void *lookup_ctx;
    /* ENUMERATE with a projection: only these properties come back, as
     * w:XmlFragment children; fragment_class names the instances. */
    char *const *select;
    size_t nselect;
    const char *fragment_class;
    const struct wmgw_cim_method *method; /* INVOKE: out-parameters and ReturnValue */
    /* Out. */
    bool fault;                   /* the body was a SOAP fault: see error */
    struct wmgw_backend_error error;
    struct wmgw_identity identity;          /* IDENTIFY */
    struct wmgw_cim_class *klass;           /* GET_CLASS */
    struct wmgw_cim_instance *instance;     /* GET, PUT */
    struct wmgw_cim_ref *ref;               /* CREATE */
    struct wmgw_cim_proplist output;        /* INVOKE */
    char *context;               /* ENUMERATE, PULL: the new context ("" counts as none) */
    bool end_of_sequence;
    size_t nitems;
    struct wmgw_soap_item *items;
};

/* Reads one response envelope (the whole HTTP body).  Returns 0 when the
 * envelope was understood: either a result (fields above) or a SOAP fault
 * (fault = true, error filled and mapped).  Returns WMGW_EPROTO with err
 * filled for anything malformed or unexpected; then nothing in r is kept. */
int wmgw_soap_read(const char *data, size_t len, struct wmgw_soap_response *r, struct wmgw_err *err);
/* Frees what wmgw_soap_read left in r's out fields. */
void wmgw_soap_response_dispose(struct wmgw_soap_response *r);

/* Opens a reader on a response body with the parser options every reader
 * here uses (no network, no entity expansion); NULL on failure. */
xmlTextReaderPtr wmgw_soap_reader(const char *data, size_t len);

/* --- faults (fault.c) ---------------------------------------------------------- */

/* Reads the s:Fault element under the reader into e (mapped, e->code set). */
int wmgw_wsman_fault_read(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d, struct wmgw_backend_error *e,
                          struct wmgw_err *err);
/* Sets e->code from the fault fields already in e (the table in fault.c). */
void wmgw_wsman_fault_map(struct wmgw_backend_error *e);
/* Fills e for an HTTP reply that carried no SOAP fault, or a transport
 * failure (transport_err != 0).  Returns e->code. */
int wmgw_wsman_http_error(struct wmgw_backend_error *e, int transport_err, const char *detail, int http_status,
                          const char *parse_message);

/* --- classes (class_read.c) ---------------------------------------------------- */

/* Reads the DSP0201 CLASS element under the reader into a class of
 * namespace ns, properties sorted by name (case-insensitive). */
int wmgw_wsman_read_class(xmlTextReaderPtr r, const char *ns, struct wmgw_cim_class **out, struct wmgw_err *err);

#endif
