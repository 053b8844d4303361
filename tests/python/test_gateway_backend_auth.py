"""
test_gateway_backend_auth.py: the gateway authenticating to WS-Management
hosts with NTLM, Kerberos and Negotiate, WinRM message encryption and
channel bindings (translators/transport/auth_*.c), end to end: a real
wmgw in front of a real wmsim (tests/sim/auth*.c), Kerberos tickets from a
real MIT KDC (tests/kdc/start).

One wmsim, module scope:
  OPEN-01  HTTP and HTTPS, clear text allowed, no channel-binding check
  ENC-01   HTTP with encrypt=required (AllowUnencrypted=false), HTTPS with
           cbt=required (CbtHardeningLevel=Strict)
The gateway's hosts all reach these two with other keys (auth, domain, spn,
encryption, scheme).  Some go through a recording TCP relay written here,
so the test reads the bytes the gateway put on the wire.

What is proved: NTLM + encryption, Kerberos + encryption and Negotiate +
encryption work through the gateway against the encrypted-only host (Get
and an enumeration), and over HTTPS with the channel bindings the host
demands; the captured traffic to the encrypted host holds no SOAP while the
same capture of a clear host does; the same calls with pywinrm (an
implementation nobody here wrote) against the same hosts give the same
answers; refusals are clear problems (backend 401 -> 502, an unreachable
KDC -> 502 naming it); bad keys stop the gateway at start; no password
reaches the log.

    WMGW_BIN, WMSIM_BIN  the programs (default <repo>/build/...)
"""
import os
import struct
import subprocess
from pathlib import Path

import pytest

import conftest
import gwclient
import simclient
from gwclient import CIMV2, Gateway, assert_problem, inst_path, list_path

REPO = Path(__file__).resolve().parents[2]
SPN_HOST = "web01.wmgw.test"  # HTTP/web01.wmgw.test is in tests/kdc/start's http.keytab
SOAP_MARKERS = (b"Envelope", b"soap-envelope", b"Win32_Service", b"wsman/1/wsman")


# --- fixtures ---------------------------------------------------------------------------


# The KDC (tests/kdc/start, realm WMGW.TEST, HTTP/web01.wmgw.test in its
# http.keytab) and the self-signed certificate (CN web01.wmgw.test) are the
# simulator tests' own fixtures, shared rather than written twice.
from test_sim_auth import cert, kdc  # noqa: E402,F401


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, kdc, cert):
    https = {}

    def opts(name, extra):
        def f(address, port):
            https[name] = conftest.free_port([address])
            return ",https=%d%s" % (https[name], extra)
        return f

    s = conftest.start_fleet(tmp_path_factory.mktemp("wmsim-bauth"),
                             ["--keytab", kdc["WMGW_KDC_HTTP_KEYTAB"], "--tls-cert", str(cert[0]),
                              "--tls-key", str(cert[1]), "--verbose"],
                             nhosts=2, names=["OPEN-01", "ENC-01"],
                             listen_opts=[opts("OPEN-01", ",cbt=none"),
                                          opts("ENC-01", ",encrypt=required,cbt=required")])
    s.https = https
    s.by_name = {h.name: h for h in s.hosts}
    yield s
    s.process.stop()


def host(address, port, *, user=conftest.USER, password=conftest.PASSWORD, **kw):
    kv = [("address", address), ("port", port), ("protocol", "wsmv"), ("user", user), ("password", password),
          ("operation-timeout", "10s")]
    return kv + [(k.replace("_", "-"), v) for k, v in kw.items()]


@pytest.fixture(scope="module")
def relays(fleet):
    enc, opn = fleet.by_name["ENC-01"], fleet.by_name["OPEN-01"]
    r = {"enc": conftest.Relay((enc.address, enc.port)), "open": conftest.Relay((opn.address, opn.port))}
    yield r
    for x in r.values():
        x.close()


