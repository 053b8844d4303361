/*
 * secret.c: tests for auth/secret.c.
 *
 * The kernel is asked, not trusted to our word: /proc/self/smaps shows
 * whether a secret's pages carry VM_DONTDUMP ("dd") and are locked ("lo"),
 * and mincore() whether they are still mapped after free.
 */
#include "auth/secret.h"

#include "../test.h"

#include <errno.h>
#include <linux/capability.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The VmFlags line of the mapping that holds addr, or "" when none. */
static void vm_flags(const void *addr, char *out, size_t cap)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    bool inside = false;
    out[0] = '\0';
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
        else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(out, cap, "%.200s", line + 8);
            break;
        }
    }
    if (f != NULL)
        fclose(f);
}

static bool has_flag(const char *flags, const char *flag)
{
    char padded[8];
    snprintf(padded, sizeof(padded), " %s", flag);
    return strstr(flags, padded) != NULL;
}

static bool mapped(const void *addr)
{
    unsigned char vec;
    long page = sysconf(_SC_PAGESIZE);
    void *base = (void *)((uintptr_t)addr & ~(uintptr_t)(page - 1));
    return mincore(base, (size_t)page, &vec) == 0 || errno != ENOMEM;
}

/* After free, a secret's page is unmapped, or kept for reuse: then every
 * byte of it is zero and it is still excluded from core dumps. */
static bool gone_or_wiped(const void *addr)
{
    if (!mapped(addr))
        return true;
    long page = sysconf(_SC_PAGESIZE);
    const unsigned char *base = (const unsigned char *)((uintptr_t)addr & ~(uintptr_t)(page - 1));
    for (long i = 0; i < page; i++)
        if (base[i] != 0)
            return false;
    char flags[256];
    vm_flags(base, flags, sizeof(flags));
    return has_flag(flags, "dd");
}

static void test_new_is_zeroed_terminated_and_not_dumped(void)
{
    struct wmgw_secret *s = NULL;
    CHECK_INT(wmgw_secret_new(100, &s, NULL), 0);
    CHECK(s != NULL && s->len == 100);
    bool zero = true;
    for (size_t i = 0; i <= 100; i++)
        zero = zero && s->data[i] == 0;
    CHECK(zero);
    char flags[256];
    vm_flags(s->data, flags, sizeof(flags));
    CHECK(has_flag(flags, "dd"));
    CHECK_INT(has_flag(flags, "lo"), wmgw_secret_is_locked(s));
    void *where = s->data;
    wmgw_secret_free(s);
    CHECK(gone_or_wiped(where));
    wmgw_secret_free(NULL);
}

/* One-page secrets come back from freed pages: wiped, still out of dumps. */
static void test_pages_are_reused_wiped(void)
{
    struct wmgw_secret *s[3];
    for (int i = 0; i < 3; i++) {
        CHECK_INT(wmgw_secret_from_string("reused-page-secret", &s[i], NULL), 0);
        memset(s[i]->data, 'z', s[i]->len);
    }
    void *where[3];
    for (int i = 0; i < 3; i++) {
        where[i] = s[i]->data;
        wmgw_secret_free(s[i]);
        CHECK(gone_or_wiped(where[i]));
    }
    for (int i = 0; i < 3; i++) {
        CHECK_INT(wmgw_secret_new(40, &s[i], NULL), 0);
        bool zero = true;
        for (size_t k = 0; k <= 40; k++)
            zero = zero && s[i]->data[k] == 0;
        CHECK(zero);
        char flags[256];
        vm_flags(s[i]->data, flags, sizeof(flags));
        CHECK(has_flag(flags, "dd"));
    }
    for (int i = 0; i < 3; i++)
        wmgw_secret_free(s[i]);
}

