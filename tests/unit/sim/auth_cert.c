/*
 * auth_cert.c: tests for the simulator's certificate authentication
 * pieces (tests/sim/auth_cert.c, auth_header.c): the mutual secprofile
 * header, --cert-map rows and their lookup, and the UPN read from a
 * certificate's subjectAltName otherName.  Certificates are built here
 * with OpenSSL's API (no files): with a UPN, with only an e-mail SAN,
 * with a UPN holding a NUL, with a UPN of the wrong string type.
 */
#include "tests/sim/auth.h"
#include "tests/sim/host.h"
#include "tests/sim/server.h"

#include <openssl/x509v3.h>

#include "../test.h"

/* A self-signed certificate whose SAN is one otherName UPN of the given
 * type and bytes (type < 0: an e-mail SAN instead). */
static X509 *cert_with(int type, const char *upn, int len)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    GENERAL_NAMES *sans = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *g = GENERAL_NAME_new();
    if (type < 0) {
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        ASN1_STRING_set(s, upn, len);
        GENERAL_NAME_set0_value(g, GEN_EMAIL, s);
    } else {
        ASN1_TYPE *v = ASN1_TYPE_new();
        ASN1_STRING *s = ASN1_STRING_type_new(type);
        ASN1_STRING_set(s, upn, len);
        ASN1_TYPE_set(v, type, s);
        GENERAL_NAME_set0_othername(g, OBJ_nid2obj(NID_ms_upn), v);
    }
    sk_GENERAL_NAME_push(sans, g);
    X509_add1_ext_i2d(x, NID_subject_alt_name, sans, 0, 0);
    GENERAL_NAMES_free(sans);
    X509_sign(x, key, EVP_sha256());
    EVP_PKEY_free(key);
    return x;
}

static void test_upn(void)
{
    char upn[SIM_AUTH_UPN_MAX];
    struct wmgw_err err;
    X509 *x = cert_with(V_ASN1_UTF8STRING, "alice@wmgw.test", 15);
    CHECK_INT(sim_auth_cert_upn(x, upn, &err), 0);
    CHECK_STR(upn, "alice@wmgw.test");
    X509_free(x);
    x = cert_with(-1, "alice@wmgw.test", 15); /* an e-mail address is no UPN */
    CHECK_INT(sim_auth_cert_upn(x, upn, &err), 0);
    CHECK_STR(upn, "");
    X509_free(x);
    x = cert_with(V_ASN1_UTF8STRING, "alice\0@evil.test", 16);
    CHECK_INT(sim_auth_cert_upn(x, upn, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "NUL") != NULL);
    X509_free(x);
    x = cert_with(V_ASN1_IA5STRING, "alice@wmgw.test", 15);
    CHECK_INT(sim_auth_cert_upn(x, upn, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "UTF8String") != NULL);
    X509_free(x);
    char big[SIM_AUTH_UPN_MAX + 10];
    memset(big, 'a', sizeof(big));
    x = cert_with(V_ASN1_UTF8STRING, big, (int)sizeof(big));
    CHECK_INT(sim_auth_cert_upn(x, upn, &err), WMGW_EINVAL);
    X509_free(x);
}

static void test_maps(void)
{
    struct sim_user users[] = {{.name = "alice"}, {.name = "bob"}};
    struct sim_fleet f = {.nusers = 2, .users = users};
    struct sim_server s = {.fleet = &f};
    struct wmgw_err err;
    CHECK_INT(sim_auth_cert_map_add(&s, "alice@wmgw.test=alice", &err), 0);
    CHECK_INT(sim_auth_cert_map_add(&s, "*=bob", &err), 0);
    CHECK_INT(sim_auth_cert_map_add(&s, "x@wmgw.test=mallory", &err), WMGW_EINVAL); /* no such user */
    CHECK(strstr(err.message, "mallory") != NULL);
    CHECK_INT(sim_auth_cert_map_add(&s, "=alice", &err), WMGW_EINVAL);
    CHECK_INT(sim_auth_cert_map_add(&s, "alice@wmgw.test", &err), WMGW_EINVAL);
    CHECK_INT(sim_auth_cert_map_add(&s, "a@b=", &err), WMGW_EINVAL);
    CHECK_STR(sim_auth_cert_map_find(&s, "ALICE@wmgw.test"), "alice"); /* UPNs are case-insensitive */
    CHECK_STR(sim_auth_cert_map_find(&s, "carol@wmgw.test"), "bob");   /* "*" */
    CHECK_STR(sim_auth_cert_map_find(&s, ""), "bob");
    sim_auth_cert_maps_free(&s);
    CHECK(sim_auth_cert_map_find(&s, "alice@wmgw.test") == NULL); /* no mapping, no user */
    CHECK_INT(sim_auth_cert_map_add(&s, "alice@wmgw.test=alice", &err), 0);
    CHECK(sim_auth_cert_map_find(&s, "carol@wmgw.test") == NULL);
    sim_auth_cert_maps_free(&s);
}

static void test_header(void)
{
    char scheme[SIM_AUTH_MAX_SCHEME];
    struct wmgw_buf tok;
    struct wmgw_err err;
    wmgw_buf_init(&tok, SIM_AUTH_MAX_TOKEN);
    const char *v = SIM_AUTH_MUTUAL_URI;
    CHECK_INT(sim_auth_header_parse(v, strlen(v), scheme, &tok, &err), 0);
    CHECK_STR(scheme, SIM_AUTH_MUTUAL);
    CHECK_INT(tok.len, 0);
    /* Only the exact URI: a prefix, a longer one, or the row's own name
     * sent as a scheme are refused. */
    CHECK_INT(sim_auth_header_parse(v, strlen(v) - 1, scheme, &tok, &err), WMGW_EINVAL);
    const char *longer = SIM_AUTH_MUTUAL_URI "x";
    CHECK_INT(sim_auth_header_parse(longer, strlen(longer), scheme, &tok, &err), WMGW_EINVAL);
    const char *forged = SIM_AUTH_MUTUAL " YWJj";
    CHECK_INT(sim_auth_header_parse(forged, strlen(forged), scheme, &tok, &err), WMGW_EINVAL);
    wmgw_buf_dispose(&tok);
}

int main(void)
{
    WMGW_TEST_RUN(test_upn);
    WMGW_TEST_RUN(test_maps);
    WMGW_TEST_RUN(test_header);
    return WMGW_TEST_DONE();
}
