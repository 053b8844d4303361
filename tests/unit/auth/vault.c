/*
 * vault.c: tests for the credential vault (auth/vault*.c): its API.
 *
 *   - credentials: add, get, list, rotate, delete; reveal of all three
 *     kinds; bad names and material refused; the file holds no secret
 *   - two handles on one file see each other's writes after refresh, and
 *     writers on separate handles lose nothing; readers reveal and resolve
 *     while a writer rotates (run it under TSan too)
 *   - mappings and their precedence
 *   - key files and their permissions; rekey
 *
 * vault_file.c tests the file (tampering, atomicity), vault_memory.c what
 * stays in memory.  Each test works on its own file in a fresh directory.
 */
#include "vault_helpers.h"

#include <pthread.h>

/* ---- credentials ---- */

static void test_create_add_rotate_delete(void)
{
    const char *path = vault_path("crud");
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK(exists(path));
    CHECK_INT(file_mode(path), 0600);
    struct wmgw_vault_info *list = NULL, info;
    size_t n = 9;
    CHECK_INT(wmgw_vault_list(v, &list, &n, NULL), 0);
    CHECK_INT(n, 0);
    free(list);

    time_t before = time(NULL);
    CHECK_INT(add_password(v, "web-admin", "svc-web", "CORP", "first password", NULL), 0);
    CHECK_INT(add_password(v, "db.admin_2", "svc-db", "", "db password", NULL), 0);
    struct wmgw_err err;
    CHECK_INT(add_password(v, "web-admin", "x", "", "y", &err), WMGW_EEXIST);
    CHECK_INT(wmgw_vault_get(v, "web-admin", &info, NULL), 0);
    CHECK_STR(info.user, "svc-web");
    CHECK_STR(info.domain, "CORP");
    CHECK_INT(info.kind, WMGW_VAULT_PASSWORD);
    CHECK_INT(info.version, 1);
    CHECK(info.created >= before && info.created <= time(NULL) + 1 && info.rotated == info.created);
    CHECK_INT(wmgw_vault_list(v, &list, &n, NULL), 0);
    CHECK_INT(n, 2);
    CHECK(n == 2 && strcmp(list[0].id, "web-admin") == 0 && strcmp(list[1].id, "db.admin_2") == 0);
    free(list);
    check_password(v, "web-admin", "first password");

    CHECK_INT(rotate_password(v, "web-admin", "second password", NULL), 0);
    CHECK_INT(wmgw_vault_get(v, "web-admin", &info, NULL), 0);
    CHECK_INT(info.version, 2);
    CHECK(info.rotated >= info.created);
    check_password(v, "web-admin", "second password");
    CHECK_INT(rotate_password(v, "nobody", "x", &err), WMGW_ENOTFOUND);

    CHECK_INT(wmgw_vault_delete(v, "db.admin_2", NULL), 0);
    CHECK_INT(wmgw_vault_get(v, "db.admin_2", &info, &err), WMGW_ENOTFOUND);
    CHECK_INT(wmgw_vault_delete(v, "db.admin_2", &err), WMGW_ENOTFOUND);
    struct wmgw_vault_revealed r;
    CHECK_INT(wmgw_vault_reveal(v, "db.admin_2", &r, &err), WMGW_ENOTFOUND);
    CHECK(r.secret == NULL);

    /* Bad names and bad material change nothing. */
    static const char *const bad_ids[] = {"", "-lead", ".dot", "has space", "semi;colon", "ümlaut", "a/b"};
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++)
        CHECK_INT(add_password(v, bad_ids[i], "u", "", "p", NULL), WMGW_EINVAL);
    static const char long_id[] = "a1234567890123456789012345678901234567890123456789012345678901234";
    CHECK_INT(wmgw_vault_get(v, long_id, &info, NULL), WMGW_EINVAL); /* 65 characters */
    CHECK_INT(rotate_password(v, long_id, "p", NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_vault_delete(v, long_id, NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_vault_reveal(v, long_id, &r, NULL), WMGW_EINVAL);
    CHECK_INT(add_password(v, "ok", "", "", "p", NULL), WMGW_EINVAL);       /* no user */
    CHECK_INT(add_password(v, "ok", "a\tb", "", "p", NULL), WMGW_EINVAL);   /* control character */
    CHECK_INT(add_password(v, "ok", "\xc3(", "", "p", NULL), WMGW_EINVAL);  /* not UTF-8 */
    CHECK_INT(add_password(v, "ok", "u", "", "", NULL), WMGW_EINVAL);       /* empty password */
    CHECK_INT(add_password(v, "ok", "josé", "CORP", "p", NULL), 0);
    struct wmgw_vault_material nul = {.password = "a\0b", .password_len = 3};
    struct wmgw_vault_info ok2 = {.id = "ok2", .kind = WMGW_VAULT_PASSWORD, .user = "u"};
    CHECK_INT(wmgw_vault_add(v, &ok2, &nul, NULL), WMGW_EINVAL);
    struct wmgw_vault_info badkind = {.id = "ok3", .kind = 7, .user = "u"};
    CHECK_INT(wmgw_vault_add(v, &badkind, &nul, NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_vault_list(v, &list, &n, NULL), 0);
    CHECK_INT(n, 2);
    free(list);
    wmgw_vault_free(v);

    /* It all persists. */
    v = open_vault(path, K1);
    check_password(v, "web-admin", "second password");
    CHECK_INT(wmgw_vault_get(v, "ok", &info, NULL), 0);
    CHECK_STR(info.user, "josé");
    wmgw_vault_free(v);
}

static void test_reveal_all_kinds(void)
{
    const char *path = vault_path("kinds");
    struct wmgw_vault *v = open_vault(path, K1);
    struct wmgw_vault_info kt = {.id = "kt", .kind = WMGW_VAULT_KEYTAB, .user = "HTTP/gw", .domain = "EXAMPLE.COM"};
    struct wmgw_vault_material ktm = {.keytab = KEYTAB, .keytab_len = sizeof(KEYTAB)};
    CHECK_INT(wmgw_vault_add(v, &kt, &ktm, NULL), 0);
    struct wmgw_vault_info cert = {.id = "cert", .kind = WMGW_VAULT_CERTIFICATE};
    struct wmgw_vault_material cm = {.cert_pem = CERT, .cert_pem_len = strlen(CERT), .key_pem = PKEY,
                                     .key_pem_len = strlen(PKEY)};
    CHECK_INT(wmgw_vault_add(v, &cert, &cm, NULL), 0);
    CHECK_INT(add_password(v, "pw", "administrator", "WIN2003", "P@ssw0rd!", NULL), 0);
    wmgw_vault_free(v);
    v = open_vault(path, K1);

    struct wmgw_vault_revealed r;
    CHECK_INT(wmgw_vault_reveal(v, "kt", &r, NULL), 0);
    CHECK_INT(r.info.kind, WMGW_VAULT_KEYTAB);
    CHECK_STR(r.info.domain, "EXAMPLE.COM");
    CHECK(r.keytab_len == sizeof(KEYTAB) && memcmp(r.keytab, KEYTAB, sizeof(KEYTAB)) == 0);
    CHECK(r.password == NULL && r.cert_pem == NULL);
    CHECK(r.secret != NULL && r.keytab >= r.secret->data && r.keytab < r.secret->data + r.secret->len);
    wmgw_vault_revealed_wipe(&r);
    CHECK(r.secret == NULL && r.keytab == NULL);
    wmgw_vault_revealed_wipe(&r); /* twice is fine */

    CHECK_INT(wmgw_vault_reveal(v, "cert", &r, NULL), 0);
    CHECK_INT(r.info.kind, WMGW_VAULT_CERTIFICATE);
    CHECK_STR(r.cert_pem, CERT);
    CHECK_INT(r.cert_pem_len, strlen(CERT));
    CHECK_STR(r.key_pem, PKEY);
    CHECK_INT(r.key_pem_len, strlen(PKEY));
    wmgw_vault_revealed_wipe(&r);

    CHECK_INT(wmgw_vault_reveal(v, "pw", &r, NULL), 0);
    CHECK_STR(r.password, "P@ssw0rd!");
    CHECK_STR(r.info.user, "administrator");
    CHECK_STR(r.info.domain, "WIN2003");
    wmgw_vault_revealed_wipe(&r);

    /* Rotation keeps the kind: password material does not fit a keytab. */
    struct wmgw_vault_material pwm = {.password = "x", .password_len = 1};
    CHECK_INT(wmgw_vault_rotate(v, "kt", &pwm, NULL), WMGW_EINVAL);
    static const uint8_t not_keytab[] = {0x04, 0x02, 0};
    struct wmgw_vault_material bad = {.keytab = not_keytab, .keytab_len = sizeof(not_keytab)};
    CHECK_INT(wmgw_vault_rotate(v, "kt", &bad, NULL), WMGW_EINVAL);
    struct wmgw_vault_material swapped = {.cert_pem = PKEY, .cert_pem_len = strlen(PKEY), .key_pem = CERT,
                                          .key_pem_len = strlen(CERT)};
    CHECK_INT(wmgw_vault_rotate(v, "cert", &swapped, NULL), WMGW_EINVAL);

    /* No secret is in the file in clear. */
    size_t n;
    char *text = read_text(path, &n);
    CHECK(memmem(text, n, "P@ssw0rd!", 9) == NULL);
    CHECK(memmem(text, n, "S3cr3tKeyMaterial", 17) == NULL);
    CHECK(memmem(text, n, "BEGIN", 5) == NULL);
    CHECK(memmem(text, n, KEYTAB + 25, 12) == NULL);
    CHECK(memmem(text, n, "\"administrator\"", 15) != NULL); /* metadata is */
    free(text);
    wmgw_vault_free(v);
}

/* ---- sharing ---- */

static void test_two_handles_one_file(void)
{
    const char *path = vault_path("shared");
    struct wmgw_vault *a = open_vault(path, K1), *b = open_vault(path, K1);
    CHECK_INT(add_password(a, "alpha", "ua", "", "from-a", NULL), 0);
    struct wmgw_vault_info info;
    CHECK_INT(wmgw_vault_get(b, "alpha", &info, NULL), WMGW_ENOTFOUND);
    bool changed = false;
    CHECK_INT(wmgw_vault_refresh(b, &changed, NULL), 0);
    CHECK(changed);
    check_password(b, "alpha", "from-a");
    CHECK_INT(wmgw_vault_refresh(b, &changed, NULL), 0);
    CHECK(!changed);
    /* b writes; a, not refreshed, writes too: a's write starts from b's. */
    CHECK_INT(rotate_password(b, "alpha", "from-b", NULL), 0);
    CHECK_INT(add_password(a, "bravo", "ub", "", "also-from-a", NULL), 0);
    check_password(a, "alpha", "from-b");
    CHECK_INT(wmgw_vault_refresh(b, &changed, NULL), 0);
    CHECK(changed);
    check_password(b, "bravo", "also-from-a");
    CHECK_INT(wmgw_vault_get(b, "alpha", &info, NULL), 0);
    CHECK_INT(info.version, 2);
    /* A conflicting add is refused against the other's data. */
    struct wmgw_err err;
    CHECK_INT(add_password(b, "charlie", "uc", "", "b", NULL), 0);
    CHECK_INT(add_password(a, "charlie", "uc", "", "a", &err), WMGW_EEXIST);
    wmgw_vault_free(a);
    wmgw_vault_free(b);
}

struct reader {
    struct wmgw_vault *v;
    int *stop;
    int errors, reveals;
};

static void *reveal_loop(void *arg)
{
    struct reader *r = arg;
    const char *groups[] = {"S-1-5-32-545"}, *hosts[] = {"web"};
    struct wmgw_vault_principal who = {"alice", NULL, groups, 1};
    while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
        struct wmgw_vault_revealed rev;
        char want[64], cred[WMGW_VAULT_ID_MAX + 1];
        if (wmgw_vault_reveal(r->v, "hot", &rev, NULL) != 0) {
            r->errors++;
            continue;
        }
        /* Secret and metadata come from the same snapshot. */
        snprintf(want, sizeof(want), "password-v%llu", (unsigned long long)rev.info.version);
        if (strcmp(rev.password, want) != 0)
            r->errors++;
        wmgw_vault_revealed_wipe(&rev);
        if (wmgw_vault_resolve(r->v, &who, hosts, 1, cred, NULL) != 0 || strcmp(cred, "hot") != 0)
            r->errors++;
        r->reveals++;
    }
    return NULL;
}

struct writer {
    const char *path;
    int first, count, errors;
};

static void *add_loop(void *arg)
{
    struct writer *w = arg;
    struct wmgw_vault *v = open_vault(w->path, K1);
    for (int i = w->first; i < w->first + w->count; i++) {
        char id[16];
        snprintf(id, sizeof(id), "c%d", i);
        if (add_password(v, id, "u", "", id, NULL) != 0)
            w->errors++;
    }
    wmgw_vault_free(v);
    return NULL;
}

static void test_concurrency(void)
{
    const char *path = vault_path("threads");
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK_INT(add_password(v, "hot", "u", "", "password-v1", NULL), 0);
    struct wmgw_vault_mapping m = {WMGW_VAULT_SUBJECT_GROUP, "S-1-5-32-545", "web", "hot"};
    CHECK_INT(wmgw_vault_map_set(v, &m, NULL), 0);
    int stop = 0;
    pthread_t t[4];
    struct reader r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (struct reader){v, &stop, 0, 0};
        CHECK_INT(pthread_create(&t[i], NULL, reveal_loop, &r[i]), 0);
    }
    for (int i = 2; i <= 25; i++) {
        char pw[64];
        snprintf(pw, sizeof(pw), "password-v%d", i);
        CHECK_INT(rotate_password(v, "hot", pw, NULL), 0);
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    int reveals = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(r[i].errors, 0);
        reveals += r[i].reveals;
    }
    CHECK(reveals > 0);
    printf("# %d reveals during 24 rotations\n", reveals);
    check_password(v, "hot", "password-v25");

    /* Writers on separate handles (as separate replicas would be) lose
     * nothing: each write starts from the other's latest file. */
    pthread_t wt[2];
    struct writer w[2] = {{path, 0, 12, 0}, {path, 100, 12, 0}};
    for (int i = 0; i < 2; i++)
        CHECK_INT(pthread_create(&wt[i], NULL, add_loop, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(wt[i], NULL);
        CHECK_INT(w[i].errors, 0);
    }
    CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), 0);
    struct wmgw_vault_info *list;
    size_t n;
    CHECK_INT(wmgw_vault_list(v, &list, &n, NULL), 0);
    CHECK_INT(n, 1 + 24);
    free(list);
    check_password(v, "c111", "c111");
    wmgw_vault_free(v);
}

