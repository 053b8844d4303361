"""
test_sim_cert_auth.py: the simulator's WinRM client-certificate
authentication (tests/sim/auth_cert.c, tls.c --client-ca, --cert-map)
against pywinrm's transport='certificate' (Debian python3-winrm), which
sends the WS-Management mutual https secprofile as Authorization and the
certificate in the TLS handshake.

One wmsim, module scope, one host CERT-01 with HTTP and HTTPS, the HTTPS
listener asking for client certificates verified against a test CA, and
mappings alice@wmgw.test -> alice, bob@wmgw.test -> bob.  Certificates are
made here (the CA and the server certificate with test_gateway_authz's
openssl helpers, the client certificates with python3-cryptography, which
can write the UPN otherName and any validity period).

What is proved: a mapped certificate runs Identify, Enumerate and Get and
the simulator names the mapped user as caller (two certificates, two
users); refused with 401: a certificate from another CA, one whose UPN has
no mapping, an expired one, one without the clientAuth EKU, no certificate
at all, the header over plain HTTP; other schemes (Basic over HTTPS) still
work on the same listener.

    WMSIM_BIN  the simulator (default <repo>/build/wmsim)
"""
import datetime
import time
from pathlib import Path

import pytest
import requests

import conftest
import simclient
from test_gateway_authz import make_ca, make_cert
# exercise: Identify, Enumerate, Get; no_ca_bundle (autouse): requests must
# not prefer a CA bundle from the environment to the tests' own choice.
from test_sim_auth import exercise, no_ca_bundle  # noqa: F401

import winrm.protocol as winrm_protocol
import winrm.exceptions as winrm_exceptions
import cryptography.x509 as x509
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier  # noqa: E402

UPN_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
MUTUAL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"


def client_cert(d, name, ca, upn=None, client_auth=True, days=(-1, 2)):
    """A certificate signed by ca (pem, key paths): UPN in the
    subjectAltName otherName WinRM maps, the clientAuth EKU, valid from
    now+days[0] to now+days[1].  Returns (cert path, key path) as str."""
    ca_cert = x509.load_pem_x509_certificate(Path(ca[0]).read_bytes())
    ca_key = serialization.load_pem_private_key(Path(ca[1]).read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.utcnow()
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
         .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(days=days[0]))
         .not_valid_after(now + datetime.timedelta(days=days[1])))
    if upn:
        raw = upn.encode()
        b = b.add_extension(x509.SubjectAlternativeName([x509.OtherName(UPN_OID, bytes([0x0c, len(raw)]) + raw)]),
                            critical=False)
    if client_auth:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = b.sign(ca_key, hashes.SHA256())
    pem, kpem = d / (name + ".pem"), d / (name + ".key")
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kpem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(pem), str(kpem)


def pki(d):
    """The CA the simulator trusts, a rogue one, the server certificate and
    the client certificates every certificate test uses."""
    ca, rogue = make_ca(d, "client-ca"), make_ca(d, "rogue-ca")
    server = make_cert(d, "server", "/CN=localhost", ca, "DNS:localhost,IP:127.0.0.1")
    return {
        "ca": ca, "server": server,
        "alice": client_cert(d, "alice-cert", ca, "alice@wmgw.test"),
        "bob": client_cert(d, "bob-cert", ca, "bob@wmgw.test"),
        "stranger": client_cert(d, "stranger-cert", ca, "stranger@wmgw.test"),
        "rogue": client_cert(d, "rogue-cert", rogue, "alice@wmgw.test"),
        "expired": client_cert(d, "expired-cert", ca, "alice@wmgw.test", days=(-10, -1)),
        "no-eku": client_cert(d, "no-eku-cert", ca, "alice@wmgw.test", client_auth=False),
    }


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return pki(tmp_path_factory.mktemp("cert-pki"))


class CertSim:
    def __init__(self, sim, https_port):
        self.sim = sim
        self.host = sim.hosts[0]
        self.https = "https://%s:%d/wsman" % (self.host.address, https_port)
        self.log = Path(sim.process.log_path)

    def log_since(self, mark):
        return self.log.read_text()[mark:]

    def mark(self):
        return len(self.log.read_text())


