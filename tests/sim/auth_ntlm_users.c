/*
 * auth_ntlm_users.c: the acceptors of NTLM inside SPNEGO (auth_gss.c):
 * the fleet's users (--user/--users) as the users file gss-ntlmssp checks
 * clients against (auth/gss.h ntlm_users_file), and one acceptor
 * credential per host, for its NetBIOS name.  Raw NTLM needs neither:
 * auth_ntlm.c looks users up in the fleet directly.
 *
 * One line per user in gss-ntlmssp's smbpasswd form,
 *
 *     USER:0:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:NT-HASH:[U          ]:LCT-00000000:
 *
 * because that form (unlike DOMAIN:USER:PASSWORD) matches USER in any
 * domain, as the raw path does (every simulated user is a local account
 * of every host), and holds the NT hash rather than the password.
 *
 * The file is a memfd, named /proc/self/fd/N: nothing is written to disk,
 * nothing is left behind when the simulator dies, and only processes that
 * may read our memory (same user, ptrace rights) can read it.  gss-ntlmssp
 * opens the name again at every authentication, so it stays open until
 * the simulator ends.  The fleet's users do not change while it runs.
 *
 * A host's credential is made when its first client comes and kept: MIT's
 * Kerberos mechanism, which SPNEGO also tries for the acceptor's name,
 * loses a few bytes each time (auth/gss_cred.c), so not once a connection.
 */
#include "tests/sim/auth.h"
#include "tests/sim/host.h"
#include "tests/sim/server.h"
#include "util/hex.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_USER_NAME 256 /* gss-ntlmssp reads lines of up to 1023 bytes */

/* Names gss-ntlmssp would read as something else: a comment, a
 * DOMAIN\USER pair, a field separator, or a line it cuts. */
static bool usable(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= MAX_USER_NAME && name[0] != '#' && strpbrk(name, ":\\\r\n") == NULL;
}

static int add_line(struct wmgw_buf *b, const struct sim_user *u, struct wmgw_err *err)
{
    uint8_t h[16];
    char hex[33];
    int rc = wmgw_ntlm_nt_hash(u->password, h, err);
    if (rc != 0)
        return rc;
    wmgw_hex_encode(h, sizeof(h), hex);
    rc = wmgw_buf_printf(b, "%s:0:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:%s:[U          ]:LCT-00000000:\n", u->name, hex);
    OPENSSL_cleanse(h, sizeof(h));
    OPENSSL_cleanse(hex, sizeof(hex));
    return rc != 0 ? wmgw_err_set(err, WMGW_ENOMEM, "out of memory") : 0;
}

static int write_all(int fd, const char *p, size_t n, struct wmgw_err *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return wmgw_err_set(err, WMGW_EINTERNAL, "NTLM users file: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int sim_auth_ntlm_users_load(struct sim_server *s, struct wmgw_err *err)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4 * 1024 * 1024);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->fleet->nusers; i++) {
        if (usable(s->fleet->users[i].name))
            rc = add_line(&b, &s->fleet->users[i], err);
    }
    int fd = -1;
    if (rc == 0 && (s->ntlm_acceptors = calloc(s->fleet->nhosts + 1, sizeof(*s->ntlm_acceptors))) == NULL)
        rc = wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    if (rc == 0 && (fd = memfd_create("wmsim-ntlm-users", MFD_CLOEXEC)) < 0)
        rc = wmgw_err_set(err, WMGW_EINTERNAL, "NTLM users file: memfd_create: %s", strerror(errno));
    if (rc == 0)
        rc = write_all(fd, b.data, b.len, err);
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.len);
    wmgw_buf_dispose(&b);
    if (rc != 0) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    s->ntlm_users_fd = fd;
    snprintf(s->ntlm_users, sizeof(s->ntlm_users), "/proc/self/fd/%d", fd);
    return 0;
}

struct wmgw_gss_cred *sim_auth_ntlm_acceptor(struct sim_server *s, const struct sim_host *h, struct wmgw_err *err)
{
    size_t i = (size_t)(h - s->fleet->hosts);
    if (s->ntlm_users[0] == '\0' || i >= s->fleet->nhosts) {
        wmgw_err_set(err, WMGW_ECONFIG, "NTLM in SPNEGO: no users file");
        return NULL;
    }
    if (s->ntlm_acceptors[i] == NULL) {
        struct wmgw_gss_acceptor_config cfg = {.ntlm_users_file = s->ntlm_users, .ntlm_computer = h->name};
        if (wmgw_gss_acceptor_new(&cfg, &s->ntlm_acceptors[i], err) != 0)
            return NULL;
    }
    return s->ntlm_acceptors[i];
}

void sim_auth_ntlm_users_unload(struct sim_server *s)
{
    for (size_t i = 0; s->ntlm_acceptors != NULL && i < s->fleet->nhosts; i++)
        wmgw_gss_cred_free(s->ntlm_acceptors[i]);
    free(s->ntlm_acceptors);
    s->ntlm_acceptors = NULL;
    if (s->ntlm_users[0] != '\0')
        close(s->ntlm_users_fd);
    s->ntlm_users[0] = '\0';
}