/* ---- mappings ---- */

static void test_mapping_precedence(void)
{
    const char *path = vault_path("maps");
    struct wmgw_vault *v = open_vault(path, K1);
    static const char *const creds[] = {"grp-web", "alice-web", "sid-db", "grp2-web", "alice-db"};
    for (size_t i = 0; i < 5; i++)
        CHECK_INT(add_password(v, creds[i], "svc", "CORP", "pw", NULL), 0);
    static const char G1[] = "S-1-5-21-1004336348-1177238915-682003330-513", G2[] = "S-1-5-32-545",
                      ALICE[] = "S-1-5-21-1004336348-1177238915-682003330-1104";
    const struct wmgw_vault_mapping maps[] = {
        {WMGW_VAULT_SUBJECT_GROUP, "", "web", "grp-web"},
        {WMGW_VAULT_SUBJECT_PRINCIPAL, "alice", "web", "alice-web"},
        {WMGW_VAULT_SUBJECT_SID, "", "db", "sid-db"},
        {WMGW_VAULT_SUBJECT_GROUP, "", "web", "grp2-web"},
        {WMGW_VAULT_SUBJECT_PRINCIPAL, "alice", "db", "alice-db"},
    };
    for (size_t i = 0; i < 5; i++) {
        struct wmgw_vault_mapping m = maps[i];
        if (m.subject[0] == '\0')
            snprintf(m.subject, sizeof(m.subject), "%s", i == 0 ? G1 : i == 2 ? ALICE : G2);
        CHECK_INT(wmgw_vault_map_set(v, &m, NULL), 0);
    }
    const char *alice_groups[] = {G2, G1}, *web[] = {"dc", "web"}, *db[] = {"db"}, *other[] = {"other"};
    struct wmgw_vault_principal alice = {"alice", ALICE, alice_groups, 2};
    struct wmgw_vault_principal bob = {"bob", "S-1-5-21-1004336348-1177238915-682003330-1105", alice_groups, 2};
    struct wmgw_vault_principal carol = {"carol", NULL, NULL, 0};
    struct wmgw_vault_principal alice_by_sid = {NULL, "s-1-5-21-1004336348-1177238915-682003330-1104", NULL, 0};
    char cred[WMGW_VAULT_ID_MAX + 1];
    /* alice's own mapping beats the group one stored before it. */
    CHECK_INT(wmgw_vault_resolve(v, &alice, web, 2, cred, NULL), 0);
    CHECK_STR(cred, "alice-web");
    /* bob only has groups: the first group mapping in stored order. */
    CHECK_INT(wmgw_vault_resolve(v, &bob, web, 2, cred, NULL), 0);
    CHECK_STR(cred, "grp-web");
    /* On db, alice's SID mapping and name mapping are equals: first stored. */
    CHECK_INT(wmgw_vault_resolve(v, &alice, db, 1, cred, NULL), 0);
    CHECK_STR(cred, "sid-db");
    CHECK_INT(wmgw_vault_resolve(v, &alice_by_sid, db, 1, cred, NULL), 0);
    CHECK_STR(cred, "sid-db");
    /* Nothing applies: refused, with the message the API shows. */
    struct wmgw_err err;
    CHECK_INT(wmgw_vault_resolve(v, &carol, web, 2, cred, &err), WMGW_EACCES);
    CHECK_STR(err.message, "no backend credential for you on this host");
    CHECK_STR(cred, "");
    CHECK_INT(wmgw_vault_resolve(v, &alice, other, 1, cred, NULL), WMGW_EACCES);
    CHECK_INT(wmgw_vault_resolve(v, &bob, db, 1, cred, NULL), WMGW_EACCES);
    CHECK_INT(wmgw_vault_resolve(v, &alice, web, 0, cred, NULL), WMGW_EACCES);

    /* set on an existing (subject, host group) replaces in place. */
    struct wmgw_vault_mapping m = {WMGW_VAULT_SUBJECT_GROUP, "", "web", "alice-db"};
    snprintf(m.subject, sizeof(m.subject), "%s", G1);
    CHECK_INT(wmgw_vault_map_set(v, &m, NULL), 0);
    CHECK_INT(wmgw_vault_resolve(v, &bob, web, 2, cred, NULL), 0);
    CHECK_STR(cred, "alice-db");
    struct wmgw_vault_mapping *list;
    size_t n;
    CHECK_INT(wmgw_vault_map_list(v, &list, &n, NULL), 0);
    CHECK_INT(n, 5);
    CHECK(n == 5 && strcmp(list[0].credential, "alice-db") == 0 && strcmp(list[3].credential, "grp2-web") == 0);
    free(list);

    /* Mappings need a credential; a mapped credential cannot go. */
    struct wmgw_vault_mapping dangling = {WMGW_VAULT_SUBJECT_PRINCIPAL, "dave", "web", "nope"};
    CHECK_INT(wmgw_vault_map_set(v, &dangling, NULL), WMGW_ENOTFOUND);
    CHECK_INT(wmgw_vault_delete(v, "sid-db", &err), WMGW_ECONFLICT);
    CHECK(strstr(err.message, "1 mapping") != NULL);
    CHECK_INT(wmgw_vault_map_delete(v, WMGW_VAULT_SUBJECT_SID, ALICE, "db", NULL), 0);
    CHECK_INT(wmgw_vault_map_delete(v, WMGW_VAULT_SUBJECT_SID, ALICE, "db", NULL), WMGW_ENOTFOUND);
    CHECK_INT(wmgw_vault_delete(v, "sid-db", NULL), 0);
    CHECK_INT(wmgw_vault_resolve(v, &alice, db, 1, cred, NULL), 0);
    CHECK_STR(cred, "alice-db");

    /* Bad subjects and host groups. */
    static const struct wmgw_vault_mapping bad[] = {
        {WMGW_VAULT_SUBJECT_SID, "S-1-5-21-1;drop", "web", "grp-web"},
        {WMGW_VAULT_SUBJECT_GROUP, "alice", "web", "grp-web"},
        {WMGW_VAULT_SUBJECT_GROUP, "S-2-5", "web", "grp-web"},
        {WMGW_VAULT_SUBJECT_PRINCIPAL, "al\nice", "web", "grp-web"},
        {WMGW_VAULT_SUBJECT_PRINCIPAL, "", "web", "grp-web"},
        {WMGW_VAULT_SUBJECT_PRINCIPAL, "alice", "web servers", "grp-web"},
        {0, "alice", "web", "grp-web"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT(wmgw_vault_map_set(v, &bad[i], NULL), WMGW_EINVAL);
    wmgw_vault_free(v);

    /* Mappings persist, in order. */
    v = open_vault(path, K1);
    CHECK_INT(wmgw_vault_resolve(v, &alice, web, 2, cred, NULL), 0);
    CHECK_STR(cred, "alice-web");
    wmgw_vault_free(v);
}

/* ---- keys ---- */

static void test_key_files(void)
{
    char path[300], id1[17], id2[17];
    struct wmgw_vault_key *k, *back;
    struct wmgw_err err;
    CHECK_INT(wmgw_vault_key_generate(&k, NULL), 0);
    wmgw_vault_key_id(k, id1);
    CHECK_INT(strlen(id1), 16);
    snprintf(path, sizeof(path), "%s/key.b64", dir);
    CHECK_INT(wmgw_vault_key_write_file(k, path, NULL), 0);
    CHECK_INT(file_mode(path), 0400);
    CHECK_INT(wmgw_vault_key_write_file(k, path, &err), WMGW_ECONFIG); /* never overwrites */
    CHECK_INT(wmgw_vault_key_load_file(path, &back, NULL), 0);
    wmgw_vault_key_id(back, id2);
    CHECK_STR(id1, id2);
    wmgw_vault_key_free(back);

    /* Group or others may read (or write): refused, and the message says why. */
    static const mode_t refused[] = {0440, 0404, 0640, 0604, 0620, 0602, 0644};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        chmod(path, refused[i]);
        back = (struct wmgw_vault_key *)1;
        CHECK_INT(wmgw_vault_key_load_file(path, &back, &err), WMGW_ECONFIG);
        CHECK(back == NULL);
        CHECK(strstr(err.message, "group or others") != NULL);
    }
    chmod(path, 0600);
    CHECK_INT(wmgw_vault_key_load_file(path, &back, NULL), 0);
    wmgw_vault_key_free(back);

    /* A raw 32-byte key file, and a base64 one written by hand. */
    snprintf(path, sizeof(path), "%s/key.raw", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && write(fd, K1, 32) == 32);
    close(fd);
    CHECK_INT(wmgw_vault_key_load_file(path, &back, NULL), 0);
    struct wmgw_vault_key *k1 = key(K1);
    wmgw_vault_key_id(back, id1);
    wmgw_vault_key_id(k1, id2);
    CHECK_STR(id1, id2);
    wmgw_vault_key_free(back);
    /* base64 of K1 (Python: base64.b64encode(bytes(K1))). */
    static const char k1_b64[] = "ESIzRFVmd4iZqrvM3e7/AAECAwQFBgcICQoLDA0ODxA=";
    CHECK_INT(wmgw_vault_key_from_base64(k1_b64, &back, NULL), 0);
    wmgw_vault_key_id(back, id1);
    CHECK_STR(id1, id2);
    wmgw_vault_key_free(back);
    snprintf(path, sizeof(path), "%s/key.txt", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0400);
    CHECK(fd >= 0 && write(fd, k1_b64, 44) == 44 && write(fd, "\n", 1) == 1);
    close(fd);
    CHECK_INT(wmgw_vault_key_load_file(path, &back, NULL), 0);
    wmgw_vault_key_id(back, id1);
    CHECK_STR(id1, id2);
    wmgw_vault_key_free(back);
    wmgw_vault_key_free(k1);

    static const char *const bad_values[] = {"", "ESIzRFVmd4iZqrvM3e7/AAECAwQFBgcICQoLDA0ODxA",
                                             "ESIzRFVmd4iZqrvM3e7_AAECAwQFBgcICQoLDA0ODxA=",
                                             "ESIzRFVmd4iZqrvM3e7/AAECAwQFBgcICQoLDA0ODxAREhM=", "not a key"};
    for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
        back = (struct wmgw_vault_key *)1;
        CHECK_INT(wmgw_vault_key_from_base64(bad_values[i], &back, &err), WMGW_ECONFIG);
        CHECK(back == NULL);
    }
    snprintf(path, sizeof(path), "%s/key.bad", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && write(fd, "short", 5) == 5);
    close(fd);
    CHECK_INT(wmgw_vault_key_load_file(path, &back, &err), WMGW_ECONFIG);
    snprintf(path, sizeof(path), "%s/no-such-key", dir);
    CHECK_INT(wmgw_vault_key_load_file(path, &back, &err), WMGW_ECONFIG);
    CHECK_INT(wmgw_vault_key_load_file(dir, &back, &err), WMGW_ECONFIG);
    wmgw_vault_key_free(k);
}

