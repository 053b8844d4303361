"""
test_gateway_krb_vault.py: a Kerberos password from the credential vault
leaves no copy where a core dump finds it (issue 6).

MIT krb5's gss_acquire_cred_with_password keeps the password inside its
GSSAPI credential, in ordinary memory, to get tickets again later.  The
gateway gets the TGT itself into a private MEMORY ccache and gives GSSAPI
only the ccache, and NTLM only the NT hash (auth/gss_cred.c); its own copy, for renewal, is in pages
kept out of core dumps (auth/secret.h).  Here a real MIT KDC
(tests/kdc/start), a simulator with the HTTP/ keytab, and a gateway whose
host takes alice's password from the vault; after a Kerberos call the
gateway's dumpable memory is scanned for the password, after calls with
auth = kerberos and with auth = negotiate (SPNEGO over the same TGT, NTLM
from the NT hash).

Run: WMSIM_BIN=build/wmsim WMGW_BIN=build/wmgw /usr/bin/python3 -m pytest tests/python/test_gateway_krb_vault.py
"""
import pytest

import gwclient
from gwclient import CIMV2, inst_path
from test_gateway_kdc_offload import SPN, fleet  # noqa: F401  (one simulated host with the HTTP/ keytab)
from test_gateway_vault import ADMIN_TOKEN, VAULT_KEY, dumpable_memory, security_sections
from test_sim_auth import cert, kdc  # noqa: F401  (the simulator tests' KDC fixture)


@pytest.fixture(scope="module")
def gw(tmp_path_factory, fleet, kdc):
    tmp = tmp_path_factory.mktemp("gw-krb-vault")
    g = gwclient.Gateway(tmp, "gw", [], {}, env={"WMGW_VAULT_KEY": VAULT_KEY, "KRB5_CONFIG": kdc["KRB5_CONFIG"]},
                         sections=security_sections(tmp / "vault.json"), auth=False)
    g.start()
    yield g
    g.stop()


def admin(gw, method, path, body=None):
    return gw.request(method, path, body=body, headers={"Authorization": "Bearer " + ADMIN_TOKEN})


def test_kerberos_password_from_the_vault_leaves_no_copy(gw, fleet, kdc):
    password = kdc["WMGW_KDC_ALICE_PASSWORD"]
    r = admin(gw, "POST", "/v1/credentials", {"id": "alice-krb", "kind": "password", "user": "alice",
                                             "domain": kdc["WMGW_KDC_REALM"], "password": password})
    assert r.status_code == 201, r.text
    h = fleet.hosts[0]
    for auth in ("kerberos", "negotiate"):
        r = admin(gw, "POST", "/v1/hosts", {"name": auth, "address": h.address, "port": h.port, "protocol": "wsmv",
                                            "auth": auth, "spn": SPN, "vaultCredential": "alice-krb"})
        assert r.status_code == 201, r.text
        for _ in range(3):
            r = admin(gw, "GET", inst_path(auth, CIMV2, "Win32_Service", Name="WinRM"))
            assert r.status_code == 200, r.text
    # (That Negotiate by password picks Kerberos when a TGT can be had is
    # tests/unit/auth/gss.c's test_spnego_negotiates_kerberos.)
    data, _ = dumpable_memory(gw.proc.pid)
    assert b"WinRM" in data                     # the scan sees the heap the answers went through
    found = [enc for enc in ("utf-8", "utf-16-le") if password.encode(enc) in data]
    assert found == [], "alice's password is in the gateway's dumpable memory (%s)" % ", ".join(found)
