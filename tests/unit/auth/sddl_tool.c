/*
 * sddl_tool.c: auth/sddl.h and auth/access.h on stdin/stdout, so that a
 * third party (impacket, in tests/python/test_sddl_impacket.py) can check
 * our binary descriptors and hand us its own.  One command per line; each
 * answers one line, "ok ..." or "err <ERRNAME> <position> <message>".
 *
 *   domain <S-1-...>|-        domain SID for DA, DU, ... (default: none)
 *   tobin <sddl>              -> ok <self-relative descriptor in hex>
 *   tosddl <hex>              -> ok <canonical sddl>
 *   canon <sddl>              -> ok <canonical sddl>
 *   check <key=value>... sd=<sddl, or hex:<hex>>
 *        keys: user=<sid> groups=<sid,sid,...> desired=<number>|max
 *              mapping=wmi privs=security,takeownership,relabel
 *              integrity=<sid> object=<guid> self=<sid>
 *                           -> ok granted <mask> | ok denied 0x0 <why>
 *
 * The SDDL runs to the end of the line (conditions contain spaces).
 */
#include "auth/access.h"
#include "auth/wmi_rights.h"
#include "../hex_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE (2 * WMGW_SDDL_MAX_TEXT + 64)
#define MAX_GROUPS 64

static struct wmgw_sid domain_sid;
static struct wmgw_sddl_opts opts;

static void reply_err(int rc, const struct wmgw_err *e)
{
    printf("err %s %ld %s\n", wmgw_err_name(rc), e->position, e->message);
}

static int parse_sd(struct wmgw_sd *sd, const char *text, struct wmgw_err *e)
{
    if (strncmp(text, "hex:", 4) != 0)
        return wmgw_sddl_parse(sd, text, strlen(text), &opts, e);
    size_t n;
    uint8_t *bytes = test_unhex_alloc(text + 4, &n);
    if (bytes == NULL)
        return wmgw_err_set(e, WMGW_EINVAL, "bad hex");
    int rc = wmgw_sd_decode(sd, bytes, n, e);
    free(bytes);
    return rc;
}

static void print_sddl(const struct wmgw_sd *sd)
{
    struct wmgw_buf b;
    struct wmgw_err e = {0};
    wmgw_buf_init(&b, MAX_LINE);
    int rc = wmgw_sddl_format(sd, &opts, &b, &e);
    if (rc == 0)
        printf("ok %s\n", b.data ? b.data : "");
    else
        reply_err(rc, &e);
    wmgw_buf_dispose(&b);
}

static void cmd_tobin(const char *text)
{
    struct wmgw_sd sd;
    struct wmgw_err e = {0};
    struct wmgw_buf b;
    int rc = parse_sd(&sd, text, &e);
    if (rc != 0) {
        reply_err(rc, &e);
        return;
    }
    wmgw_buf_init(&b, 1 << 20);
    rc = wmgw_sd_encode(&sd, &b, &e);
    if (rc == 0) {
        printf("ok ");
        for (size_t i = 0; i < b.len; i++)
            printf("%02x", (uint8_t)b.data[i]);
        printf("\n");
    } else {
        reply_err(rc, &e);
    }
    wmgw_buf_dispose(&b);
    wmgw_sd_dispose(&sd);
}

static void cmd_tosddl(const char *text, bool hex)
{
    char prefixed[MAX_LINE + 8];
    struct wmgw_sd sd;
    struct wmgw_err e = {0};
    snprintf(prefixed, sizeof(prefixed), "%s%s", hex ? "hex:" : "", text);
    int rc = parse_sd(&sd, prefixed, &e);
    if (rc != 0) {
        reply_err(rc, &e);
        return;
    }
    print_sddl(&sd);
    wmgw_sd_dispose(&sd);
}

static int sid_arg(struct wmgw_sid *sid, const char *s, struct wmgw_err *e)
{
    size_t used;
    int rc = wmgw_sid_parse_sddl(sid, s, strlen(s), &used, &opts.domains, e);
    if (rc == 0 && used != strlen(s))
        rc = wmgw_err_set(e, WMGW_EINVAL, "bad SID %s", s);
    return rc;
}