@pytest.fixture(scope="module")
def gw(tmp_path_factory, fleet, kdc, cert, relays):
    enc, opn = fleet.by_name["ENC-01"], fleet.by_name["OPEN-01"]
    alice_krb = kdc["WMGW_KDC_ALICE_PASSWORD"]
    krb = dict(domain="WMGW.TEST", spn="HTTP/" + SPN_HOST, user="alice", password=alice_krb)
    tls = dict(scheme="https", ca_file=str(cert[0]), tls_name=SPN_HOST)
    hosts = {
        # through the recording relay, to the encrypted-only host
        "ntlm-relay": host("127.0.0.1", relays["enc"].port, auth="ntlm", domain="WMSIM"),
        # a clear host through its own relay: what the capture sees without encryption
        "basic-relay": host("127.0.0.1", relays["open"].port),
        "ntlm-enc": host(enc.address, enc.port, auth="ntlm", domain="WMSIM"),
        "krb-enc": host(enc.address, enc.port, auth="kerberos", **krb),
        "nego-enc": host(enc.address, enc.port, auth="negotiate", **krb),
        "nego-ntlm-enc": host(enc.address, enc.port, auth="negotiate", domain="WMSIM"),
        "ntlm-cbt": host(enc.address, fleet.https["ENC-01"], auth="ntlm", domain="WMSIM", **tls),
        "krb-cbt": host(enc.address, fleet.https["ENC-01"], auth="kerberos", **krb, **tls),
        "ntlm-nocbt": host(enc.address, fleet.https["ENC-01"], auth="ntlm", domain="WMSIM", channel_binding="false",
                           **tls),
        "basic-enc": host(enc.address, enc.port),
        "ntlm-clear-enc": host(enc.address, enc.port, auth="ntlm", domain="WMSIM", encryption="never"),
        "ntlm-badpw": host(enc.address, enc.port, auth="ntlm", domain="WMSIM", password="Not-Secret-9"),
        "krb-badpw": host(enc.address, enc.port, auth="kerberos", **dict(krb, password="Not-Krb-Secret-9")),
        "ntlm-open": host(opn.address, opn.port, auth="ntlm", domain="WMSIM"),
    }
    tmp = tmp_path_factory.mktemp("gw-bauth")
    g = Gateway(tmp, "gw", [("workers", "2")], hosts, env={"KRB5_CONFIG": kdc["KRB5_CONFIG"]})
    g.start()
    yield g
    g.stop()


@pytest.fixture(autouse=True)
def no_ca_bundle(monkeypatch):
    for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(k, raising=False)


def get_winrm(g, name):
    r = g.get(inst_path(name, CIMV2, "Win32_Service", Name="WinRM"))
    assert r.status_code == 200, (name, r.status_code, r.text[:1000])
    return r.json()


# --- through the gateway --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ntlm-enc", "krb-enc", "nego-enc", "nego-ntlm-enc", "ntlm-open"])
def test_encrypted_http(gw, fleet, name):
    i = get_winrm(gw, name)
    assert i["Name"] == "WinRM"
    want = "OPEN-01" if name == "ntlm-open" else "ENC-01"
    assert i["SystemName"] == want
    items, pages = gw.list_all(list_path(name, CIMV2, "Win32_Service"), params={"limit": 5})
    assert len(pages) > 1 and "WinRM" in [x["Name"] for x in items]


@pytest.mark.parametrize("name", ["ntlm-cbt", "krb-cbt"])
def test_https_with_channel_binding(gw, name):
    assert get_winrm(gw, name)["SystemName"] == "ENC-01"


def test_https_without_channel_binding_refused(gw):
    p = assert_problem(gw.get(inst_path("ntlm-nocbt", CIMV2, "Win32_Service", Name="WinRM")), 502)
    assert "401" in p["detail"], p


def test_capture_holds_no_clear_soap(gw, relays):
    before_up, before_down = relays["enc"].captured()
    get_winrm(gw, "ntlm-relay")
    gw.list_all(list_path("ntlm-relay", CIMV2, "Win32_Service"), params={"limit": 5})
    up, down = relays["enc"].captured()
    up, down = up[len(before_up):], down[len(before_down):]
    assert b"multipart/encrypted" in up and b"multipart/encrypted" in down
    assert b"HTTP-SPNEGO-session-encrypted" in up
    assert b"Authorization: Negotiate TlRMTVNTUA" in up  # NTLM tokens went to the host
    for marker in SOAP_MARKERS:
        assert marker not in up, marker
        assert marker not in down, marker
    # The control: the same calls to a clear host show their SOAP in the capture.
    get_winrm(gw, "basic-relay")
    cup, cdown = relays["open"].captured()
    assert b"Envelope" in cup and b"Win32_Service" in cup and b"Envelope" in cdown


