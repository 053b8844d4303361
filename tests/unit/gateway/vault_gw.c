/*
 * Tests of gateway/vault_gw.c's start: the [security] vault keys and a
 * host's `credential`, the key from a file or WMGW_VAULT_KEY (dropped from
 * the environment once read), and the refusals: no key, a wrong key, a
 * host naming a credential the vault does not hold.
 */
#include "gateway/config.h"
#include "gateway/vault_gw.h"
#include "tests/unit/test.h"
#include "translators/backend.h"
#include "util/err.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/wmgw-vault-gw-XXXXXX";
static char vault_path[256], key_path[256], key_b64[64];

static struct wmgw_config *config(const char *extra, int *rc, struct wmgw_err *err)
{
    char text[2048];
    snprintf(text, sizeof(text), "[security]\nvault = %s\n%s", vault_path, extra);
    struct wmgw_config *c = wmgw_config_new();
    wmgw_err_clear(err);
    *rc = wmgw_config_parse(c, "t.conf", text, strlen(text), err);
    if (*rc == 0)
        *rc = wmgw_config_validate(c, err);
    return c;
}

static void test_key_from_the_environment_is_dropped(void)
{
    struct wmgw_err err;
    int rc;
    struct wmgw_config *c = config("", &rc, &err);
    CHECK_INT(rc, 0);
    setenv("WMGW_VAULT_KEY", key_b64, 1);
    rc = wmgw_vault_gw_start(c, &err);
    CHECK_INT(rc, 0);
    CHECK(getenv("WMGW_VAULT_KEY") == NULL);
    CHECK(wmgw_vault_gw() != NULL);
    /* add a credential for the next tests */
    struct wmgw_vault_info info = {.id = "svc", .kind = WMGW_VAULT_PASSWORD, .user = "svc"};
    struct wmgw_vault_material m = {.password = "pw-1", .password_len = 4};
    CHECK_INT(wmgw_vault_add(wmgw_vault_gw(), &info, &m, &err), 0);
    wmgw_vault_gw_stop();
    CHECK(wmgw_vault_gw() == NULL);
    wmgw_config_free(c);
}

static void test_key_file_and_host_credential(void)
{
    struct wmgw_err err;
    int rc;
    char extra[512];
    snprintf(extra, sizeof(extra), "vault-key-file = %s\n[host web]\naddress = 127.0.0.1\ncredential = svc\n", key_path);
    struct wmgw_config *c = config(extra, &rc, &err);
    CHECK_INT(rc, 0);
    CHECK_STR(c->hosts[0].credential, "svc");
    CHECK(c->hosts[0].backend->user == NULL);
    CHECK_INT(wmgw_vault_gw_start(c, &err), 0);
    wmgw_vault_gw_stop();
    wmgw_config_free(c);

    /* A credential the vault does not hold stops the start. */
    snprintf(extra, sizeof(extra), "vault-key-file = %s\n[host web]\naddress = 127.0.0.1\ncredential = nosuch\n",
             key_path);
    c = config(extra, &rc, &err);
    CHECK_INT(rc, 0);
    CHECK_INT(wmgw_vault_gw_start(c, &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "credential nosuch is not in the vault") != NULL);
    CHECK(wmgw_vault_gw() == NULL);
    wmgw_config_free(c);

    /* A dcom host may do without user and password when it names a credential. */
    snprintf(extra, sizeof(extra),
             "vault-key-file = %s\n[host wmi]\naddress = 127.0.0.1\nprotocol = dcom\ncredential = svc\n", key_path);
    c = config(extra, &rc, &err);
    CHECK_INT(rc, 0);
    wmgw_config_free(c);
}

static void test_refusals(void)
{
    struct wmgw_err err;
    int rc;
    unsetenv("WMGW_VAULT_KEY");
    struct wmgw_config *c = config("", &rc, &err);
    CHECK_INT(wmgw_vault_gw_start(c, &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "vault-key-file or WMGW_VAULT_KEY") != NULL);
    /* a wrong key */
    setenv("WMGW_VAULT_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1);
    CHECK_INT(wmgw_vault_gw_start(c, &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "wrong key") != NULL);
    CHECK(strstr(err.message, "AAAAAAAA") == NULL);
    CHECK(wmgw_vault_gw() == NULL);
    wmgw_config_free(c);
    /* credential without a vault */
    c = wmgw_config_new();
    const char *text = "[host web]\naddress = 127.0.0.1\ncredential = svc\n";
    CHECK_INT(wmgw_config_parse(c, "t.conf", text, strlen(text), &err), 0);
    CHECK_INT(wmgw_vault_gw_start(c, &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "no [security] vault") != NULL);
    wmgw_config_free(c);
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(vault_path, sizeof(vault_path), "%s/vault.json", dir);
    snprintf(key_path, sizeof(key_path), "%s/vault.key", dir);
    struct wmgw_vault_key *key = NULL;
    if (wmgw_vault_key_generate(&key, NULL) != 0 || wmgw_vault_key_write_file(key, key_path, NULL) != 0)
        return 1;
    wmgw_vault_key_free(key);
    /* the key file's base64 is the environment variable's format */
    FILE *f = fopen(key_path, "r");
    if (f == NULL || fgets(key_b64, sizeof(key_b64), f) == NULL)
        return 1;
    fclose(f);
    key_b64[strcspn(key_b64, "\n")] = '\0';
    WMGW_TEST_RUN(test_key_from_the_environment_is_dropped);
    WMGW_TEST_RUN(test_key_file_and_host_credential);
    WMGW_TEST_RUN(test_refusals);
    unlink(vault_path);
    char lock[300];
    snprintf(lock, sizeof(lock), "%s.lock", vault_path);
    unlink(lock);
    unlink(key_path);
    rmdir(dir);
    return WMGW_TEST_DONE();
}
