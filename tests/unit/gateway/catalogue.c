/*
 * Tests of gateway/catalogue.c and the class parser it shares with the
 * simulator (cim/class_json.c): the bundled fixtures load, in definition
 * order, with inheritance, qualifiers and defaults; lookups ignore case;
 * a broken directory or class is a configuration error naming the file.
 */
#include "gateway/catalogue.h"
#include "tests/unit/test.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char fixtures[4096];

static void test_bundled_fixtures(void)
{
    struct wmgw_catalogue *cat = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    CHECK_INT(wmgw_catalogue_load(fixtures, &cat, &err), 0);
    if (cat == NULL)
        return;
    CHECK(wmgw_catalogue_size(cat) > 20);
    CHECK_STR(wmgw_catalogue_dir(cat), fixtures);
    /* Case-insensitive, namespace and class. */
    const struct wmgw_cim_class *svc = wmgw_catalogue_class(cat, "ROOT/CIMV2", "win32_service");
    CHECK(svc != NULL);
    if (svc != NULL) {
        CHECK_STR(svc->name, "Win32_Service");
        CHECK_STR(svc->superclass, "Win32_BaseService");
        CHECK(svc->description != NULL);
        /* Inherited, and in name order as WinRM renders them. */
        const struct wmgw_cim_propdecl *name = wmgw_cim_class_prop(svc, "Name");
        CHECK(name != NULL && (name->flags & WMGW_CIM_Q_KEY));
        for (size_t i = 1; i < svc->nprops; i++)
            CHECK(strcasecmp(svc->props[i - 1].name, svc->props[i].name) < 0);
        CHECK(wmgw_cim_class_method(svc, "StopService") != NULL);
        CHECK(svc->flags & WMGW_CIM_Q_SUPPORTS_CREATE); /* inherited from Win32_BaseService */
    }
    const struct wmgw_cim_class *os = wmgw_catalogue_class(cat, "root/cimv2", "Win32_OperatingSystem");
    const struct wmgw_cim_propdecl *boost = os ? wmgw_cim_class_prop(os, "ForegroundApplicationBoost") : NULL;
    CHECK(boost != NULL && !boost->default_value.null && boost->default_value.u.u == 2);
    CHECK(os != NULL && (os->flags & WMGW_CIM_Q_SINGLETON));
    /* Definition order: a base class comes before its subclasses. */
    size_t at_base = 0, at_sub = 0;
    const struct wmgw_cim_class *c;
    for (size_t i = 0; (c = wmgw_catalogue_at(cat, "root/cimv2", i)) != NULL; i++) {
        if (strcmp(c->name, "CIM_Dependency") == 0)
            at_base = i + 1;
        if (strcmp(c->name, "Win32_DependentService") == 0)
            at_sub = i + 1;
    }
    CHECK(at_base > 0 && at_sub > at_base);
    struct wmgw_class_entry *e = wmgw_catalogue_get(cat, "root/test", "SIM_LINK");
    CHECK(e != NULL && (e->cls->flags & WMGW_CIM_Q_ASSOCIATION));
    wmgw_class_entry_unref(e);
    CHECK(wmgw_catalogue_get(cat, "root/cimv2", "Sim_Link") == NULL); /* another namespace's */
    CHECK(wmgw_catalogue_class(cat, "root/nosuch", "Win32_Service") == NULL);
    CHECK(wmgw_catalogue_at(cat, "root/nosuch", 0) == NULL);
    wmgw_catalogue_free(cat);
}

/* A directory holding one file with the given text; returns its path. */
static const char *one_file_dir(const char *name, const char *text)
{
    static char dir[256];
    snprintf(dir, sizeof(dir), "/tmp/wmgw-unit-catalogue-%d", (int)getpid());
    mkdir(dir, 0700);
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    if (fp != NULL) {
        fputs(text, fp);
        fclose(fp);
    }
    return dir;
}

static void remove_dir(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    rmdir(dir);
}

static void test_errors(void)
{
    struct wmgw_catalogue *cat = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    CHECK_INT(wmgw_catalogue_load("/nonexistent/wmgw", &cat, &err), WMGW_ECONFIG);
    CHECK(cat == NULL && strstr(err.message, "/nonexistent/wmgw") != NULL);
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"{\"namespace\":\"root/x\",\"classes\":[{\"name\":\"A\",\"superclass\":\"B\"}]}", "superclass B"},
        {"{\"namespace\":\"root/x\",\"classes\":[{\"name\":\"A\"},{\"name\":\"a\"}]}", "defined twice"},
        {"{\"namespace\":\"root/x\",\"classes\":[{\"name\":\"A\",\"properties\":[{\"name\":\"P\",\"type\":\"nope\"}]}]}",
         "bad name or type"},
        {"{\"classes\":[]}", "no \"namespace\""},
        {"{\"namespace\":", "bad.json"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *dir = one_file_dir("bad.json", bad[i].text);
        wmgw_err_clear(&err);
        CHECK_INT(wmgw_catalogue_load(dir, &cat, &err), WMGW_ECONFIG);
        CHECK(cat == NULL);
        if (strstr(err.message, bad[i].says) == NULL || strstr(err.message, "bad.json") == NULL)
            fprintf(stderr, "case %zu: \"%s\"\n", i, err.message);
        CHECK(strstr(err.message, bad[i].says) != NULL && strstr(err.message, "bad.json") != NULL);
        remove_dir(dir, "bad.json");
    }
    /* Instances are not the catalogue's business: ignored. */
    const char *dir = one_file_dir("ok.json", "{\"namespace\":\"root\\\\x\",\"classes\":[{\"name\":\"A\",\"properties\":"
                                              "[{\"name\":\"K\",\"type\":\"uint32\",\"key\":true,\"default\":7}]}],"
                                              "\"instances\":[{\"@class\":\"Nope\"}]}");
    CHECK_INT(wmgw_catalogue_load(dir, &cat, &err), 0);
    const struct wmgw_cim_class *a = cat ? wmgw_catalogue_class(cat, "root/x", "a") : NULL;
    CHECK(a != NULL && a->nprops == 1 && a->props[0].default_value.u.u == 7);
    wmgw_catalogue_free(cat);
    remove_dir(dir, "ok.json");
}

int main(void)
{
    const char *src = getenv("WMGW_SOURCE_DIR");
    snprintf(fixtures, sizeof(fixtures), "%s/tests/sim/fixtures", src && *src ? src : ".");
    WMGW_TEST_RUN(test_bundled_fixtures);
    WMGW_TEST_RUN(test_errors);
    return WMGW_TEST_DONE();
}
