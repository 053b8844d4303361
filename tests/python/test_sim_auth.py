"""
test_sim_auth.py: the simulator's WS-Management authentication and message
protection (tests/sim/auth*.c, crypt.c, tls.c) against clients nobody here
wrote: pywinrm 0.3.0 (Debian python3-winrm) over requests-ntlm and
requests-kerberos, and, where pywinrm's Kerberos stack (pykerberos 1.1.14)
has no WinRM encryption and no channel bindings, a small requests auth on
python-gssapi that plugs into pywinrm's own Encryption class.

One wmsim, module scope, three hosts (conftest.start_fleet):
  OPEN-01  HTTP and HTTPS, clear text allowed, no channel-binding check
  ENC-01   HTTP with encrypt=required (AllowUnencrypted=false), HTTPS with
           cbt=required
  CBT-01   HTTPS with cbt=when-supported
users alice:Secret-1 (and conftest's), a keytab from a real MIT KDC
(tests/kdc/start) and a self-signed certificate made here.

What is proved: NTLM with message_encryption 'always' and 'auto' does
Identify / Get / Enumerate; Kerberos (pywinrm, clear; python-gssapi,
encrypted under Negotiate and under the Kerberos scheme); a wrong password
or unknown principal is 401; the encrypted-only host answers clear SOAP
with 500 and Basic over HTTP with 401, and takes encrypted requests and
Basic over HTTPS; channel bindings: required mode takes the client's CBT
and refuses none or a wrong one, when-supported takes none but refuses a
wrong one; and the bytes on the wire of an encrypted exchange (through a
counting relay) hold no SOAP while a clear one does.

    WMSIM_BIN  the simulator (default <repo>/build/wmsim)
"""
import base64
import hashlib
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

import conftest
import simclient

winrm_protocol = pytest.importorskip("winrm.protocol")
winrm_encryption = pytest.importorskip("winrm.encryption")
winrm_exceptions = pytest.importorskip("winrm.exceptions")
gssapi = pytest.importorskip("gssapi")
requests_ntlm = pytest.importorskip("requests_ntlm.requests_ntlm")

REPO = Path(__file__).resolve().parents[2]


def load_legacy_md4():
    """python3-ntlm-auth takes MD4 from hashlib, which OpenSSL 3 keeps in
    its legacy provider: load it (and the default one, which an explicit
    load would otherwise displace) into this process's libcrypto."""
    try:
        hashlib.new("md4", b"")
        return
    except ValueError:
        pass
    import ctypes
    import ctypes.util
    lib = ctypes.CDLL(ctypes.util.find_library("crypto"))
    lib.OSSL_PROVIDER_load.restype = ctypes.c_void_p
    lib.OSSL_PROVIDER_load.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    assert lib.OSSL_PROVIDER_load(None, b"legacy") and lib.OSSL_PROVIDER_load(None, b"default")
    hashlib.new("md4", b"")


load_legacy_md4()
SERVICE_HOST = "web01.wmgw.test"  # HTTP/web01.wmgw.test is in tests/kdc/start's http.keytab
OS_URI = simclient.wmi_uri("Win32_Service")


