"""
test_gateway_cert_auth.py: the gateway authenticating to WS-Management
hosts with a client certificate from the vault (WinRM certificate
authentication: gateway/vault_gw.c certificate_backend, the TLS client
context of translators/transport/tls.c, the mutual secprofile header of
http_client.c), end to end: a real wmgw in front of a real wmsim whose
HTTPS listener asks for client certificates (--client-ca) and maps their
UPN to users (--cert-map).

One wmsim, module scope, host CERT-01 (HTTP and HTTPS); mappings
alice@wmgw.test -> alice, bob@wmgw.test -> bob, carol@wmgw.test -> carol.
The gateway (its own principals `admin` and `oper`, as test_gateway_vault
writes them) has `certhost` (https, group certs, no account of its own)
and `plainhost` (the same host over http).  The simulator logs
"certificate UPN -> user USER" for every request a certificate
authenticated, so each gateway call shows who the host saw.

What is proved: a vault certificate credential mapped to `admin` reaches
the host as alice, another mapped to `oper` as bob, and calls alternating
between them on the same host never cross (pools keyed per credential),
and the host applies the mapped user's namespace security (dave, a plain
user there, gets its AccessDenied);
rotating the credential to carol's certificate switches the next call to
carol; the host refusing a certificate (another CA, no mapping, expired)
is a 502 problem whose detail names the host's 401; a certificate
credential on an http host, or on a host with auth = ntlm, is a 409 before
any connection (the host's request counter does not move), and so is a
password credential on a host with auth = certificate; POST /v1/hosts
refuses auth = certificate over http and takes it over https; neither the
private key nor the certificate PEM appear in any response or in the
gateway's logs.

    WMGW_BIN, WMSIM_BIN  the programs (default <repo>/build/...)
"""
import re
from pathlib import Path

import pytest

import conftest
import gwclient
from gwclient import CIMV2, assert_problem, inst_path
from test_gateway_vault import ADMIN_TOKEN, OPER_TOKEN, VAULT_KEY, security_sections
from test_sim_cert_auth import client_cert, pki, start_cert_sim

REC = []


def call(gw, method, path, token=ADMIN_TOKEN, body=None, **kw):
    h = dict(kw.pop("headers", {}), Authorization="Bearer " + token)
    r = gw.request(method, path, body=body, headers=h, **kw)
    REC.append(r.text + repr(dict(r.headers)))
    return r


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("gw-cert-pki")
    c = pki(d)
    c["carol"] = client_cert(d, "carol-cert", c["ca"], "carol@wmgw.test")
    c["dave"] = client_cert(d, "dave-cert", c["ca"], "dave@wmgw.test")
    c["dir"] = d
    return c


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, certs):
    s = start_cert_sim(tmp_path_factory.mktemp("wmsim-gw-cert"), certs,
                       ["alice@wmgw.test=alice", "bob@wmgw.test=bob", "carol@wmgw.test=carol", "dave@wmgw.test=dave"],
                       ["--user", "dave:Dave-Pw-1", "--user-sid", "dave=S-1-5-21-7-7-7-1104,BU"])
    yield s
    s.process.stop()


def tls_keys(fleet, certs):
    h = fleet.hosts[0]
    return [("address", h.address), ("port", fleet.https_port), ("protocol", "wsmv"), ("scheme", "https"),
            ("ca-file", str(certs["ca"][0])), ("tls-name", "localhost"), ("operation-timeout", "10s")]


