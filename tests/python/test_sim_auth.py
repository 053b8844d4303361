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

import winrm.protocol as winrm_protocol
import winrm.encryption as winrm_encryption
import winrm.exceptions as winrm_exceptions
import gssapi
import requests_ntlm.requests_ntlm as requests_ntlm

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
SPNEGO_OID = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")


class GssAuth(requests.auth.AuthBase):
    """GSSAPI on python-gssapi (MIT krb5, gss-ntlmssp), sent first-hand:
    Kerberos (raw under "Kerberos", SPNEGO under "Negotiate"), or with
    ntlm=(user, password) gss-ntlmssp's raw NTLMSSP under "Negotiate" (what
    the gateway's backend side does for auth = ntlm), legs on the same
    connection; optional channel bindings; and what pywinrm's Encryption
    needs (wrap_winrm / unwrap_winrm) on top."""

    def __init__(self, scheme="Negotiate", cbt=None, ntlm=None, spnego=False):
        self.scheme = scheme
        self.cbt = cbt
        self.ntlm = ntlm
        self.spnego = spnego  # with ntlm: NTLM inside SPNEGO, as MIT's Negotiate without Kerberos sends it
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
                mech = SPNEGO_OID if self.spnego else NTLM_OID
                creds = gssapi.raw.acquire_cred_with_password(user, self.ntlm[1].encode(), usage="initiate",
                                                              mechs=[mech]).creds
                if self.spnego:
                    gssapi.raw.set_neg_mechs(creds, [NTLM_OID])
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
        return self.on_response(again, **kw)  # SPNEGO's last token (mechListMIC) comes with the answer

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


def gss_client(endpoint, scheme="Negotiate", encrypt=True, cbt=None, ntlm=None, spnego=False):
    """pywinrm's protocol and Encryption over GssAuth."""
    c = client(endpoint, "kerberos", username=None, password=None, kerberos_hostname_override=SERVICE_HOST,
               message_encryption="never")
    t = c.protocol.transport
    t.session = requests.Session()
    t.session.verify = False
    t.session.auth = GssAuth(scheme, cbt, ntlm, spnego)
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
    import ntlm_auth.ntlm as ntlm
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


# --- NTLM inside SPNEGO (tests/sim/auth_gss.c over gss-ntlmssp) ------------------------------
#
# What a Negotiate client without Kerberos sends: a SPNEGO NegTokenInit
# listing NTLM with an NTLM NEGOTIATE, then a NegTokenResp with the
# AUTHENTICATE (and a mechListMIC), then WinRM encryption with NTLM's
# signature as the header.  ASIM (with a keytab) first tries Kerberos, which
# refuses a list without it; NSIM (no keytab) goes to NTLM at once.  The
# independent client is impacket's NTLM (NEGOTIATE, AUTHENTICATE, keys,
# SIGN/SEAL) and NegTokenInit, with the NegTokenResp and the mechListMIC
# done here from RFC 4178 / MS-SPNG; python-gssapi (MIT SPNEGO +
# gss-ntlmssp, the gateway's stack) is the second client.

BOB, BOB_PW = conftest.FILE_USERS[0]
BOB_SID = "S-1-5-21-1111-2222-3333-2001"  # a plain user (Users): root\cimv2's default descriptor keeps it out
NTLM_OID_DER = b"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"
ENCRYPTED_CT = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"'


@pytest.fixture(scope="module")
def nsim(tmp_path_factory, cert):
    """One host, NEG-01: HTTP encrypt=required, HTTPS cbt=required; no
    keytab; bob a plain user."""
    ports = {}

    def opts(address, port):
        ports["NEG-01"] = conftest.free_port([address])
        return ",https=%d,encrypt=required,cbt=required" % ports["NEG-01"]

    s = conftest.start_fleet(tmp_path_factory.mktemp("wmsim-nego"),
                             ["--tls-cert", str(cert[0]), "--tls-key", str(cert[1]), "--verbose",
                              "--user-sid", "%s=%s,BU" % (BOB, BOB_SID)],
                             nhosts=1, names=["NEG-01"], listen_opts=[opts])
    yield AuthSim(s, ports)
    s.process.stop()


