/*
 * random.c: unpredictable bytes for the cache: fill-lock tokens, snapshot
 * ids (which go into cursors, so they must not be guessable) and new
 * generation values.  getrandom(2) first; OpenSSL's generator if the
 * kernel call fails.
 */
#include "cache/cache_int.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <sys/random.h>

void wmgw__cache_random(void *p, size_t n)
{
    unsigned char *b = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(b + got, n - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got < n && RAND_bytes(b + got, (int)(n - got)) != 1)
        abort(); /* no randomness at all: ids would be guessable */
}

void wmgw__cache_random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[64];
    if (nbytes > sizeof(b))
        nbytes = sizeof(b);
    wmgw__cache_random(b, nbytes);
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * nbytes] = '\0';
}