@pytest.fixture(scope="module")
def gw(fleet, certs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gw-cert")
    h = fleet.hosts[0]
    hosts = {"certhost": tls_keys(fleet, certs) + [("groups", "certs")],
             "plainhost": [("address", h.address), ("port", h.port), ("protocol", "wsmv"), ("groups", "plain")]}
    g = gwclient.Gateway(tmp, "gw-cert", [("workers", "2"), ("access-log", str(tmp / "access.log"))], hosts,
                         env={"WMGW_VAULT_KEY": VAULT_KEY}, sections=security_sections(tmp / "vault.json"), auth=False)
    g.access_log = tmp / "access.log"
    g.start()
    yield g
    g.stop()


def add_cert(gw, cid, cert):
    r = call(gw, "POST", "/v1/credentials", body={"id": cid, "kind": "certificate",
                                                   "certificate": Path(cert[0]).read_text(),
                                                   "privateKey": Path(cert[1]).read_text()})
    assert r.status_code == 201, r.text
    return r


def map_to(gw, principal, group, cid):
    r = call(gw, "POST", "/v1/credential-mappings",
             body={"subjectType": "principal", "subject": principal, "hostGroup": group, "credential": cid})
    assert r.status_code == 201, r.text


class SimLog:
    def __init__(self, fleet):
        self.path = Path(fleet.process.log_path)
        self.at = 0

    def new(self):
        """The simulator's certificate users since the last call."""
        text = self.path.read_text(errors="replace")
        out, self.at = text[self.at:], len(text)
        return out, re.findall(r"wmsim: certificate \S+ -> user (\S+)", out)


def https_host(fleet, certs, **kw):
    """A POST /v1/hosts body for CERT-01 over https."""
    return dict({"address": fleet.hosts[0].address, "port": fleet.https_port, "protocol": "wsmv", "scheme": "https",
                 "caFile": str(certs["ca"][0]), "tlsName": "localhost"}, **kw)


def get_winrm(gw, host, token=ADMIN_TOKEN):
    return call(gw, "GET", inst_path(host, CIMV2, "Win32_Service", Name="WinRM"), token=token,
                params={"fresh": "1"})


def requests_seen(fleet):
    return fleet.control.host("CERT-01")["counters"]["requests"]


def test_vault_certificates_are_their_users_and_never_mix(gw, fleet, certs):
    add_cert(gw, "cert-a", certs["alice"])
    add_cert(gw, "cert-b", certs["bob"])
    map_to(gw, "admin", "certs", "cert-a")
    map_to(gw, "oper", "certs", "cert-b")
    log = SimLog(fleet)
    log.new()
    for token, user in [(ADMIN_TOKEN, "alice"), (OPER_TOKEN, "bob"), (ADMIN_TOKEN, "alice"), (OPER_TOKEN, "bob"),
                        (OPER_TOKEN, "bob"), (ADMIN_TOKEN, "alice")]:
        r = get_winrm(gw, "certhost", token)
        assert r.status_code == 200, r.text
        assert r.json()["Name"] == "WinRM"
        fleet.process.log.flush()
        _, users = log.new()
        assert users and set(users) == {user}, (user, users)
    # Reads through the cache work for both (its keys name the credential
    # and its version, gateway/cache_listing.c).
    for token in (ADMIN_TOKEN, OPER_TOKEN, ADMIN_TOKEN, OPER_TOKEN):
        r = call(gw, "GET", inst_path("certhost", CIMV2, "Win32_Service", Name="WinRM"), token=token)
        assert r.status_code == 200 and r.json()["Name"] == "WinRM", r.text


def test_namespace_security_is_the_mapped_users(gw, fleet, certs):
    """dave is a plain user on the host (no access to root/cimv2): a host
    whose vault certificate is dave's gets the host's AccessDenied (403),
    while the same read as alice worked above."""
    add_cert(gw, "cert-dave", certs["dave"])
    r = call(gw, "POST", "/v1/hosts", body=https_host(fleet, certs, name="dave-host", vaultCredential="cert-dave"))
    assert r.status_code == 201, r.text
    log = SimLog(fleet)
    log.new()
    try:
        p = assert_problem(get_winrm(gw, "dave-host"), 403)
        assert p["backend"]["faultSubcode"] == "w:AccessDenied", p
        assert set(log.new()[1]) == {"dave"}
    finally:
        assert call(gw, "DELETE", "/v1/hosts/dave-host").status_code == 204


def test_rotation_switches_the_identity(gw, fleet, certs):
    log = SimLog(fleet)
    log.new()
    assert get_winrm(gw, "certhost").status_code == 200
    assert set(log.new()[1]) == {"alice"}
    r = call(gw, "PUT", "/v1/credentials/cert-a", body={"certificate": Path(certs["carol"][0]).read_text(),
                                                        "privateKey": Path(certs["carol"][1]).read_text()})
    assert r.status_code == 200, r.text
    assert get_winrm(gw, "certhost").status_code == 200
    assert set(log.new()[1]) == {"carol"}
    # The other principal's credential did not move.
    assert get_winrm(gw, "certhost", OPER_TOKEN).status_code == 200
    assert set(log.new()[1]) == {"bob"}


@pytest.mark.parametrize("which,why", [
    ("rogue", "client certificate not accepted"),
    ("stranger", "no --cert-map"),
    ("expired", "certificate has expired"),
])
def test_refused_certificate_is_a_clear_problem(gw, fleet, certs, which, why):
    cid = "cert-" + which
    add_cert(gw, cid, certs[which])
    name = "refused-" + which
    r = call(gw, "POST", "/v1/hosts", body=dict(https_host(fleet, certs), name=name, vaultCredential=cid))
    assert r.status_code == 201, r.text
    log = SimLog(fleet)
    log.new()
    try:
        p = assert_problem(get_winrm(gw, name), 502)
        assert "401" in p["detail"] and p["host"] == name, p
        assert p["backend"]["httpStatus"] == 401, p
        fleet.process.log.flush()
        text, users = log.new()
        assert why in text and not users, text[-2000:]
    finally:
        assert call(gw, "DELETE", "/v1/hosts/" + name).status_code == 204


def refused_unsent(gw, fleet, host, why):
    """A read on host is a 409 whose detail says why, and the simulator
    saw no request for it."""
    before = requests_seen(fleet)
    p = assert_problem(get_winrm(gw, host), 409)
    assert why in p["detail"], p
    assert requests_seen(fleet) == before
    return p


def test_certificate_over_http_is_refused_before_any_connection(gw, fleet, certs):
    map_to(gw, "admin", "plain", "cert-b")
    p = refused_unsent(gw, fleet, "plainhost", "cert-b is a certificate")
    assert "https" in p["detail"], p
    # auth = certificate on an http host is refused when the host is added.
    h = fleet.hosts[0]
    r = call(gw, "POST", "/v1/hosts", body={"name": "api-cert-http", "address": h.address, "port": h.port,
                                            "protocol": "wsmv", "auth": "certificate", "vaultCredential": "cert-b"})
    p = assert_problem(r, 400)
    assert "certificate" in p["detail"] and "https" in p["detail"], p
    # A certificate credential on a host that wants NTLM: 409, no connection.
    r = call(gw, "POST", "/v1/hosts", body=https_host(fleet, certs, name="api-cert-ntlm", auth="ntlm", domain="WMSIM",
                                                      vaultCredential="cert-b"))
    assert r.status_code == 201, r.text
    try:
        refused_unsent(gw, fleet, "api-cert-ntlm", "auth = ntlm")
    finally:
        call(gw, "DELETE", "/v1/hosts/api-cert-ntlm")
    # Over https, auth = certificate is taken and works.
    r = call(gw, "POST", "/v1/hosts", body=https_host(fleet, certs, name="api-cert", auth="certificate",
                                                      vaultCredential="cert-b"))
    assert r.status_code == 201, r.text
    try:
        assert get_winrm(gw, "api-cert").status_code == 200
        # ... and a password credential there is refused, unsent.
        r = call(gw, "POST", "/v1/credentials", body={"id": "pw-x", "kind": "password", "user": "alice",
                                                       "password": conftest.PASSWORD})
        assert r.status_code == 201, r.text
        r = call(gw, "PUT", "/v1/hosts/api-cert", body=https_host(fleet, certs, auth="certificate",
                                                                  vaultCredential="pw-x"))
        assert r.status_code in (200, 201), r.text
        refused_unsent(gw, fleet, "api-cert", "pw-x is a password")
    finally:
        call(gw, "DELETE", "/v1/hosts/api-cert")


def pem_body(path):
    """The base64 lines of a PEM file, joined: what a leak would carry."""
    return "".join(l for l in Path(path).read_text().splitlines() if l and not l.startswith("-----"))


def test_key_and_pem_never_leave(gw, certs):
    r = call(gw, "GET", "/v1/credentials/cert-a")
    assert r.status_code == 200 and r.json().get("kind") == "certificate", r.text
    call(gw, "GET", "/v1/credentials")
    texts = REC + [gw.log_text(), Path(gw.access_log).read_text(errors="replace")]
    for name in ("alice", "bob", "carol", "dave", "rogue", "stranger", "expired"):
        key, pem = pem_body(certs[name][1]), pem_body(certs[name][0])
        for t in texts:
            flat = t.replace("\\n", "").replace("\n", "")
            assert key[20:80] not in flat, name
            assert pem[40:100] not in flat, name