# --- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def kdc(tmp_path_factory):
    if not shutil.which("krb5kdc") and not os.path.exists("/usr/sbin/krb5kdc"):
        pytest.fail("krb5kdc is not installed (apt-get install krb5-kdc krb5-admin-server)")
    d = tmp_path_factory.mktemp("kdc")
    out = subprocess.run([str(REPO / "tests" / "kdc" / "start"), str(d), "web01"], check=True,
                         capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        name, _, value = line[len("export "):].partition("=")
        env[name] = value.strip("'")
    saved = {k: os.environ.get(k) for k in ("KRB5_CONFIG", "KRB5RCACHEDIR", "KRB5CCNAME")}
    ccache = d / "client.ccache"
    os.environ.update(KRB5_CONFIG=env["KRB5_CONFIG"], KRB5RCACHEDIR=env["KRB5RCACHEDIR"],
                      KRB5CCNAME="FILE:%s" % ccache)
    # A private ccache for bob, from his client keytab.
    subprocess.run(["kinit", "-k", "-t", env["WMGW_KDC_BOB_KEYTAB"], env["WMGW_KDC_BOB"]], check=True,
                   env=dict(os.environ))
    yield env
    subprocess.run([str(REPO / "tests" / "kdc" / "stop"), str(d)], capture_output=True)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
                    "-subj", "/CN=%s" % SERVICE_HOST, "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


class AuthSim:
    def __init__(self, sim, https_ports):
        self.sim = sim
        self.hosts = {h.name: h for h in sim.hosts}
        self.https_ports = https_ports

    def http(self, name):
        return self.hosts[name].endpoint

    def https(self, name):
        return "https://%s:%d/wsman" % (self.hosts[name].address, self.https_ports[name])


@pytest.fixture(scope="module")
def asim(tmp_path_factory, kdc, cert):
    ports = {}

    def opts(name, extra):
        def f(address, port):
            ports[name] = conftest.free_port([address])
            return ",https=%d%s" % (ports[name], extra)
        return f

    names = ["OPEN-01", "ENC-01", "CBT-01"]
    s = conftest.start_fleet(tmp_path_factory.mktemp("wmsim-auth"),
                             ["--keytab", kdc["WMGW_KDC_HTTP_KEYTAB"], "--tls-cert", str(cert[0]),
                              "--tls-key", str(cert[1]), "--verbose"],
                             nhosts=3, names=names,
                             listen_opts=[opts("OPEN-01", ",cbt=none"),
                                          opts("ENC-01", ",encrypt=required,cbt=required"),
                                          opts("CBT-01", ",cbt=when-supported")])
    yield AuthSim(s, ports)
    s.process.stop()


# --- clients ------------------------------------------------------------------------


def client(endpoint, transport, username=conftest.USER, password=conftest.PASSWORD, **kw):
    """simclient's envelopes over a pywinrm Protocol with this transport."""
    c = simclient.Client(endpoint)
    kw.setdefault("server_cert_validation", "ignore")
    c.protocol = winrm_protocol.Protocol(endpoint, transport=transport, username=username, password=password,
                                         read_timeout_sec=30, operation_timeout_sec=20, **kw)
    return c


@pytest.fixture(autouse=True)
def no_ca_bundle(monkeypatch):
    """requests prefers REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE to the verify=False
    pywinrm sets for server_cert_validation='ignore'; the test certificate
    is self-signed."""
    for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(k, raising=False)


def exercise(c):
    """Identify, Enumerate (all services) and Get of one of them."""
    ident = c.identify()
    assert simclient.local(ident.first.tag) == "IdentifyResponse"
    items, _ = c.enumerate_all(OS_URI)
    names = [simclient.read_props(i)["Name"] for i in items]
    assert "WinRM" in names and len(names) > 3
    props = c.get_instance(OS_URI, {"Name": "WinRM"})
    assert props["Name"] == "WinRM"
    return props


def krb5_token_oid(scheme):
    return gssapi.MechType.kerberos if scheme == "Kerberos" else gssapi.OID.from_int_seq("1.3.6.1.5.5.2")


NTLM_OID = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")


class GssAuth(requests.auth.AuthBase):
    """GSSAPI on python-gssapi (MIT krb5, gss-ntlmssp), sent first-hand:
    Kerberos (raw under "Kerberos", SPNEGO under "Negotiate"), or with
    ntlm=(user, password) gss-ntlmssp's raw NTLMSSP under "Negotiate" (what
    the gateway's backend side does for auth = ntlm), legs on the same
    connection; optional channel bindings; and what pywinrm's Encryption
    needs (wrap_winrm / unwrap_winrm) on top."""

    def __init__(self, scheme="Negotiate", cbt=None, ntlm=None):
        self.scheme = scheme
        self.cbt = cbt
        self.ntlm = ntlm
        self.ctx = None

    def __call__(self, r):
        if self.ctx is None or not self.ctx.complete:
            name = gssapi.Name("HTTP@" + SERVICE_HOST, gssapi.NameType.hostbased_service)
            flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.confidentiality
                     | gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.out_of_sequence_detection)
            cb = gssapi.raw.ChannelBindings(application_data=self.cbt) if self.cbt else None
            creds, mech = None, krb5_token_oid(self.scheme)
            if self.ntlm:
                user = gssapi.Name(self.ntlm[0], gssapi.NameType.user)
                creds = gssapi.raw.acquire_cred_with_password(user, self.ntlm[1].encode(), usage="initiate",
                                                              mechs=[NTLM_OID]).creds
                mech = NTLM_OID
            self.ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=mech, flags=flags,
                                              channel_bindings=cb, creds=creds)
            tok = self.ctx.step()
            r.headers["Authorization"] = "%s %s" % (self.scheme, base64.b64encode(tok).decode())
            r.register_hook("response", self.on_response)
        return r

    def server_token(self, resp):
        for v in resp.headers.get("WWW-Authenticate", "").split(","):
            v = v.strip()
            if v.startswith(self.scheme + " "):
                return base64.b64decode(v.split(" ", 1)[1])
        return None

    def on_response(self, resp, **kw):
        tok = self.server_token(resp)
        if tok is None or self.ctx.complete:
            return resp
        out = self.ctx.step(tok)  # the next leg, or the AP-REP (mutual authentication)
        if resp.status_code != 401 or not out:
            return resp
        resp.content
        resp.raw.release_conn()
        req = resp.request.copy()
        req.headers["Authorization"] = "%s %s" % (self.scheme, base64.b64encode(out).decode())
        again = resp.connection.send(req, **kw)  # the same keep-alive connection
        again.history.append(resp)
        return again

    def wrap_winrm(self, host, message):
        if self.ntlm:  # gss-ntlmssp has no wrap_iov: its wrap token is the signature, then the sealed data
            tok = self.ctx.wrap(message, True).message
            return tok[16:], tok[:16]
        iov = gssapi.raw.IOV(gssapi.raw.IOVBufferType.header, message, gssapi.raw.IOVBufferType.padding,
                             std_layout=False)
        gssapi.raw.wrap_iov(self.ctx, iov, confidential=True)
        return iov[1].value + (iov[2].value or b""), iov[0].value

    def unwrap_winrm(self, host, message, header):
        if self.ntlm:
            return self.ctx.unwrap(header + message).message
        iov = gssapi.raw.IOV((gssapi.raw.IOVBufferType.header, False, header), message, std_layout=False)
        gssapi.raw.unwrap_iov(self.ctx, iov)
        return iov[1].value


