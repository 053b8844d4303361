/*
 * vault_file.c: tests for the vault file (auth/vault_file.c, vault_crypto.c,
 * vault_io.c, vault_store.c's load and refresh).
 *
 *   - mode 0600 whatever the umask, a stale temp file replaced
 *   - a wrong key refused, saying so
 *   - every kind of tampering refused: flipped ciphertext or tag bits,
 *     ciphertexts swapped between entries, relabelled kind or id, a
 *     replayed older ciphertext, altered metadata, mappings, generation or
 *     key id; each both as an outsider (old MAC) and, where it matters, as
 *     the key holder (MAC remade) to reach the AEAD's own binding; a
 *     running handle refuses the bad file and keeps serving what it had
 *   - an older file put back is noticed by a running handle
 *   - truncated files, garbage, limits: refused by the parser
 *   - a writer killed between temp file and rename leaves the old vault
 */
#include "vault_helpers.h"

#include <sys/wait.h>

/* ---- the file ---- */

static void test_file_mode_and_temp_file(void)
{
    const char *path = vault_path("mode");
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    mode_t old = umask(0);
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK_INT(file_mode(path), 0600);
    /* A stale temp file left by a crash, world-writable, with garbage. */
    int fd = open(tmp, O_WRONLY | O_CREAT, 0666);
    CHECK(fd >= 0 && write(fd, "garbage", 7) == 7);
    fchmod(fd, 0666);
    close(fd);
    CHECK_INT(add_password(v, "a", "u", "", "pw", NULL), 0);
    CHECK_INT(file_mode(path), 0600);
    CHECK(!exists(tmp));
    umask(old);
    wmgw_vault_free(v);
}

static void test_wrong_key(void)
{
    const char *path = vault_path("wrongkey");
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK_INT(add_password(v, "a", "u", "", "pw", NULL), 0);
    wmgw_vault_free(v);
    struct wmgw_err err = {0};
    CHECK_INT(open_rc(path, K2, &err), WMGW_EAUTH);
    CHECK(strstr(err.message, "master key") != NULL);
    CHECK_INT(open_rc(path, K1, NULL), 0);
}

static void flip_tag_bit(struct wmgw__vault_state *st, void *arg)
{
    st->entries[1].sealed[st->entries[1].sealed_len - 1] ^= 0x80;
}

static void swap_ciphertexts(struct wmgw__vault_state *st, void *arg)
{
    uint8_t *p = st->entries[0].sealed;
    size_t n = st->entries[0].sealed_len;
    st->entries[0].sealed = st->entries[1].sealed;
    st->entries[0].sealed_len = st->entries[1].sealed_len;
    st->entries[1].sealed = p;
    st->entries[1].sealed_len = n;
}

static void relabel_kind(struct wmgw__vault_state *st, void *arg)
{
    st->entries[0].info.kind = WMGW_VAULT_KEYTAB;
}

static void rename_entry(struct wmgw__vault_state *st, void *arg)
{
    strcpy(st->entries[0].info.id, "alpha2");
    strcpy(st->maps[0].credential, "alpha2");
}

static void change_user(struct wmgw__vault_state *st, void *arg)
{
    strcpy(st->entries[0].info.user, "intruder");
}

static void remap(struct wmgw__vault_state *st, void *arg)
{
    strcpy(st->maps[0].credential, "bravo");
}

static void add_mapping(struct wmgw__vault_state *st, void *arg)
{
    struct wmgw_vault_mapping m = {WMGW_VAULT_SUBJECT_PRINCIPAL, "mallory", "web", "alpha"};
    CHECK_INT(wmgw__vault_state_add_mapping(st, &m, NULL), 0);
}

static void bump_generation(struct wmgw__vault_state *st, void *arg)
{
    st->generation += 5;
}

static void other_key_id(struct wmgw__vault_state *st, void *arg)
{
    st->key_id[0] = st->key_id[0] == 'a' ? 'b' : 'a';
}