def der(tag, value):
    n = len(value)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + value


def tlv(data):
    """The first DER element of data: (tag, value, what follows)."""
    tag, n, off = data[0], data[1], 2
    if n & 0x80:
        k = n & 0x7F
        n, off = int.from_bytes(data[2:2 + k], "big"), 2 + k
    assert len(data) >= off + n, "truncated DER"
    return tag, data[off:off + n], data[off + n:]


def neg_token_resp(tok):
    """A NegTokenResp's fields by context tag: 0 negState, 1 supportedMech,
    2 responseToken, 3 mechListMIC (each the inner value)."""
    tag, seq, rest = tlv(tok)
    assert tag == 0xA1 and not rest, tok[:8]
    tag, body, _ = tlv(seq)
    assert tag == 0x30
    fields = {}
    while body:
        tag, value, body = tlv(body)
        fields[tag & 0x1F] = tlv(value)[1]
    return fields


class SpnegoNtlm:
    """impacket's NTLM inside SPNEGO over one keep-alive HTTP connection,
    and WinRM message encryption with the session's keys."""

    MECH_TYPES = der(0x30, der(0x06, NTLM_OID_DER))  # the DER the mechListMIC covers

    def __init__(self, address, port, user=conftest.USER, password=conftest.PASSWORD, domain="WMSIM"):
        import http.client
        self.conn = http.client.HTTPConnection(address, port, timeout=30)
        self.user, self.password, self.domain = user, password, domain

    def post(self, body=b"", headers=()):
        h = {"Content-Type": "application/soap+xml;charset=UTF-8"}
        h.update(headers)
        self.conn.request("POST", "/wsman", body=body, headers=h)
        r = self.conn.getresponse()
        return r, r.read()

    @staticmethod
    def negotiate_token(resp):
        for v in resp.headers.get_all("WWW-Authenticate") or []:
            if v.startswith("Negotiate "):
                return base64.b64decode(v.split(" ", 1)[1])
        return None

    def authenticate(self, mech_list_mic=True):
        """The two legs; returns the last answer's status.  On success the
        server's final token is checked (accept-completed, and its
        mechListMIC when we sent one) and the RC4 state reset after the
        MICs (MS-SPNG 3.3.5.1)."""
        from Cryptodome.Cipher import ARC4
        from impacket import ntlm, spnego
        type1 = ntlm.getNTLMSSPType1("", "", signingRequired=True, use_ntlmv2=True)
        init = spnego.SPNEGO_NegTokenInit()
        init["MechTypes"] = [spnego.TypesMech["NTLMSSP - Microsoft NTLM Security Support Provider"]]
        # impacket leaves out the NEGOTIATE's Version field (legal without
        # NTLMSSP_NEGOTIATE_VERSION), which gss-ntlmssp 1.2 insists on:
        # the 8 zero bytes most clients send there (README, known gaps).
        init["MechToken"] = self.type1 = type1.getData().ljust(40, b"\0")
        tok = init.getData()
        assert tok[0] == 0x60, "not a GSS-API initial context token"
        r, _ = self.post(headers={"Authorization": "Negotiate " + base64.b64encode(tok).decode()})
        assert r.status == 401, r.status
        first = neg_token_resp(self.negotiate_token(r))
        assert first[0] == b"\x01" and first[1] == NTLM_OID_DER, first  # accept-incomplete, NTLM
        type2 = first[2]
        assert type2[:8] == b"NTLMSSP\0" and type2[8] == 2
        type3, key = ntlm.getNTLMSSPType3(type1, type2, self.user, self.password, self.domain, use_ntlmv2=True)
        self.flags = type3["flags"]
        assert self.flags & ntlm.NTLMSSP_NEGOTIATE_SEAL and self.flags & ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH
        self.sign_out, self.sign_in = ntlm.SIGNKEY(self.flags, key), ntlm.SIGNKEY(self.flags, key, "Server")
        self.seal_out, self.seal_in = ntlm.SEALKEY(self.flags, key), ntlm.SEALKEY(self.flags, key, "Server")
        self.rc4_out, self.rc4_in = ARC4.new(self.seal_out).encrypt, ARC4.new(self.seal_in).encrypt
        self.seq_out = self.seq_in = 0
        fields = der(0xA2, der(0x04, type3.getData()))
        if mech_list_mic:
            mic = ntlm.SIGN(self.flags, self.sign_out, self.MECH_TYPES, self.seq_out, self.rc4_out).getData()
            self.seq_out += 1
            fields += der(0xA3, der(0x04, mic))
        resp = der(0xA1, der(0x30, fields))
        r, _ = self.post(headers={"Authorization": "Negotiate " + base64.b64encode(resp).decode()})
        if r.status != 200:
            return r.status
        last = neg_token_resp(self.negotiate_token(r))
        assert last[0] == b"\x00", last  # accept-completed
        if mech_list_mic:
            want = ntlm.SIGN(self.flags, self.sign_in, self.MECH_TYPES, self.seq_in, self.rc4_in).getData()
            assert last.get(3) == want, "the server's mechListMIC does not verify"
            self.seq_in += 1
            self.rc4_out, self.rc4_in = ARC4.new(self.seal_out).encrypt, ARC4.new(self.seal_in).encrypt
        return r.status

    def call(self, envelope_text):
        """One encrypted request; returns (status, decrypted answer)."""
        import struct
        from impacket import ntlm
        plain = envelope_text.encode()
        sealed, sig = ntlm.SEAL(self.flags, self.sign_out, self.seal_out, plain, plain, self.seq_out, self.rc4_out)
        self.seq_out += 1
        body = (b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n"
                b"--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n" % len(plain)
                + struct.pack("<I", 16) + sig.getData() + sealed + b"--Encrypted Boundary--\r\n")
        r, data = self.post(body, {"Content-Type": ENCRYPTED_CT})
        assert r.headers["Content-Type"].startswith("multipart/encrypted"), (r.status, data[:300])
        length = int(data.split(b"Length=", 1)[1].split(b"\r\n", 1)[0])
        part = data.split(b"Content-Type: application/octet-stream\r\n", 1)[1]
        hlen = struct.unpack("<I", part[:4])[0]
        assert hlen == 16
        header, sealed = part[4:20], part[20:20 + length]
        assert part[20 + length:].startswith(b"--Encrypted Boundary--")
        plain = self.rc4_in(sealed)
        want = ntlm.MAC(self.flags, self.rc4_in, self.sign_in, self.seq_in, plain).getData()
        assert header == want, "the answer's NTLM signature does not verify"
        self.seq_in += 1
        return r.status, plain.decode()