def test_connection_reused_after_authentication(gw, relays):
    """NTLM authenticates a connection: later calls on it send no Authorization."""
    n0 = relays["enc"].connections
    up0 = len(relays["enc"].captured()[0])
    for _ in range(4):
        get_winrm(gw, "ntlm-relay")
    up = relays["enc"].captured()[0][up0:]
    new = relays["enc"].connections - n0
    # Two workers: at most one new (authenticated) connection each.
    assert new <= 2, new
    assert up.count(b"Authorization: Negotiate") <= 2 * new
    assert up.count(b"POST /wsman") >= 4


# --- failures ------------------------------------------------------------------------------


def test_clear_text_to_encrypted_only_host(gw):
    p = assert_problem(gw.get(inst_path("basic-enc", CIMV2, "Win32_Service", Name="WinRM")), 502)
    assert "401" in p["detail"], p
    p = assert_problem(gw.get(inst_path("ntlm-clear-enc", CIMV2, "Win32_Service", Name="WinRM")), 502)
    assert "500" in p["detail"], p


@pytest.mark.parametrize("name", ["ntlm-badpw", "krb-badpw"])
def test_wrong_password(gw, name):
    p = assert_problem(gw.get(inst_path(name, CIMV2, "Win32_Service", Name="WinRM")), 502)
    assert "Not-" not in p["detail"]
    if name == "ntlm-badpw":
        assert "401" in p["detail"], p
    else:
        assert "Preauthentication failed" in p["detail"], p  # the KDC's answer, before any request


def test_no_secret_in_log(gw, kdc):
    text = gw.log_text()
    for secret in (conftest.PASSWORD, kdc["WMGW_KDC_ALICE_PASSWORD"], "Not-Secret-9", "Not-Krb-Secret-9"):
        assert secret not in text


def test_kdc_unreachable(tmp_path, fleet, kdc):
    """A krb5.conf whose KDC does not listen, given as [security] krb5-conf
    (over the KRB5_CONFIG of the environment, which names the live KDC): a
    clear 502/504, not a hang."""
    dead = gwclient.free_port()
    conf = tmp_path / "krb5.conf"
    conf.write_text(Path(kdc["KRB5_CONFIG"]).read_text().replace(
        "kdc = 127.0.0.1:", "kdc = 127.0.0.1:%d\n# was: " % dead))
    assert ("127.0.0.1:%d" % dead) in conf.read_text()
    enc = fleet.by_name["ENC-01"]
    g = Gateway(tmp_path, "gwkdc", [("workers", "1")],
                {"krb": host(enc.address, enc.port, auth="kerberos", domain="WMGW.TEST", spn="HTTP/" + SPN_HOST,
                             user="alice", password=kdc["WMGW_KDC_ALICE_PASSWORD"])},
                sections={"security": [("krb5-conf", str(conf))]},
                env={"KRB5_CONFIG": kdc["KRB5_CONFIG"]}).start()
    try:
        r = g.get(inst_path("krb", CIMV2, "Win32_Service", Name="WinRM"), timeout=60)
        assert r.status_code in (502, 504), r.text
        p = assert_problem(r, r.status_code)
        assert "KDC" in p["detail"] and "WMGW.TEST" in p["detail"], p  # "Cannot contact any KDC for realm ..."
    finally:
        g.stop()


def test_krb5_conf_unreadable(tmp_path):
    g = Gateway(tmp_path, "gwkrb", [], {}, sections={"security": [("krb5-conf", str(tmp_path / "missing.conf"))]})
    with pytest.raises(RuntimeError) as e:
        g.start()
    assert "krb5-conf" in str(e.value)


