/*
 * gss_err.c: GSSAPI and krb5 failures as struct wmgw_err.
 *
 * The message is the operation, then what gss_display_status says of the
 * major status and of the mechanism's minor status (MIT's mechglue keeps
 * the minor's mechanism, so the texts are the mechanism's own: "Client
 * 'x@R' not found in Kerberos database", "Clock skew too great", ...).
 * The code is chosen from the minor status when it is a krb5 error we
 * know, else from the major status, else the caller's default: see gss.h
 * for the meaning of each code.  Neither text ever contains a secret.
 */
#include "auth/gss_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The code a krb5 error calls for, or 0 when it does not say: what the
 * credentials or the peer got wrong. */
static int krb5_code(long code)
{
    switch (code) {
    case KRB5KDC_ERR_PREAUTH_FAILED:   /* wrong password (with pre-authentication) */
    case KRB5KRB_AP_ERR_BAD_INTEGRITY: /* wrong password (without) */
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
    case KRB5KDC_ERR_CLIENT_REVOKED:
    case KRB5KDC_ERR_KEY_EXP:
    case KRB5KDC_ERR_NAME_EXP:
    case KRB5KDC_ERR_POLICY:
    case KRB5KRB_AP_ERR_SKEW:
    case KRB5KDC_ERR_NEVER_VALID:
    case KRB5KRB_AP_ERR_TKT_EXPIRED:
    case KRB5KRB_AP_ERR_TKT_NYV:
    case KRB5KRB_AP_ERR_REPEAT:
    case KRB5KRB_AP_ERR_MODIFIED:
    case KRB5KRB_AP_ERR_BADMATCH:
    case KRB5KRB_AP_ERR_NOT_US:
    case KRB5_CC_NOTFOUND:
    case KRB5_FCC_NOFILE:
        return WMGW_EAUTH;
    case KRB5_KT_NOTFOUND: /* the acceptor's keytab lacks the service key */
        return WMGW_ECONFIG;
    default:
        return 0;
    }
}

static int krb5_config_code(long code)
{
    switch (code) {
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN: /* the SPN names no service the KDC knows */
    case KRB5_REALM_UNKNOWN:
    case KRB5_REALM_CANT_RESOLVE:
    case KRB5_CONFIG_BADFORMAT:
    case KRB5_CONFIG_CANTOPEN:
    case KRB5_CONFIG_NODEFREALM:
    case KRB5KDC_ERR_ETYPE_NOSUPP:
    case KRB5_BAD_ENCTYPE:
    case KRB5_PROG_ETYPE_NOSUPP:
    case KRB5_KT_BADNAME:
    case KRB5_KT_UNKNOWN_TYPE:
    case KRB5_KT_FORMAT:
    case KRB5_PARSE_MALFORMED:
        return WMGW_ECONFIG;
    case KRB5_KDCREP_SKEW:
        return WMGW_EAUTH;
    case KRB5_KDC_UNREACH:
    case KRB5KRB_ERR_RESPONSE_TOO_BIG:
        return WMGW_EBACKEND;
    case ENOMEM:
        return WMGW_ENOMEM;
    default:
        return 0;
    }
}

/* What a terse krb5 text means for the person reading the message. */
static const char *hint(long code)
{
    switch (code) {
    case KRB5KDC_ERR_PREAUTH_FAILED:
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
        return " (wrong password or key)";
    case KRB5KRB_AP_ERR_SKEW:
    case KRB5_KDCREP_SKEW:
        return " (the clocks of this host and the KDC or server differ too much)";
    case KRB5_KDC_UNREACH:
        return " (no KDC of the realm answered)";
    default:
        return "";
    }
}

static int major_code(OM_uint32 major)
{
    switch (GSS_ROUTINE_ERROR(major)) {
    case GSS_S_BAD_MECH:
    case GSS_S_BAD_NAME:
    case GSS_S_BAD_NAMETYPE:
    case GSS_S_BAD_MECH_ATTR:
    case GSS_S_UNAVAILABLE:
        return WMGW_ECONFIG;
    case GSS_S_BAD_BINDINGS:
    case GSS_S_NO_CRED:
    case GSS_S_DEFECTIVE_CREDENTIAL:
    case GSS_S_CREDENTIALS_EXPIRED:
    case GSS_S_CONTEXT_EXPIRED:
        return WMGW_EAUTH;
    case GSS_S_BAD_SIG:
    case GSS_S_DEFECTIVE_TOKEN:
        return WMGW_EPROTO;
    case GSS_S_NO_CONTEXT:
        return WMGW_EINTERNAL;
    default:
        break;
    }
    if (major & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN))
        return WMGW_EPROTO;
    return 0;
}

/* Appends what gss_display_status says of one status to b[*n..cap). */
static void display(char *b, size_t cap, size_t *n, OM_uint32 status, int type, gss_const_OID mech)
{
    OM_uint32 minor, more = 0;
    do {
        gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
        if (GSS_ERROR(gss_display_status(&minor, status, type, (gss_OID)mech, &more, &text)))
            return;
        bool empty = text.length == 0 || (text.length == 7 && memcmp(text.value, "Success", 7) == 0);
        if (!empty && *n < cap) {
            int w = snprintf(b + *n, cap - *n, ": %.*s", (int)text.length, (const char *)text.value);
            *n = w > 0 && (size_t)w < cap - *n ? *n + (size_t)w : cap - 1;
        }
        gss_release_buffer(&minor, &text);
    } while (more != 0);
}

int wmgw__gss_error(struct wmgw_err *err, int dflt, OM_uint32 major, OM_uint32 minor, gss_const_OID mech,
                    const char *what)
{
    int code = minor != 0 ? krb5_code((long)(int32_t)minor) : 0;
    if (code == 0 && minor != 0)
        code = krb5_config_code((long)(int32_t)minor);
    if (code == 0)
        code = major_code(major);
    if (code == 0)
        code = dflt;
    if (err == NULL)
        return code;
    char text[sizeof(err->message)];
    size_t n = 0;
    text[0] = '\0';
    if (GSS_ROUTINE_ERROR(major) != 0 && GSS_ROUTINE_ERROR(major) != GSS_S_FAILURE)
        display(text, sizeof(text), &n, major, GSS_C_GSS_CODE, GSS_C_NO_OID);
    if (minor != 0)
        display(text, sizeof(text), &n, minor, GSS_C_MECH_CODE, mech);
    if (n == 0)
        display(text, sizeof(text), &n, major, GSS_C_GSS_CODE, GSS_C_NO_OID);
    return wmgw_err_set(err, code, "%s%s%s", what, text, hint((long)(int32_t)minor));
}

int wmgw__gss_krb5_error(struct wmgw_err *err, int dflt, krb5_context kctx, krb5_error_code kcode, const char *what)
{
    int code = krb5_code(kcode);
    if (code == 0)
        code = krb5_config_code(kcode);
    if (code == 0)
        code = dflt;
    if (err == NULL)
        return code;
    const char *msg = kctx != NULL ? krb5_get_error_message(kctx, kcode) : NULL;
    wmgw_err_set(err, code, "%s: %s%s", what, msg != NULL ? msg : strerror(kcode > 0 && kcode < 4096 ? kcode : EINVAL),
                 hint(kcode));
    if (msg != NULL)
        krb5_free_error_message(kctx, msg);
    return code;
}