def gss_client(endpoint, scheme="Negotiate", encrypt=True, cbt=None, ntlm=None):
    """pywinrm's protocol and Encryption over GssAuth."""
    c = client(endpoint, "kerberos", username=None, password=None, kerberos_hostname_override=SERVICE_HOST,
               message_encryption="never")
    t = c.protocol.transport
    t.session = requests.Session()
    t.session.verify = False
    t.session.auth = GssAuth(scheme, cbt, ntlm)
    if encrypt:
        t.setup_encryption()  # the body-less POST that authenticates, then Encryption(session, 'kerberos')
        if scheme == "Kerberos":
            t.encryption.protocol_string = b"application/HTTP-Kerberos-session-encrypted"
        assert t.session.auth.ctx.complete, "the server did not finish the exchange"
    return c


def tls_server_end_point(address, port):
    der = socket_cert(address, port)
    return b"tls-server-end-point:" + hashlib.sha256(der).digest()


def socket_cert(address, port):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, port)) as s, ctx.wrap_socket(s) as t:
        return t.getpeercert(True)


def refused_401(fn):
    with pytest.raises(winrm_exceptions.InvalidCredentialsError):
        fn()


def refused_status(fn, status):
    with pytest.raises(winrm_exceptions.WinRMTransportError) as e:
        fn()
    assert e.value.code == status, e.value