static void test_copies_and_base64(void)
{
    struct wmgw_secret *s = NULL;
    CHECK_INT(wmgw_secret_from_string("hunter2", &s, NULL), 0);
    CHECK_INT(s->len, 7);
    CHECK_STR((const char *)s->data, "hunter2");
    CHECK(wmgw_secret_equal(s, "hunter2", 7));
    CHECK(!wmgw_secret_equal(s, "hunter3", 7));
    CHECK(!wmgw_secret_equal(s, "hunter", 6));
    wmgw_secret_free(s);

    static const uint8_t bin[5] = {0, 1, 2, 0, 255};
    CHECK_INT(wmgw_secret_from_bytes(bin, sizeof(bin), &s, NULL), 0);
    CHECK(s->len == 5 && memcmp(s->data, bin, 5) == 0 && s->data[5] == 0);
    wmgw_secret_free(s);

    CHECK_INT(wmgw_secret_from_base64("AAECAP8=", 8, WMGW_BASE64_STD, &s, NULL), 0);
    CHECK(s != NULL && wmgw_secret_equal(s, bin, sizeof(bin)));
    wmgw_secret_free(s);
    CHECK_INT(wmgw_secret_from_base64("AAECAP8", 7, WMGW_BASE64_URL, &s, NULL), 0);
    CHECK(s != NULL && wmgw_secret_equal(s, bin, sizeof(bin)));
    wmgw_secret_free(s);

    /* 300 bytes: larger than the decoder buffer's first allocation. */
    char text[401];
    memset(text, 'Q', 400);
    text[400] = '\0';
    CHECK_INT(wmgw_secret_from_base64(text, 400, WMGW_BASE64_STD, &s, NULL), 0);
    CHECK(s != NULL && s->len == 300);
    wmgw_secret_free(s);

    struct wmgw_err err;
    s = (struct wmgw_secret *)1;
    CHECK_INT(wmgw_secret_from_base64("AAECAP8", 7, WMGW_BASE64_STD, &s, &err), WMGW_EINVAL);
    CHECK(s == NULL);
    CHECK(strstr(err.message, "AAECAP8") == NULL);
    CHECK_INT(wmgw_secret_from_base64("AA=CAP8=", 8, WMGW_BASE64_STD, &s, NULL), WMGW_EINVAL);
}

static void test_limits(void)
{
    struct wmgw_secret *s = (struct wmgw_secret *)1;
    struct wmgw_err err;
    CHECK_INT(wmgw_secret_new(WMGW_SECRET_MAX + 1, &s, &err), WMGW_ETOOBIG);
    CHECK(s == NULL);
    CHECK_INT(wmgw_secret_new(0, &s, NULL), 0);
    CHECK(s != NULL && s->len == 0 && s->data[0] == 0);
    CHECK(wmgw_secret_equal(s, "", 0));
    wmgw_secret_free(s);
    /* Big secrets span several pages, all of them excluded from dumps. */
    CHECK_INT(wmgw_secret_new(3 * 4096 + 17, &s, NULL), 0);
    char flags[256];
    vm_flags(s->data + s->len, flags, sizeof(flags));
    CHECK(has_flag(flags, "dd"));
    s->data[s->len - 1] = 'x';
    void *where = s->data;
    wmgw_secret_free(s);
    CHECK(!mapped(where)); /* only one-page mappings are kept */
}

/* In a child without CAP_IPC_LOCK and without RLIMIT_MEMLOCK, mlock is
 * refused: the secret still works, is kept out of dumps, and says it is
 * not locked.  Exit status: 0 all well, 1..4 the first thing wrong. */
static int unlocked_child(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct caps[2];
    if (syscall(SYS_capget, &hdr, caps) != 0)
        return 1;
    caps[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
    caps[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
    struct rlimit none = {0, 0};
    if (syscall(SYS_capset, &hdr, caps) != 0 || setrlimit(RLIMIT_MEMLOCK, &none) != 0)
        return 1;
    struct wmgw_secret *s = NULL;
    if (wmgw_secret_from_string("still usable", &s, NULL) != 0 || !wmgw_secret_equal(s, "still usable", 12))
        return 2;
    char flags[256];
    vm_flags(s->data, flags, sizeof(flags));
    if (!has_flag(flags, "dd"))
        return 3;
    if (wmgw_secret_is_locked(s) || has_flag(flags, "lo"))
        return 4;
    wmgw_secret_free(s);
    return 0;
}

static void test_without_mlock(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(unlocked_child());
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 0);
    /* And here, with the limit we were given, secrets are locked. */
    struct rlimit lim;
    struct wmgw_secret *s = NULL;
    CHECK_INT(getrlimit(RLIMIT_MEMLOCK, &lim), 0);
    CHECK_INT(wmgw_secret_from_string("locked", &s, NULL), 0);
    if (lim.rlim_cur >= 65536) {
        char flags[256];
        vm_flags(s->data, flags, sizeof(flags));
        CHECK(wmgw_secret_is_locked(s) && has_flag(flags, "lo"));
    }
    wmgw_secret_free(s);
}

int main(void)
{
    WMGW_TEST_RUN(test_new_is_zeroed_terminated_and_not_dumped);
    WMGW_TEST_RUN(test_pages_are_reused_wiped);
    WMGW_TEST_RUN(test_copies_and_base64);
    WMGW_TEST_RUN(test_limits);
    WMGW_TEST_RUN(test_without_mlock);
    return WMGW_TEST_DONE();
}
