/*
 * sddl_tables.c: the names SDDL gives to ACE types, ACE flags and access
 * rights (MS-DTYP 2.5.1.1, protocol-notes 5.1 and 5.2).  One table each,
 * read by the parser (name -> value) and the formatter (value -> name),
 * so the two directions cannot drift apart.  Row order is print order.
 */
#include "auth/sddl_int.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* DTYP's conditional-ACE table swaps XU and ZA; these are the values of
 * the ACE type table (2.4.4.1): ZA 0x0B, XU 0x0D. */
const struct wmgw__name wmgw__ace_type_names[] = {
    {"A", WMGW_ACE_ALLOWED},
    {"D", WMGW_ACE_DENIED},
    {"AU", WMGW_ACE_AUDIT},
    {"AL", WMGW_ACE_ALARM},
    {"OA", WMGW_ACE_ALLOWED_OBJECT},
    {"OD", WMGW_ACE_DENIED_OBJECT},
    {"OU", WMGW_ACE_AUDIT_OBJECT},
    {"OL", WMGW_ACE_ALARM_OBJECT},
    {"XA", WMGW_ACE_ALLOWED_CALLBACK},
    {"XD", WMGW_ACE_DENIED_CALLBACK},
    {"ZA", WMGW_ACE_ALLOWED_CALLBACK_OBJECT},
    {"XU", WMGW_ACE_AUDIT_CALLBACK},
    {"ML", WMGW_ACE_MANDATORY_LABEL},
    {"RA", WMGW_ACE_RESOURCE_ATTRIBUTE},
    {"SP", WMGW_ACE_SCOPED_POLICY_ID},
};
const size_t wmgw__ace_type_count = COUNT(wmgw__ace_type_names);

/* Print order is Windows': "OICIIO", "CIIDSA". */
const struct wmgw__name wmgw__ace_flag_names[] = {
    {"OI", WMGW_ACE_OBJECT_INHERIT}, {"CI", WMGW_ACE_CONTAINER_INHERIT}, {"NP", WMGW_ACE_NO_PROPAGATE},
    {"IO", WMGW_ACE_INHERIT_ONLY},   {"ID", WMGW_ACE_INHERITED},         {"SA", WMGW_ACE_AUDIT_SUCCESS},
    {"FA", WMGW_ACE_AUDIT_FAILURE},
};
const size_t wmgw__ace_flag_count = COUNT(wmgw__ace_flag_names);

/* Object-specific combinations, printed only when the mask is exactly one
 * of them; KX equals KR, so KR is what prints. */
const struct wmgw__name wmgw__right_whole_names[] = {
    {"FA", 0x001F01FF}, {"FR", 0x00120089}, {"FW", 0x00120116}, {"FX", 0x001200A0},
    {"KA", 0x000F003F}, {"KR", 0x00020019}, {"KW", 0x00020006}, {"KX", 0x00020019},
};
const size_t wmgw__right_whole_count = COUNT(wmgw__right_whole_names);

/* One letter pair per bit, low bit first: directory-object rights (which
 * WMI's namespace rights share: CC enable, DC execute, LC full write, SW
 * partial write, RP provider write, WP remote enable), standard rights,
 * generic rights. */
const struct wmgw__name wmgw__right_bit_names[] = {
    {"CC", 0x00000001}, {"DC", 0x00000002}, {"LC", 0x00000004}, {"SW", 0x00000008}, {"RP", 0x00000010},
    {"WP", 0x00000020}, {"DT", 0x00000040}, {"LO", 0x00000080}, {"CR", 0x00000100}, {"SD", WMGW_DELETE},
    {"RC", WMGW_READ_CONTROL}, {"WD", WMGW_WRITE_DAC}, {"WO", WMGW_WRITE_OWNER}, {"GA", WMGW_GENERIC_ALL},
    {"GX", WMGW_GENERIC_EXECUTE}, {"GW", WMGW_GENERIC_WRITE}, {"GR", WMGW_GENERIC_READ},
};
const size_t wmgw__right_bit_count = COUNT(wmgw__right_bit_names);

/* Mandatory label policy (2.4.4.13), printed in ML ACEs. */
const struct wmgw__name wmgw__right_label_names[] = {
    {"NW", WMGW_LABEL_NO_WRITE_UP},
    {"NR", WMGW_LABEL_NO_READ_UP},
    {"NX", WMGW_LABEL_NO_EXECUTE_UP},
};
const size_t wmgw__right_label_count = COUNT(wmgw__right_label_names);

const char *wmgw__ace_type_name(uint8_t type)
{
    for (size_t i = 0; i < wmgw__ace_type_count; i++)
        if (wmgw__ace_type_names[i].value == type)
            return wmgw__ace_type_names[i].name;
    return NULL;
}