static void test_tampering_refused(void)
{
    const char *path = vault_path("tamper");
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK_INT(add_password(v, "alpha", "ua", "", "alpha-secret", NULL), 0);
    CHECK_INT(add_password(v, "bravo", "ub", "", "bravo-secret", NULL), 0);
    struct wmgw_vault_mapping m = {WMGW_VAULT_SUBJECT_GROUP, "S-1-5-21-1-2-3-513", "web", "alpha"};
    CHECK_INT(wmgw_vault_map_set(v, &m, NULL), 0);
    size_t orig_len;
    char *orig = read_text(path, &orig_len);

    static const struct {
        const char *name;
        void (*edit)(struct wmgw__vault_state *, void *);
        bool resign;
        const char *says;
    } cases[] = {
        {"flipped ciphertext bit", flip_bit, false, "MAC"},
        {"flipped ciphertext bit, MAC remade", flip_bit, true, "alpha"},
        {"flipped tag bit, MAC remade", flip_tag_bit, true, "bravo"},
        {"swapped ciphertexts", swap_ciphertexts, false, "MAC"},
        {"swapped ciphertexts, MAC remade", swap_ciphertexts, true, "does not decrypt"},
        {"kind relabelled, MAC remade", relabel_kind, true, "does not decrypt"},
        {"id renamed, MAC remade", rename_entry, true, "does not decrypt"},
        {"user changed", change_user, false, "MAC"},
        {"mapping changed", remap, false, "MAC"},
        {"mapping added", add_mapping, false, "MAC"},
        {"generation changed", bump_generation, false, "MAC"},
        {"key id changed", other_key_id, false, "master key"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_text(path, orig, orig_len);
        CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), 0);
        rewrite(path, cases[i].edit, NULL, cases[i].resign);
        struct wmgw_err err = {0};
        int rc = open_rc(path, K1, &err);
        if (rc != WMGW_EAUTH || strstr(err.message, cases[i].says) == NULL)
            fprintf(stderr, "%s: rc %d, \"%s\"\n", cases[i].name, rc, err.message);
        CHECK_INT(rc, WMGW_EAUTH);
        CHECK(strstr(err.message, cases[i].says) != NULL);
        /* The running handle refuses too, and keeps serving what it had. */
        bool changed = true;
        CHECK_INT(wmgw_vault_refresh(v, &changed, NULL), WMGW_EAUTH);
        CHECK(!changed);
        check_password(v, "alpha", "alpha-secret");
        char cred[WMGW_VAULT_ID_MAX + 1];
        const char *groups[] = {"S-1-5-21-1-2-3-513"}, *hosts[] = {"web"};
        struct wmgw_vault_principal who = {"mallory", NULL, groups, 1};
        CHECK_INT(wmgw_vault_resolve(v, &who, hosts, 1, cred, NULL), 0);
        CHECK_STR(cred, "alpha");
        /* And refuses to write over a file it cannot read. */
        CHECK_INT(add_password(v, "charlie", "uc", "", "x", NULL), WMGW_EAUTH);
    }
    write_text(path, orig, orig_len);
    CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), 0);
    CHECK_INT(add_password(v, "charlie", "uc", "", "x", NULL), 0);
    free(orig);
    wmgw_vault_free(v);
}

struct sealed_copy {
    uint8_t *sealed;
    size_t len;
    uint64_t version;
};

static void take_sealed(struct wmgw__vault_state *st, void *arg)
{
    struct sealed_copy *c = arg;
    c->len = st->entries[0].sealed_len;
    c->sealed = malloc(c->len);
    memcpy(c->sealed, st->entries[0].sealed, c->len);
}

static void put_sealed(struct wmgw__vault_state *st, void *arg)
{
    struct sealed_copy *c = arg;
    free(st->entries[0].sealed);
    st->entries[0].sealed = malloc(c->len);
    memcpy(st->entries[0].sealed, c->sealed, c->len);
    st->entries[0].sealed_len = c->len;
    if (c->version != 0)
        st->entries[0].info.version = c->version;
}

static void test_replay_refused(void)
{
    const char *path = vault_path("replay");
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK_INT(add_password(v, "alpha", "ua", "", "old-secret", NULL), 0);
    size_t old_len;
    char *old_file = read_text(path, &old_len);
    struct sealed_copy v1 = {0};
    rewrite(path, take_sealed, &v1, false); /* reads v1's ciphertext */
    CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), 0);
    CHECK_INT(rotate_password(v, "alpha", "new-secret", NULL), 0);
    size_t cur_len;
    char *cur = read_text(path, &cur_len);

    /* The version-1 ciphertext under the version-2 label: no. */
    struct wmgw_err err = {0};
    rewrite(path, put_sealed, &v1, false);
    CHECK_INT(open_rc(path, K1, &err), WMGW_EAUTH);
    write_text(path, cur, cur_len);
    rewrite(path, put_sealed, &v1, true);
    CHECK_INT(open_rc(path, K1, &err), WMGW_EAUTH);
    CHECK(strstr(err.message, "alpha") != NULL && strstr(err.message, "replayed") != NULL);
    CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), WMGW_EAUTH);
    check_password(v, "alpha", "new-secret");

    /* The whole old file put back: a running handle notices (generation
     * went down).  A process that starts on it cannot know: that limit is
     * documented in vault.h, and this shows it. */
    write_text(path, old_file, old_len);
    CHECK_INT(wmgw_vault_refresh(v, NULL, &err), WMGW_EAUTH);
    CHECK(strstr(err.message, "older") != NULL);
    check_password(v, "alpha", "new-secret");
    struct wmgw_vault *fresh = open_vault(path, K1);
    check_password(fresh, "alpha", "old-secret");
    wmgw_vault_free(fresh);

    write_text(path, cur, cur_len);
    CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), 0);
    free(v1.sealed);
    free(cur);
    free(old_file);
    wmgw_vault_free(v);
}

