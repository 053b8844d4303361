/*
 * hex.c: tests for util/hex.h: digit values both cases, and bytes encoded
 * as lower-case hex (every byte value, NUL-terminated, empty input).
 */
#include "util/hex.h"

#include <stdbool.h>

#include "../test.h"

static void test_digit_values(void)
{
    CHECK_INT(wmgw_hex_value('0'), 0);
    CHECK_INT(wmgw_hex_value('9'), 9);
    CHECK_INT(wmgw_hex_value('a'), 10);
    CHECK_INT(wmgw_hex_value('F'), 15);
    CHECK_INT(wmgw_hex_value('g'), -1);
    CHECK_INT(wmgw_hex_value('\0'), -1);
}

static void test_encode(void)
{
    static const unsigned char b[] = {0x00, 0x0f, 0xa5, 0xff, 0x10};
    char out[11];
    memset(out, 'x', sizeof(out));
    wmgw_hex_encode(b, sizeof(b), out);
    CHECK_STR(out, "000fa5ff10");
    char empty[1] = {'x'};
    wmgw_hex_encode(b, 0, empty);
    CHECK_INT(empty[0], '\0');
    /* Every byte value comes back through wmgw_hex_value. */
    unsigned char all[256];
    char text[513];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    wmgw_hex_encode(all, sizeof(all), text);
    bool same = strlen(text) == 512;
    for (int i = 0; same && i < 256; i++)
        same = wmgw_hex_value(text[2 * i]) * 16 + wmgw_hex_value(text[2 * i + 1]) == i;
    CHECK(same);
}

int main(void)
{
    WMGW_TEST_RUN(test_digit_values);
    WMGW_TEST_RUN(test_encode);
    return WMGW_TEST_DONE();
}