# --- NTLM -----------------------------------------------------------------------------

def test_ntlm_auth_oem_negotiate(asim):
    """python3-ntlm-auth 1.4.0 leaves NEGOTIATE_UNICODE out of its NEGOTIATE
    (and speaks Unicode from the AUTHENTICATE on, as the CHALLENGE says);
    Windows takes that, and so does auth/ntlm_server.c.  Every pywinrm test
    here runs the client unmodified."""
    exercise(client(asim.http("OPEN-01"), "ntlm", message_encryption="always"))


@pytest.mark.parametrize("encryption", ["always", "auto"])
def test_ntlm_with_encryption(asim, encryption):
    c = client(asim.http("OPEN-01"), "ntlm", message_encryption=encryption)
    exercise(c)
    assert c.protocol.transport.encryption is not None  # over HTTP, 'auto' encrypts too


def test_ntlm_sessions_are_per_connection(asim):
    """Two encrypted NTLM clients (two users) interleaved on one host: each
    connection keeps its own keys and sequence numbers."""
    user2, password2 = conftest.FILE_USERS[1]
    a = client(asim.http("ENC-01"), "ntlm", message_encryption="always")
    b = client(asim.http("ENC-01"), "ntlm", username=user2, password=password2, message_encryption="always")
    for _ in range(3):
        for c in (a, b):
            assert c.get_instance(OS_URI, {"Name": "WinRM"})["Name"] == "WinRM"
    sa, sb = a.protocol.transport.session.auth, b.protocol.transport.session.auth
    for sec in (sa.session_security, sb.session_security):
        assert sec.outgoing_seq_num == sec.incoming_seq_num == 3


def test_ntlm_clear_on_open_host(asim):
    exercise(client(asim.http("OPEN-01"), "ntlm", message_encryption="never"))


def test_ntlm_domain_user_and_file_users(asim):
    user, password = conftest.FILE_USERS[0]
    exercise(client(asim.http("OPEN-01"), "ntlm", username="OPEN-01\\" + user, password=password,
                    message_encryption="always"))


@pytest.mark.parametrize("encrypt", [True, False])
def test_ntlm_gss_ntlmssp(asim, encrypt):
    """gss-ntlmssp's initiator (as the gateway's backend side uses it):
    raw NTLMSSP under Negotiate, and WinRM encryption from gss_wrap."""
    c = gss_client(asim.http("ENC-01" if encrypt else "OPEN-01"), encrypt=encrypt,
                   ntlm=(conftest.USER, conftest.PASSWORD))
    exercise(c)
    assert c.protocol.transport.session.auth.ctx.complete


def test_wrong_password_is_401(asim):
    for transport, enc in (("ntlm", "always"), ("ntlm", "never"), ("plaintext", "never")):
        c = client(asim.http("OPEN-01"), transport, password="wrong", message_encryption=enc)
        refused_401(c.identify if enc == "never" else lambda: exercise(c))
    c = client(asim.http("OPEN-01"), "ntlm", username="nobody", message_encryption="always")
    refused_401(lambda: exercise(c))


def test_ntlm_connection_bound(asim):
    """The AUTHENTICATE must come on the connection that got the challenge:
    a NEGOTIATE on one connection and the rest on another fails."""
    ntlm = pytest.importorskip("ntlm_auth.ntlm")
    url = asim.http("OPEN-01")
    ctx = ntlm.Ntlm()
    s1, s2 = requests.Session(), requests.Session()
    r = s1.post(url, data=b"", headers={"Authorization": "Negotiate " + ctx.create_negotiate_message("").decode()})
    assert r.status_code == 401
    chal = r.headers["WWW-Authenticate"]
    assert chal.startswith("Negotiate ")
    ctx.parse_challenge_message(chal.split(" ", 1)[1])
    auth = ctx.create_authenticate_message(conftest.USER, conftest.PASSWORD, "").decode()
    r2 = s2.post(url, data=b"", headers={"Authorization": "Negotiate " + auth})
    assert r2.status_code == 401
    # ...and on the first connection it works (body-less POST: 200, nothing to run).
    ctx = ntlm.Ntlm()
    r = s1.post(url, data=b"", headers={"Authorization": "NTLM " + ctx.create_negotiate_message("").decode()})
    ctx.parse_challenge_message(r.headers["WWW-Authenticate"].split(" ", 1)[1])
    auth = ctx.create_authenticate_message(conftest.USER, conftest.PASSWORD, "").decode()
    r3 = s1.post(url, data=b"", headers={"Authorization": "NTLM " + auth})
    assert r3.status_code == 200 and r3.content == b""