static void cmd_check(char *args)
{
    char *sd_text = strstr(args, "sd=");
    struct wmgw_err e = {0};
    if (sd_text == NULL) {
        printf("err EINVAL -1 check needs sd=\n");
        return;
    }
    *sd_text = '\0';
    sd_text += 3;
    static struct wmgw_sid groups[MAX_GROUPS];
    struct wmgw_sid integrity, self;
    struct wmgw_guid object;
    struct wmgw_token tok = {.groups = groups};
    struct wmgw_access_request req = {0};
    int rc = 0;
    for (char *save = NULL, *w = strtok_r(args, " ", &save); rc == 0 && w != NULL; w = strtok_r(NULL, " ", &save)) {
        char *v = strchr(w, '=');
        if (v == NULL) {
            rc = wmgw_err_set(&e, WMGW_EINVAL, "expected key=value, got %s", w);
            break;
        }
        *v++ = '\0';
        if (strcmp(w, "user") == 0) {
            rc = sid_arg(&tok.user, v, &e);
        } else if (strcmp(w, "groups") == 0) {
            for (char *s2 = NULL, *g = strtok_r(v, ",", &s2); rc == 0 && g; g = strtok_r(NULL, ",", &s2))
                rc = tok.group_count < MAX_GROUPS ? sid_arg(&groups[tok.group_count++], g, &e)
                                                  : wmgw_err_set(&e, WMGW_EINVAL, "too many groups");
        } else if (strcmp(w, "desired") == 0) {
            req.desired = strcmp(v, "max") == 0 ? WMGW_MAXIMUM_ALLOWED : (uint32_t)strtoul(v, NULL, 0);
        } else if (strcmp(w, "mapping") == 0) {
            req.mapping = strcmp(v, "wmi") == 0 ? &wmgw_wmi_generic_mapping : NULL;
        } else if (strcmp(w, "privs") == 0) {
            tok.privileges |= strstr(v, "security") ? WMGW_PRIV_SECURITY : 0;
            tok.privileges |= strstr(v, "takeownership") ? WMGW_PRIV_TAKE_OWNERSHIP : 0;
            tok.privileges |= strstr(v, "relabel") ? WMGW_PRIV_RELABEL : 0;
        } else if (strcmp(w, "integrity") == 0) {
            rc = sid_arg(&integrity, v, &e);
            tok.integrity = &integrity;
        } else if (strcmp(w, "object") == 0) {
            rc = wmgw_guid_parse(&object, v, strlen(v), &e);
            req.object_type = &object;
        } else if (strcmp(w, "self") == 0) {
            rc = sid_arg(&self, v, &e);
            req.self = &self;
        } else {
            rc = wmgw_err_set(&e, WMGW_EINVAL, "unknown key %s", w);
        }
    }
    struct wmgw_sd sd;
    if (rc == 0)
        rc = parse_sd(&sd, sd_text, &e);
    if (rc != 0) {
        reply_err(rc, &e);
        return;
    }
    struct wmgw_access_result res;
    rc = wmgw_access_check(&sd, &tok, &req, &res, &e);
    if (rc == 0)
        printf("ok granted 0x%x\n", (unsigned)res.granted);
    else if (rc == WMGW_EACCES)
        printf("ok denied 0x0 %s\n", e.message);
    else
        reply_err(rc, &e);
    wmgw_sd_dispose(&sd);
}

int main(void)
{
    static char line[MAX_LINE];
    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *arg = strchr(line, ' ');
        arg = arg ? arg + 1 : line + strlen(line);
        struct wmgw_err e = {0};
        if (strncmp(line, "domain", 6) == 0) {
            if (strcmp(arg, "-") == 0) {
                opts.domains.domain = NULL;
                printf("ok\n");
            } else if (sid_arg(&domain_sid, arg, &e) == 0) {
                opts.domains.domain = &domain_sid;
                printf("ok\n");
            } else {
                reply_err(WMGW_EINVAL, &e);
            }
        } else if (strncmp(line, "tobin ", 6) == 0) {
            cmd_tobin(arg);
        } else if (strncmp(line, "tosddl ", 7) == 0) {
            cmd_tosddl(arg, true);
        } else if (strncmp(line, "canon ", 6) == 0) {
            cmd_tosddl(arg, false);
        } else if (strncmp(line, "check ", 6) == 0) {
            cmd_check(arg);
        } else {
            printf("err EINVAL -1 unknown command\n");
        }
        fflush(stdout);
    }
    return 0;
}