static void test_rekey(void)
{
    const char *path = vault_path("rekey");
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK_INT(add_password(v, "alpha", "ua", "", "alpha-secret", NULL), 0);
    struct wmgw_vault_info cert = {.id = "cert", .kind = WMGW_VAULT_CERTIFICATE};
    struct wmgw_vault_material cm = {.cert_pem = CERT, .cert_pem_len = strlen(CERT), .key_pem = PKEY,
                                     .key_pem_len = strlen(PKEY)};
    CHECK_INT(wmgw_vault_add(v, &cert, &cm, NULL), 0);
    struct wmgw_vault_mapping m = {WMGW_VAULT_SUBJECT_PRINCIPAL, "alice", "web", "alpha"};
    CHECK_INT(wmgw_vault_map_set(v, &m, NULL), 0);
    struct wmgw_vault *other = open_vault(path, K1);
    size_t before_len;
    char *before = read_text(path, &before_len);
    struct wmgw_vault_key *k2 = key(K2);
    CHECK_INT(wmgw_vault_rekey(v, k2, NULL), 0);
    wmgw_vault_key_free(k2);
    /* Every ciphertext is new. */
    struct wmgw__vault_state *a = NULL, *b = NULL;
    size_t after_len;
    char *after = read_text(path, &after_len);
    CHECK_INT(wmgw__vault_parse(before, before_len, &a, NULL), 0);
    CHECK_INT(wmgw__vault_parse(after, after_len, &b, NULL), 0);
    CHECK(a && b && a->n_entries == 2 && b->n_entries == 2);
    for (size_t i = 0; a && b && i < 2; i++)
        CHECK(memcmp(a->entries[i].sealed, b->entries[i].sealed, WMGW__VAULT_NONCE_LEN) != 0);
    CHECK(a && b && strcmp(a->key_id, b->key_id) != 0);
    wmgw__vault_state_free(a);
    wmgw__vault_state_free(b);
    free(before);
    free(after);
    check_password(v, "alpha", "alpha-secret");
    CHECK_INT(add_password(v, "bravo", "ub", "", "bravo-secret", NULL), 0);
    wmgw_vault_free(v);
    /* The old key no longer opens it; the new one opens all of it. */
    struct wmgw_err err;
    CHECK_INT(open_rc(path, K1, &err), WMGW_EAUTH);
    CHECK_INT(wmgw_vault_refresh(other, NULL, NULL), WMGW_EAUTH);
    check_password(other, "alpha", "alpha-secret"); /* still serving what it had */
    wmgw_vault_free(other);
    v = open_vault(path, K2);
    check_password(v, "alpha", "alpha-secret");
    check_password(v, "bravo", "bravo-secret");
    struct wmgw_vault_revealed r;
    CHECK_INT(wmgw_vault_reveal(v, "cert", &r, NULL), 0);
    CHECK_STR(r.key_pem, PKEY);
    wmgw_vault_revealed_wipe(&r);
    char cred[WMGW_VAULT_ID_MAX + 1];
    const char *hosts[] = {"web"};
    struct wmgw_vault_principal alice = {"alice", NULL, NULL, 0};
    CHECK_INT(wmgw_vault_resolve(v, &alice, hosts, 1, cred, NULL), 0);
    wmgw_vault_free(v);
}

int main(void)
{
    if (!make_test_dir())
        return 1;
    WMGW_TEST_RUN(test_create_add_rotate_delete);
    WMGW_TEST_RUN(test_reveal_all_kinds);
    WMGW_TEST_RUN(test_two_handles_one_file);
    WMGW_TEST_RUN(test_concurrency);
    WMGW_TEST_RUN(test_mapping_precedence);
    WMGW_TEST_RUN(test_key_files);
    WMGW_TEST_RUN(test_rekey);
    remove_tree();
    return WMGW_TEST_DONE();
}