def test_challenges_offered(asim):
    r = requests.post(asim.http("OPEN-01"), data=simclient.identify_envelope())
    assert r.status_code == 401
    offered = [v.strip() for v in r.headers["WWW-Authenticate"].split(",")]
    assert "Negotiate" in offered and "Kerberos" in offered and 'Basic realm="WSMAN"' in offered


# --- encrypted-only hosts ---------------------------------------------------------------


def test_encrypted_only_refuses_clear_text(asim):
    url = asim.http("ENC-01")
    refused_status(lambda: client(url, "ntlm", message_encryption="never").identify(), 500)
    # Basic over HTTP is refused outright, right password or not.
    refused_401(lambda: client(url, "plaintext").identify())
    status = asim.sim.control.host("ENC-01")
    assert status["counters"]["unauthorized"] >= 1
    # The unauthenticated Identify (discovery) carries nothing and passes.
    r = requests.post(url, data=simclient.identify_envelope(),
                      headers={"WSMANIDENTIFY": "unauthenticated",
                               "Content-Type": "application/soap+xml;charset=UTF-8"})
    assert r.status_code == 200 and b"IdentifyResponse" in r.content


def test_encrypted_only_accepts_encrypted(asim):
    exercise(client(asim.http("ENC-01"), "ntlm", message_encryption="always"))
    exercise(gss_client(asim.http("ENC-01")))


def test_encrypted_only_accepts_basic_over_https(asim):
    exercise(client(asim.https("ENC-01"), "plaintext"))


# --- Kerberos ------------------------------------------------------------------------------


def test_kerberos_pywinrm_clear(asim, kdc):
    """pywinrm's own Kerberos transport (requests-kerberos over pykerberos,
    which has no WinRM encryption: 'auto' stays clear over HTTP), with
    mutual authentication required by requests-kerberos."""
    c = client(asim.http("OPEN-01"), "kerberos", username=None, password=None,
               kerberos_hostname_override=SERVICE_HOST, message_encryption="auto")
    exercise(c)
    assert c.protocol.transport.encryption is None
    # Clear text is what the encrypted-only host refuses.
    c = client(asim.http("ENC-01"), "kerberos", username=None, password=None,
               kerberos_hostname_override=SERVICE_HOST, message_encryption="auto")
    refused_status(c.identify, 500)


@pytest.mark.parametrize("scheme", ["Negotiate", "Kerberos"])
def test_kerberos_encrypted(asim, kdc, scheme):
    c = gss_client(asim.http("OPEN-01"), scheme)
    exercise(c)
    assert c.protocol.transport.session.auth.ctx.complete


def test_kerberos_clear_with_gssapi(asim, kdc):
    exercise(gss_client(asim.http("OPEN-01"), encrypt=False))


def test_kerberos_bad_token_is_401(asim, kdc):
    """A Kerberos AP-REQ for the right service, altered on the way: 401,
    under both schemes; the same token unaltered is accepted."""
    name = gssapi.Name("HTTP@" + SERVICE_HOST, gssapi.NameType.hostbased_service)
    for scheme in ("Kerberos", "Negotiate"):
        tok = bytearray(gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.MechType.kerberos).step())
        tok[-5] ^= 0x55
        r = requests.post(asim.http("OPEN-01"), data=b"",
                          headers={"Authorization": "%s %s" % (scheme, base64.b64encode(bytes(tok)).decode())})
        assert r.status_code == 401, scheme
    tok = gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.MechType.kerberos).step()
    r = requests.post(asim.http("OPEN-01"), data=b"",
                      headers={"Authorization": "Kerberos " + base64.b64encode(tok).decode()})
    assert r.status_code == 200 and r.headers["WWW-Authenticate"].startswith("Kerberos ")