@pytest.mark.parametrize("keys,words", [
    ([("auth", "digest")], ["auth", "digest"]),
    ([("encryption", "sometimes")], ["encryption"]),
    ([("auth", "basic"), ("encryption", "always")], ["encryption"]),
    ([("auth", "kerberos")], ["realm"]),
    ([("auth", "kerberos"), ("domain", "WMGW.TEST")], ["spn"]),  # HTTP/127.0.0.1 is no principal
    ([("auth", "ntlm"), ("spn", "web01")], ["spn"]),
])
def test_config_errors_at_start(tmp_path, keys, words):
    hosts = {"bad": [("address", "127.0.0.1"), ("port", "5985"), ("user", "alice"), ("password", "x")] + keys}
    g = Gateway(tmp_path, "gwbad", [], hosts)
    with pytest.raises(RuntimeError) as e:
        g.start()
    for w in words:
        assert w in str(e.value), str(e.value)
    assert "bad" in str(e.value)


# --- the same calls with pywinrm ----------------------------------------------------------------

NTLMSSP_NEGOTIATE_UNICODE = 0x00000001


@pytest.fixture
def pywinrm_ntlm(monkeypatch):
    """pywinrm over requests-ntlm; python3-ntlm-auth 1.4.0 leaves
    NEGOTIATE_UNICODE out of its NEGOTIATE, which the simulator's acceptor
    refuses (tests/sim/README.md), so the bit it asked for is put back."""
    import winrm.protocol as protocol
    import ntlm_auth.messages as messages
    orig = messages.NegotiateMessage.__init__

    def init(self, *a, **kw):
        orig(self, *a, **kw)
        flags = struct.unpack("<I", self.negotiate_flags)[0] | NTLMSSP_NEGOTIATE_UNICODE
        self.negotiate_flags = struct.pack("<I", flags)

    monkeypatch.setattr(messages.NegotiateMessage, "__init__", init)

    def make(endpoint, **kw):
        c = simclient.Client(endpoint)
        c.protocol = protocol.Protocol(endpoint, transport="ntlm", username=conftest.USER,
                                       password=conftest.PASSWORD, server_cert_validation="ignore",
                                       read_timeout_sec=30, operation_timeout_sec=20, **kw)
        return c
    return make


def same_instance(gw_item, props):
    for k in ("Name", "DisplayName", "State", "StartMode", "SystemName"):
        assert str(gw_item[k]) == str(props[k]), (k, gw_item[k], props[k])


def test_pywinrm_agrees_ntlm_encrypted(gw, fleet, pywinrm_ntlm):
    enc = fleet.by_name["ENC-01"]
    c = pywinrm_ntlm("http://%s:%d/wsman" % (enc.address, enc.port), message_encryption="always")
    props = c.get_instance(simclient.wmi_uri("Win32_Service"), {"Name": "WinRM"})
    assert c.protocol.transport.encryption is not None
    same_instance(get_winrm(gw, "ntlm-enc"), props)
    same_instance(get_winrm(gw, "krb-enc"), props)
    same_instance(get_winrm(gw, "nego-enc"), props)


def test_pywinrm_agrees_https_cbt(gw, fleet, pywinrm_ntlm):
    enc = fleet.by_name["ENC-01"]
    c = pywinrm_ntlm("https://%s:%d/wsman" % (enc.address, fleet.https["ENC-01"]), message_encryption="auto")
    props = c.get_instance(simclient.wmi_uri("Win32_Service"), {"Name": "WinRM"})
    same_instance(get_winrm(gw, "ntlm-cbt"), props)
    same_instance(get_winrm(gw, "krb-cbt"), props)


def test_pywinrm_kerberos_agrees(gw, fleet, kdc, tmp_path, monkeypatch):
    """pywinrm's own Kerberos transport (pykerberos: no WinRM encryption) on
    the clear host, from alice's tickets in a private ccache."""
    import winrm.protocol as protocol
    import requests_kerberos  # noqa: F401  (requests-kerberos must be there)
    monkeypatch.setenv("KRB5_CONFIG", kdc["KRB5_CONFIG"])
    monkeypatch.setenv("KRB5CCNAME", "FILE:%s" % (tmp_path / "cc"))
    subprocess.run(["kinit", "alice@WMGW.TEST"], input=kdc["WMGW_KDC_ALICE_PASSWORD"] + "\n", text=True,
                   check=True, capture_output=True, env=dict(os.environ))
    opn = fleet.by_name["OPEN-01"]
    endpoint = "http://%s:%d/wsman" % (opn.address, opn.port)
    c = simclient.Client(endpoint)
    c.protocol = protocol.Protocol(endpoint, transport="kerberos", username="alice@WMGW.TEST",
                                   kerberos_hostname_override=SPN_HOST, message_encryption="never",
                                   read_timeout_sec=30, operation_timeout_sec=20)
    props = c.get_instance(simclient.wmi_uri("Win32_Service"), {"Name": "WinRM"})
    assert props["SystemName"] == "OPEN-01"
    same_instance(get_winrm(gw, "ntlm-open"), props)