def start_cert_sim(tmp, certs, maps, extra=()):
    """wmsim with one host, CERT-01, on HTTP and HTTPS; its HTTPS listener
    trusts certs["ca"] for client certificates and maps UPN=USER rows.
    Returns the Sim, with https_port set."""
    ports = {}

    def https(address, port):
        ports["https"] = conftest.free_port([address])
        return ",https=%d" % ports["https"]

    args = ["--tls-cert", certs["server"][0], "--tls-key", certs["server"][1], "--client-ca", str(certs["ca"][0]),
            "--verbose"] + sum((["--cert-map", m] for m in maps), []) + list(extra)
    s = conftest.start_fleet(tmp, args, nhosts=1, names=["CERT-01"], listen_opts=[https])
    s.https_port = ports["https"]
    return s


@pytest.fixture(scope="module")
def csim(tmp_path_factory, certs):
    s = start_cert_sim(tmp_path_factory.mktemp("wmsim-cert"), certs, ["alice@wmgw.test=alice", "bob@wmgw.test=bob"])
    yield CertSim(s, s.https_port)
    s.process.stop()


def cert_client(endpoint, cert):
    """simclient's envelopes over pywinrm's certificate transport."""
    c = simclient.Client(endpoint)
    c.protocol = winrm_protocol.Protocol(endpoint, transport="certificate", cert_pem=cert[0], cert_key_pem=cert[1],
                                         server_cert_validation="ignore", read_timeout_sec=30,
                                         operation_timeout_sec=20)
    return c


def wait_for(csim, mark, text):
    deadline = time.monotonic() + 5
    while text not in csim.log_since(mark):
        assert time.monotonic() < deadline, csim.log_since(mark)
        time.sleep(0.05)


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_mapped_certificate_is_its_user(csim, certs, who):
    mark = csim.mark()
    exercise(cert_client(csim.https, certs[who]))
    wait_for(csim, mark, "certificate %s@wmgw.test -> user %s" % (who, who))
    # The caller the namespace checks use is the mapped user.
    if who == "bob":
        wait_for(csim, mark, "wmsim: caller bob ")
    out = csim.log_since(mark)
    assert "-> user %s" % ("alice" if who == "bob" else "bob") not in out


@pytest.mark.parametrize("which,why", [
    ("rogue", "client certificate not accepted"),
    ("expired", "client certificate not accepted: certificate has expired"),
    ("stranger", "of stranger@wmgw.test: no --cert-map"),
    ("no-eku", "without the clientAuth extended key usage"),
])
def test_refused_certificates_get_401(csim, certs, which, why):
    mark = csim.mark()
    with pytest.raises(winrm_exceptions.InvalidCredentialsError):
        cert_client(csim.https, certs[which]).identify()
    wait_for(csim, mark, why)
    assert "-> user" not in csim.log_since(mark)


def test_header_without_certificate_or_over_http_is_401(csim):
    body = simclient.identify_envelope()
    h = {"Authorization": MUTUAL, "Content-Type": "application/soap+xml;charset=UTF-8"}
    mark = csim.mark()
    r = requests.post(csim.https, data=body, headers=h, verify=False, timeout=10)
    assert r.status_code == 401
    wait_for(csim, mark, "no client certificate")
    mark = csim.mark()
    r = requests.post(csim.host.endpoint, data=body, headers=h, timeout=10)
    assert r.status_code == 401
    wait_for(csim, mark, "certificate authentication over plain HTTP")
    # WinRM offers no challenge for certificates: only the usual ones.
    assert not any(MUTUAL in v for v in r.headers.get("WWW-Authenticate", "").split(","))


def test_other_schemes_still_work_on_the_certificate_listener(csim, certs):
    """Asking for a certificate does not demand one: Basic over HTTPS
    without a certificate, and Basic with one (the header decides)."""
    c = simclient.Client(csim.https)
    c.protocol = winrm_protocol.Protocol(csim.https, transport="plaintext", username=conftest.USER,
                                         password=conftest.PASSWORD, server_cert_validation="ignore",
                                         read_timeout_sec=30, operation_timeout_sec=20)
    exercise(c)
