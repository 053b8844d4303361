/*
 * wmio_dump.c: a test helper around the MS-WMIO codec (translators/wmi/wmio.h).
 *
 *   wmio_dump list          names of the encode cases (wmio_cases.h)
 *   wmio_dump case NAME     {"name", "kind", "unit_hex", "objref_hex",
 *                            "expect": the object as wmio_check.h prints it,
 *                            "defaulted": properties left to class defaults}
 *                           "put-*" cases take the PutInstance path of
 *                           translators/wmi/wmi.c: the class goes out as a
 *                           server would send it, comes back through a class
 *                           cache, and the instance is encoded against that
 *                           entry (its bytes as class part, no Decoration);
 *                           they add "class_part_hex", the entry's bytes
 *   wmio_dump decode FILE   decodes an OBJREF ("MEOW...") or an EncodingUnit
 *                           and prints {"flags", "server", "namespace",
 *                           "class", "instance"} or {"error", "message",
 *                           "position"}
 *
 * tests/python/test_wmio_impacket.py runs it to hand our encoder's output
 * to impacket's parser and compare what impacket reads with "expect".
 */
#include "translators/wmi/wmio.h"
#include "util/buf.h"
#include "util/err.h"

#include "wmio_cases.h"
#include "wmio_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cases[] = {
    "alltypes-instance", "alltypes-standalone", "alltypes-class",     "base-class",
    "plain-class",       "embedded-instance",   "restart-in-params",  "compute-out-params",
    "put-alltypes",      "put-embedded",
};

/* What a DCOM connection holds once the host sent the class `name`
 * (GetObject of the class): a full entry in cache, which the PutInstance
 * path encodes against.  The class of embedded objects, Wmgw_Embedded,
 * goes through the cache first (for put-embedded that is the same class,
 * sent twice: the second decode finds the first entry). */
static const struct wmgw_wmio_class_entry *server_entry(struct wmgw_wmio_class_cache *cache, const char *name,
                                                        struct wmgw_err *err)
{
    const char *names[] = {"Wmgw_Embedded", name};
    for (size_t i = 0; i < 2; i++) {
        struct wmgw_wmio_encode_opts so = {.server = "WMGW-HOST", .namespace_ = "root/wmgw", .lookup = case_lookup};
        struct wmgw_wmio_decode_opts dopts = {.cache = cache};
        struct wmgw_wmio_object obj;
        struct wmgw_buf b;
        wmgw_buf_init(&b, WMGW_WMIO_MAX_OUTPUT);
        int rc = wmgw_wmio_encode_class(&b, case_lookup(NULL, names[i]), &so, err);
        if (rc == 0 && (rc = wmgw_wmio_decode_unit((const uint8_t *)b.data, b.len, &dopts, &obj, err)) == 0)
            wmgw_wmio_object_dispose(&obj);
        wmgw_buf_dispose(&b);
        if (rc != 0)
            return NULL;
    }
    const struct wmgw_wmio_class_entry *e = wmgw_wmio_class_cache_find(cache, name);
    if (e == NULL)
        wmgw_err_set(err, WMGW_EINTERNAL, "%s: no full entry in the class cache", name);
    return e;
}

static char *hex(const void *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", ((const uint8_t *)p)[i]);
    s[2 * n] = '\0';
    return s;
}