static void test_truncated_and_garbage_refused(void)
{
    const char *path = vault_path("garbage");
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK_INT(add_password(v, "alpha", "ua", "", "alpha-secret", NULL), 0);
    struct wmgw_vault_mapping m = {WMGW_VAULT_SUBJECT_PRINCIPAL, "alice", "web", "alpha"};
    CHECK_INT(wmgw_vault_map_set(v, &m, NULL), 0);
    size_t n;
    char *orig = read_text(path, &n);
    int refused = 0;
    for (size_t cut = 0; cut + 2 < n; cut += 3) { /* all but the final "}\n" */
        write_text(path, orig, cut);
        struct wmgw_err err = {0};
        int rc = open_rc(path, K1, &err);
        if (rc != WMGW_EINVAL)
            fprintf(stderr, "truncated at %zu of %zu: rc %d (%s)\n", cut, n, rc, err.message);
        refused += rc == WMGW_EINVAL;
        CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), WMGW_EINVAL);
    }
    CHECK_INT(refused, (int)((n - 3) / 3 + 1));
    static const char *const garbage[] = {
        "",
        "{",
        "null",
        "[]",
        "\x00\x01\x02",
        "{\"format\": \"wmgw-vault\"}",
        "{\"format\": \"wmgw-vault\", \"format\": \"wmgw-vault\"}",
        "{\"format\":\"wmgw-vault\",\"version\":2,\"key_id\":\"0000000000000000\",\"generation\":1,"
        "\"credentials\":[],\"mappings\":[],\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
        "{\"format\":\"wmgw-vault\",\"version\":1,\"key_id\":\"0000000000000000\",\"generation\":1,"
        "\"credentials\":[],\"mappings\":[],\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"x\":1}",
        "{\"format\":\"wmgw-vault\",\"version\":1,\"key_id\":\"0000000000000000\",\"generation\":0,"
        "\"credentials\":[],\"mappings\":[],\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
        "{\"format\":\"wmgw-vault\",\"version\":1,\"key_id\":\"0000000000000000\",\"generation\":1,"
        "\"credentials\":[{}],\"mappings\":[],\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
        "{\"format\":\"wmgw-vault\",\"version\":1,\"key_id\":\"0000000000000000\",\"generation\":1,"
        "\"credentials\":[],\"mappings\":[{\"subject_type\":\"principal\",\"subject\":\"a\",\"host_group\":\"web\","
        "\"credential\":\"missing\"}],\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
    };
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        write_text(path, garbage[i], i == 4 ? 3 : strlen(garbage[i]));
        struct wmgw_err err = {0};
        int rc = open_rc(path, K1, &err);
        if (rc != WMGW_EINVAL)
            fprintf(stderr, "garbage %zu: rc %d (%s)\n", i, rc, err.message);
        CHECK_INT(rc, WMGW_EINVAL);
        CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), WMGW_EINVAL);
        check_password(v, "alpha", "alpha-secret");
    }
    /* Syntax errors say where. */
    write_text(path, "{\"format\": wmgw}", 16);
    struct wmgw_err err = {0};
    CHECK_INT(open_rc(path, K1, &err), WMGW_EINVAL);
    CHECK(err.position >= 11 && err.position <= 16);
    write_text(path, orig, n);
    CHECK_INT(wmgw_vault_refresh(v, NULL, NULL), 0);
    free(orig);
    wmgw_vault_free(v);
}