def get_winrm_envelope(endpoint):
    return simclient.envelope(simclient.GET, OS_URI, selectors={"Name": "WinRM"}, to=endpoint)


@pytest.mark.parametrize("mech_list_mic", [True, False])
@pytest.mark.parametrize("which", ["nsim", "asim"])
def test_spnego_ntlm_impacket_encrypted(request, which, mech_list_mic):
    """impacket speaks SPNEGO+NTLM, then one encrypted Get and another on
    the same connection, each decrypted and its signature checked."""
    sim = request.getfixturevalue(which)
    name = "NEG-01" if which == "nsim" else "ENC-01"
    h = sim.hosts[name]
    c = SpnegoNtlm(h.address, h.port)
    assert c.authenticate(mech_list_mic) == 200
    for _ in range(2):
        status, text = c.call(get_winrm_envelope(h.endpoint)[0])
        assert status == 200, text[:500]
        props = simclient.read_props(simclient.Reply(text).first)
        assert props["Name"] == "WinRM"


def test_spnego_ntlm_impacket_wrong_password_is_401(nsim):
    h = nsim.hosts["NEG-01"]
    assert SpnegoNtlm(h.address, h.port, password="wrong").authenticate() == 401
    assert SpnegoNtlm(h.address, h.port, user="nobody").authenticate() == 401
    assert SpnegoNtlm(h.address, h.port).authenticate() == 200  # and the right one is let in