def test_hosts_added_through_the_api_take_the_auth_keys(gw, fleet):
    """POST /v1/hosts sets auth, domain and encryption as the file does: an
    NTLM host with encryption works at once; bad values are 400."""
    enc = fleet.by_name["ENC-01"]
    body = {"name": "api-ntlm", "address": enc.address, "port": enc.port, "protocol": "wsmv", "auth": "ntlm",
            "domain": "WMSIM", "encryption": "always", "channelBinding": True,
            "credential": {"user": conftest.USER, "password": conftest.PASSWORD}}
    r = gw.post("/v1/hosts", body)
    assert r.status_code == 201, r.text
    try:
        assert get_winrm(gw, "api-ntlm")["SystemName"] == "ENC-01"
    finally:
        assert gw.delete("/v1/hosts/api-ntlm").status_code == 204
    for bad in ({"auth": "telepathy"}, {"encryption": "sometimes"}, {"dcomAuthLevel": "none"}):
        r = gw.post("/v1/hosts", dict(body, name="api-bad", **bad))
        assert_problem(r, 400)
        assert list(bad)[0] in r.text or list(bad.values())[0] in r.text, r.text


def test_vault_keytab_credential_authenticates_with_kerberos(tmp_path, fleet, kdc):
    """A vault credential of kind keytab (bob's keys from the KDC) on a
    Kerberos host: the gateway gets bob's tickets from the keys, encrypts,
    and the host sees bob.  The same keytab on a Basic host is refused
    before any request, naming the fix."""
    import base64
    import re
    import secrets as pysecrets
    enc = fleet.by_name["ENC-01"]
    key = base64.b64encode(pysecrets.token_bytes(32)).decode()
    g = Gateway(tmp_path, "gw-vault-kt", [("workers", "1")], {},
                sections={"security": [("vault", str(tmp_path / "vault.json"))]},
                env={"KRB5_CONFIG": kdc["KRB5_CONFIG"], "WMGW_VAULT_KEY": key})
    g.start()
    try:
        keytab = Path(kdc["WMGW_KDC_BOB_KEYTAB"]).read_bytes()
        r = g.post("/v1/credentials", {"id": "bob-kt", "kind": "keytab", "user": "bob", "domain": "WMGW.TEST",
                                       "keytab": base64.b64encode(keytab).decode()})
        assert r.status_code == 201, r.text
        assert base64.b64encode(keytab).decode() not in r.text
        base = {"address": enc.address, "port": enc.port, "protocol": "wsmv", "vaultCredential": "bob-kt",
                "spn": "HTTP/" + SPN_HOST, "domain": "WMGW.TEST"}
        assert g.post("/v1/hosts", dict(base, name="krb-kt", auth="kerberos")).status_code == 201
        assert get_winrm(g, "krb-kt")["SystemName"] == "ENC-01"
        fleet.process.log.flush()
        callers = re.findall(r"wmsim: caller (\S+)", Path(fleet.process.log_path).read_text(errors="replace"))
        assert callers and "bob" in callers[-1].lower(), callers[-5:]
        assert g.post("/v1/hosts", dict(base, name="basic-kt", auth="basic")).status_code == 201
        r = g.get(inst_path("basic-kt", CIMV2, "Win32_Service", Name="WinRM"))
        p = assert_problem(r, 501)
        assert "keytab" in p["detail"] and "kerberos" in p["detail"], p
    finally:
        g.stop()
    assert base64.b64encode(keytab).decode()[:40] not in g.log_text()