/* Parser limits, straight on text (no key needed to be refused). */
static void test_parser_limits(void)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_VAULT_MAX_FILE);
    wmgw_buf_addstr(&b, "{\"format\":\"wmgw-vault\",\"version\":1,\"key_id\":\"0123456789abcdef\",\"generation\":1,"
                        "\"credentials\":[");
    for (int i = 0; i <= WMGW_VAULT_MAX_CREDENTIALS; i++)
        wmgw_buf_printf(&b, "%s{\"id\":\"c%d\",\"kind\":\"password\",\"user\":\"u\",\"domain\":\"\",\"created\":1,"
                            "\"rotated\":1,\"version\":1,\"secret\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
                        i ? "," : "", i);
    wmgw_buf_addstr(&b, "],\"mappings\":[],\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
    struct wmgw__vault_state *st = NULL;
    struct wmgw_err err;
    CHECK_INT(wmgw__vault_parse(b.data, b.len, &st, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "4096") != NULL);
    wmgw_buf_dispose(&b);

    static const char head[] = "{\"format\":\"wmgw-vault\",\"version\":1,\"key_id\":\"0123456789abcdef\","
                               "\"generation\":1,\"credentials\":[{\"id\":\"c\",\"kind\":\"password\",";
    static const char tail[] = "\"secret\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}],\"mappings\":[],"
                               "\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}";
    char long_user[300];
    memset(long_user, 'u', 257);
    long_user[257] = '\0';
    static const char *const bodies[] = {
        NULL, /* a user of 257 bytes */
        "\"user\":\"u\\u0000x\",\"domain\":\"\",\"created\":1,\"rotated\":1,\"version\":1,",
        "\"user\":\"u\",\"domain\":\"\",\"created\":5,\"rotated\":1,\"version\":1,",
        "\"user\":\"u\",\"domain\":\"\",\"created\":1,\"rotated\":1,\"version\":0,",
        "\"user\":\"u\",\"domain\":\"\",\"created\":-1,\"rotated\":1,\"version\":1,",
        "\"user\":\"u\",\"domain\":\"\",\"created\":1,\"rotated\":1,\"version\":1.5,",
        "\"user\":\"u\",\"domain\":7,\"created\":1,\"rotated\":1,\"version\":1,",
        "\"user\":\"u\",\"created\":1,\"rotated\":1,\"version\":1,",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char body[600], text[1200];
        if (bodies[i] == NULL)
            snprintf(body, sizeof(body), "\"user\":\"%s\",\"domain\":\"\",\"created\":1,\"rotated\":1,\"version\":1,",
                     long_user);
        else
            snprintf(body, sizeof(body), "%s", bodies[i]);
        snprintf(text, sizeof(text), "%s%s%s", head, body, tail);
        st = NULL;
        CHECK_INT(wmgw__vault_parse(text, strlen(text), &st, NULL), WMGW_EINVAL);
        CHECK(st == NULL);
    }
    char good[1200];
    snprintf(good, sizeof(good), "%s\"user\":\"u\",\"domain\":\"\",\"created\":1,\"rotated\":1,\"version\":1,%s", head,
             tail);
    CHECK_INT(wmgw__vault_parse(good, strlen(good), &st, NULL), 0);
    wmgw__vault_state_free(st);
}

/* ---- atomicity and sharing ---- */

static void crash(void *arg)
{
    _exit(42); /* the writer dies between temp file and rename */
}

static void test_crash_before_rename_keeps_old_vault(void)
{
    const char *path = vault_path("crash");
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    struct wmgw_vault *v = open_vault(path, K1);
    CHECK_INT(add_password(v, "alpha", "ua", "", "before-crash", NULL), 0);
    size_t before_len;
    char *before = read_text(path, &before_len);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        wmgw__vault_set_crash_point(v, crash, NULL);
        rotate_password(v, "alpha", "after-crash", NULL);
        _exit(1); /* not reached when the crash point ran */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
    /* The vault is byte for byte the old one; the complete new version
     * sits in the temp file that never got renamed. */
    size_t after_len;
    char *after = read_text(path, &after_len);
    CHECK(after_len == before_len && memcmp(after, before, before_len) == 0);
    CHECK(exists(tmp));
    size_t tmp_len;
    char *tmp_text = read_text(tmp, &tmp_len);
    struct wmgw__vault_state *st = NULL;
    CHECK_INT(wmgw__vault_parse(tmp_text, tmp_len, &st, NULL), 0);
    CHECK(st != NULL && st->n_entries == 1 && st->entries[0].info.version == 2);
    wmgw__vault_state_free(st);
    bool changed = true;
    CHECK_INT(wmgw_vault_refresh(v, &changed, NULL), 0);
    CHECK(!changed);
    check_password(v, "alpha", "before-crash");
    struct wmgw_vault *other = open_vault(path, K1);
    check_password(other, "alpha", "before-crash");
    wmgw_vault_free(other);
    /* The next write goes through and clears the leftover. */
    CHECK_INT(rotate_password(v, "alpha", "after-recovery", NULL), 0);
    CHECK(!exists(tmp));
    check_password(v, "alpha", "after-recovery");
    free(before);
    free(after);
    free(tmp_text);
    wmgw_vault_free(v);
}

int main(void)
{
    if (!make_test_dir())
        return 1;
    WMGW_TEST_RUN(test_file_mode_and_temp_file);
    WMGW_TEST_RUN(test_wrong_key);
    WMGW_TEST_RUN(test_tampering_refused);
    WMGW_TEST_RUN(test_replay_refused);
    WMGW_TEST_RUN(test_truncated_and_garbage_refused);
    WMGW_TEST_RUN(test_parser_limits);
    WMGW_TEST_RUN(test_crash_before_rename_keeps_old_vault);
    remove_tree();
    return WMGW_TEST_DONE();
}