@pytest.mark.parametrize("which", ["nsim", "asim"])
def test_spnego_ntlm_gssapi_encrypted(request, which):
    """MIT SPNEGO + gss-ntlmssp on the client side (the gateway's stack),
    through pywinrm's Encryption."""
    sim = request.getfixturevalue(which)
    c = gss_client(sim.http("NEG-01" if which == "nsim" else "ENC-01"), ntlm=(conftest.USER, conftest.PASSWORD),
                   spnego=True)
    exercise(c)
    ctx = c.protocol.transport.session.auth.ctx
    assert ctx.complete and ctx.mech == NTLM_OID


def test_spnego_ntlm_gssapi_wrong_password_is_401(nsim):
    refused_401(lambda: exercise(gss_client(nsim.http("NEG-01"), ntlm=(conftest.USER, "wrong"), spnego=True)))


def test_spnego_ntlm_user_without_rights_same_fault_as_raw_ntlm(nsim):
    """bob authenticates (the caller is WMSIM\\bob) and the host refuses him
    the namespace exactly as over raw NTLM; alice, an administrator, reads."""
    h = nsim.hosts["NEG-01"]
    raw = client(h.endpoint, "ntlm", username=BOB, password=BOB_PW, message_encryption="always")
    want = raw.fault(simclient.GET, OS_URI, selectors={"Name": "WinRM"})
    assert want.subcode_qname()[1] == "AccessDenied", want
    c = SpnegoNtlm(h.address, h.port, user=BOB, password=BOB_PW)
    assert c.authenticate() == 200
    status, text = c.call(get_winrm_envelope(h.endpoint)[0])
    got = simclient.Fault(status, text)
    assert (status, got.subcode_qname(), got.wsman_code, got.reason) == \
        (want.status, want.subcode_qname(), want.wsman_code, want.reason)
    g = gss_client(h.endpoint, ntlm=(BOB, BOB_PW), spnego=True)
    f = g.fault(simclient.GET, OS_URI, selectors={"Name": "WinRM"})
    assert (f.status, f.subcode_qname(), f.wsman_code) == (want.status, want.subcode_qname(), want.wsman_code)
    a = SpnegoNtlm(h.address, h.port)
    assert a.authenticate() == 200 and a.call(get_winrm_envelope(h.endpoint)[0])[0] == 200


def test_spnego_ntlm_https_cbt_required(nsim):
    """gss-ntlmssp's acceptor checks the client's bindings; a client without
    any is refused by auth/gss_ctx.c (no GSS_C_CHANNEL_BOUND_FLAG)."""
    h = nsim.hosts["NEG-01"]
    url, port = nsim.https("NEG-01"), nsim.https_ports["NEG-01"]
    ntlm_user = (conftest.USER, conftest.PASSWORD)
    exercise(gss_client(url, encrypt=False, ntlm=ntlm_user, spnego=True, cbt=tls_server_end_point(h.address, port)))
    refused_401(lambda: gss_client(url, encrypt=False, ntlm=ntlm_user, spnego=True).identify())
    refused_401(lambda: gss_client(url, encrypt=False, ntlm=ntlm_user, spnego=True,
                                   cbt=b"tls-server-end-point:" + b"\0" * 32).identify())


def test_spnego_kerberos_still_kerberos(asim, kdc):
    """With a keytab, a SPNEGO client offering Kerberos and NTLM gets
    Kerberos (mutual authentication), not the NTLM fallback."""
    c = gss_client(asim.http("ENC-01"))
    exercise(c)
    ctx = c.protocol.transport.session.auth.ctx
    assert ctx.mech == gssapi.MechType.kerberos, ctx.mech