# --- HTTPS and channel binding -------------------------------------------------------------


def test_https_ntlm_cbt_required(asim):
    url = asim.https("ENC-01")
    exercise(client(url, "ntlm", send_cbt=True))           # requests-ntlm sends the certificate's hash
    refused_401(lambda: client(url, "ntlm", send_cbt=False).identify())


def test_https_wrong_binding_refused(asim, monkeypatch):
    monkeypatch.setattr(requests_ntlm, "_get_certificate_hash", lambda der: "00" * 32)
    refused_401(lambda: client(asim.https("ENC-01"), "ntlm", send_cbt=True).identify())
    refused_401(lambda: client(asim.https("CBT-01"), "ntlm", send_cbt=True).identify())


def test_https_cbt_when_supported(asim):
    exercise(client(asim.https("CBT-01"), "ntlm", send_cbt=True))
    exercise(client(asim.https("CBT-01"), "ntlm", send_cbt=False))


def test_https_cbt_none(asim, monkeypatch):
    monkeypatch.setattr(requests_ntlm, "_get_certificate_hash", lambda der: "00" * 32)
    exercise(client(asim.https("OPEN-01"), "ntlm", send_cbt=True))


def test_https_kerberos_cbt_required(asim, kdc):
    h = asim.hosts["ENC-01"]
    cb = tls_server_end_point(h.address, asim.https_ports["ENC-01"])
    exercise(gss_client(asim.https("ENC-01"), encrypt=False, cbt=cb))
    with pytest.raises(Exception):
        exercise(gss_client(asim.https("ENC-01"), encrypt=False))
    with pytest.raises(Exception):
        exercise(gss_client(asim.https("ENC-01"), encrypt=False, cbt=b"tls-server-end-point:" + b"\0" * 32))


# --- the wire --------------------------------------------------------------------------------


# What any of the exchange's SOAP would show ("WinRM", the service's name,
# is also in pywinrm's User-Agent, so it is looked for in the bodies only).
SOAP_MARKERS = [b"Envelope", b"soap-envelope", b"Win32_Service", b"IdentifyResponse", b"EnumerationContext",
                b"ProductVendor", b"addressing"]


@pytest.mark.parametrize("kind", ["ntlm", "kerberos"])
def test_wire_holds_no_clear_soap(asim, kdc, kind):
    h = asim.hosts["ENC-01"]
    relay = conftest.Relay((h.address, h.port))
    url = "http://127.0.0.1:%d/wsman" % relay.port
    try:
        c = client(url, "ntlm", message_encryption="always") if kind == "ntlm" else gss_client(url)
        props = exercise(c)
    finally:
        relay.close()
    assert props["Name"] == "WinRM"
    up, down = bytes(relay.up), bytes(relay.down)
    assert len(up) > 2000 and len(down) > 2000, (len(up), len(down))
    for m in SOAP_MARKERS:
        assert m not in up and m not in down, m
    assert b"<" not in down.split(b"\r\n\r\n", 1)[1][:200]
    assert down.count(b">WinRM<") == 0 and up.count(b">WinRM<") == 0
    assert b"multipart/encrypted" in up and b"multipart/encrypted" in down


def test_wire_control_clear_exchange_is_visible(asim):
    """The same capture of a clear exchange does show SOAP: the relay sees
    what is sent."""
    h = asim.hosts["OPEN-01"]
    relay = conftest.Relay((h.address, h.port))
    try:
        exercise(client("http://127.0.0.1:%d/wsman" % relay.port, "ntlm", message_encryption="never"))
    finally:
        relay.close()
    assert b"Envelope" in bytes(relay.up) and b"Win32_Service" in bytes(relay.down)