static int run_case(const char *name)
{
    struct wmgw_wmio_encode_opts o = {.server = "WMGW-TEST", .namespace_ = "root/wmgw", .lookup = case_lookup};
    const struct wmgw_cim_class *all = case_lookup(NULL, "Wmgw_AllTypes");
    struct wmgw_buf unit;
    wmgw_buf_init(&unit, WMGW_WMIO_MAX_OUTPUT);
    struct wmgw_err err;
    wmgw_err_clear(&err);
    json_t *expect = NULL, *defaulted = json_array();
    const char *kind = "instance";
    struct wmgw_wmio_class_cache cache;
    wmgw_wmio_class_cache_init(&cache, 0);
    const struct wmgw_wmio_class_entry *entry = NULL;
    int rc;
    if (strncmp(name, "put-", 4) == 0) {
        bool emb = strcmp(name, "put-embedded") == 0;
        struct wmgw_cim_instance *inst = emb ? case_embedded("put \xc3\xa9 \xe2\x98\x83", TWO53P1, true)
                                             : case_alltypes_instance();
        entry = server_entry(&cache, emb ? "Wmgw_Embedded" : "Wmgw_AllTypes", &err);
        /* As wmi.c's encode_opts: the cache for lookups, no Decoration. */
        memset(&o, 0, sizeof(o));
        o.lookup = wmgw_wmio_class_cache_lookup;
        o.lookup_ctx = &cache;
        o.cache = &cache;
        o.class_part = entry;
        rc = entry == NULL ? err.code : wmgw_wmio_encode_instance(&unit, inst, entry->cls, &o, &err);
        expect = chk_instance_json(inst);
        if (!emb) {
            json_array_append_new(defaulted, json_string("WithDefault"));
            json_array_append_new(defaulted, json_string("ArrDefault"));
        }
        wmgw_cim_instance_unref(inst);
    } else if (strcmp(name, "alltypes-instance") == 0 || strcmp(name, "alltypes-standalone") == 0) {
        struct wmgw_cim_instance *inst = case_alltypes_instance();
        if (strcmp(name, "alltypes-standalone") == 0)
            o.lookup = NULL;
        rc = wmgw_wmio_encode_instance(&unit, inst, all, &o, &err);
        expect = chk_instance_json(inst);
        json_array_append_new(defaulted, json_string("WithDefault"));
        json_array_append_new(defaulted, json_string("ArrDefault"));
        wmgw_cim_instance_unref(inst);
    } else if (strcmp(name, "alltypes-class") == 0 || strcmp(name, "base-class") == 0 ||
               strcmp(name, "plain-class") == 0) {
        const struct wmgw_cim_class *c = name[0] == 'a'   ? all
                                         : name[0] == 'b' ? case_lookup(NULL, "Wmgw_Base")
                                                          : case_lookup(NULL, "Wmgw_Plain");
        kind = "class";
        rc = wmgw_wmio_encode_class(&unit, c, &o, &err);
        expect = chk_class_json(c);
    } else if (strcmp(name, "embedded-instance") == 0) {
        struct wmgw_cim_instance *inst = case_embedded("alone", 5, true);
        rc = wmgw_wmio_encode_instance(&unit, inst, case_lookup(NULL, "Wmgw_Embedded"), &o, &err);
        expect = chk_instance_json(inst);
        wmgw_cim_instance_unref(inst);
    } else if (strcmp(name, "restart-in-params") == 0 || strcmp(name, "compute-out-params") == 0) {
        bool out = name[0] == 'c';
        struct wmgw_cim_proplist params;
        case_params(out, &params);
        o.server = o.namespace_ = NULL;
        rc = wmgw_wmio_encode_params(&unit, all, out ? "Compute" : "Restart", out, &params, &o, &err);
        struct wmgw_cim_instance view = {.refcnt = 1, .class_name = "__PARAMETERS", .props = params};
        expect = chk_instance_json(&view);
        wmgw_cim_proplist_dispose(&params);
    } else {
        fprintf(stderr, "wmio_dump: no case %s\n", name);
        rc = 2;
    }
    if (rc != 0) {
        if (rc != 2)
            fprintf(stderr, "wmio_dump: %s: %s\n", name, err.message);
        json_decref(expect);
        json_decref(defaulted);
        wmgw_wmio_class_cache_dispose(&cache);
        wmgw_buf_dispose(&unit);
        return rc == 2 ? 2 : 1;
    }
    struct wmgw_buf objref;
    wmgw_buf_init(&objref, 2 * WMGW_WMIO_MAX_OUTPUT);
    wmgw_wmio_objref_wrap(&objref, (const uint8_t *)unit.data, unit.len);
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(name));
    json_object_set_new(j, "kind", json_string(kind));
    char *h = hex(unit.data, unit.len), *ho = hex(objref.data, objref.len);
    json_object_set_new(j, "unit_hex", json_string(h));
    json_object_set_new(j, "objref_hex", json_string(ho));
    json_object_set_new(j, "expect", expect);
    json_object_set_new(j, "defaulted", defaulted);
    if (entry != NULL) {
        char *hc = hex(entry->part, entry->part_len);
        json_object_set_new(j, "class_part_hex", json_string(hc));
        free(hc);
    }
    wmgw_wmio_class_cache_dispose(&cache);
    json_dumpf(j, stdout, JSON_INDENT(1));
    putchar('\n');
    free(h);
    free(ho);
    json_decref(j);
    wmgw_buf_dispose(&unit);
    wmgw_buf_dispose(&objref);
    return 0;
}

static int run_decode(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 2;
    }
    static uint8_t buf[WMGW_WMIO_MAX_INPUT];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct wmgw_wmio_object o;
    struct wmgw_wmio_decode_opts opts = {.want_class = true};
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = n >= 4 && memcmp(buf, "MEOW", 4) == 0 ? wmgw_wmio_decode_objref(buf, n, &opts, &o, &err)
                                                    : wmgw_wmio_decode_unit(buf, n, &opts, &o, &err);
    json_t *j = json_object();
    if (rc != 0) {
        json_object_set_new(j, "error", json_string(wmgw_err_name(rc)));
        json_object_set_new(j, "message", json_string(err.message));
        json_object_set_new(j, "position", json_integer(err.position));
    } else {
        json_object_set_new(j, "flags", json_integer(o.flags));
        json_object_set_new(j, "server", chk_str_or_null(o.server));
        json_object_set_new(j, "namespace", chk_str_or_null(o.namespace_));
        json_object_set_new(j, "class", o.cls ? chk_class_json(o.cls) : json_null());
        json_object_set_new(j, "instance", o.inst ? chk_instance_json(o.inst) : json_null());
        wmgw_wmio_object_dispose(&o);
    }
    json_dumpf(j, stdout, JSON_INDENT(1));
    putchar('\n');
    json_decref(j);
    return rc != 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            puts(cases[i]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "case") == 0)
        return run_case(argv[2]);
    if (argc == 3 && strcmp(argv[1], "decode") == 0)
        return run_decode(argv[2]);
    fprintf(stderr, "usage: wmio_dump list | case NAME | decode FILE\n");
    return 2;
}
