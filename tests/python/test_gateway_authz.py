"""
Central security of the gateway, end to end: callers authenticated by a
bearer token, HTTP Basic, Negotiate (Kerberos against a real MIT KDC,
tests/kdc/start) and TLS client certificates, and every host operation authorized by the SDDL policy
of (host, namespace) before any backend call.

The gateway here writes its own [security], [principal] and [policy]
sections (not gwclient's allow-all administrator).  Several gateway hosts
point at the same simulated host, one per policy shape (allow/deny, ACE
order, group membership, NULL DACL, empty DACL, host group, none), so the
matrix principals x operations x descriptors runs against one backend
whose request counter proves that a refused call sent nothing.

Run: /usr/bin/python3 -m pytest tests/python/test_gateway_authz.py
"""
import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

import gwclient
from conftest import PASSWORD, USER
from gwclient import CIMV2, assert_problem, class_path, inst_path

REPO = Path(__file__).resolve().parents[2]
DOM = "S-1-5-21-7-7-7"
OPERATORS = DOM + "-2001"  # a group: reader and denied are members
DENY_GROUP = DOM + "-2002"  # a group denied everything on h-main
SIDS = {"admin": DOM + "-500", "reader": DOM + "-1001", "writer": DOM + "-1002", "runner": DOM + "-1003",
        "denied": DOM + "-1004", "nobody": DOM + "-1005", "krb": DOM + "-1006", "victim": DOM + "-1007"}
GROUPS = {"admin": "BA", "reader": OPERATORS, "denied": "%s, %s" % (OPERATORS, DENY_GROUP)}
# Passwords planted for Basic: they must never come back in a log or answer.
PASSWORDS = {"reader": "Planted-Reader-Pw-7f3a", "admin": "Planted-Admin-Pw-91c2", "victim": "Planted-Victim-Pw-5d0e"}
KRB_HOST = "web01"  # tests/kdc/start makes HTTP/web01.wmgw.test

# Policies in match order: which descriptor protects which gateway host.
POLICIES = [
    ("main", "h-main", "D:(D;;GA;;;%s)(A;;GA;;;BA)(A;;GR;;;%s)(A;;GRGW;;;%s)(A;;GRGX;;;%s)"
     % (DENY_GROUP, OPERATORS, SIDS["writer"], SIDS["runner"])),
    ("order", "h-order", "D:(A;;GA;;;%s)(D;;GA;;;%s)" % (OPERATORS, DENY_GROUP)),
    ("null", "h-null", "D:NO_ACCESS_CONTROL"),
    ("empty", "h-empty", "D:"),
    ("bygroup", "group:prod", "D:(A;;GR;;;%s)" % OPERATORS),
]
HOSTS = ["h-main", "h-order", "h-null", "h-empty", "h-prod", "h-none"]
OPS = ["read", "query", "write", "method"]

# Expected: A = allowed (passes the gateway and reaches the host), D = 403.
ALL_A, ALL_D = dict.fromkeys(OPS, "A"), dict.fromkeys(OPS, "D")
EXPECT = {
    "h-main": {
        "admin": ALL_A,
        "reader": {"read": "A", "query": "A", "write": "D", "method": "D"},
        "writer": {"read": "A", "query": "A", "write": "A", "method": "D"},
        "runner": {"read": "A", "query": "A", "write": "D", "method": "A"},
        "denied": ALL_D,  # the deny ACE comes first
        "nobody": ALL_D,
    },
    "h-order": {  # allow before deny: the group allow wins; BA is not named
        "admin": ALL_D, "reader": ALL_A, "writer": ALL_D, "runner": ALL_D, "denied": ALL_A, "nobody": ALL_D,
    },
    "h-null": {p: ALL_A for p in ["admin", "reader", "writer", "runner", "denied", "nobody"]},
    "h-empty": {p: ALL_D for p in ["admin", "reader", "writer", "runner", "denied", "nobody"]},
    "h-prod": {
        "admin": ALL_D, "reader": {"read": "A", "query": "A", "write": "D", "method": "D"},
        "writer": ALL_D, "runner": ALL_D, "denied": {"read": "A", "query": "A", "write": "D", "method": "D"},
        "nobody": ALL_D,
    },
    "h-none": {p: ALL_D for p in ["admin", "reader", "writer", "runner", "denied", "nobody"]},
}


def hash_password(pw):
    r = subprocess.run([gwclient.WMGW, "--hash-password"], input=pw + "\n", capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip()
    assert line.startswith("password-hash = $scrypt$"), line
    assert pw not in r.stdout and pw not in r.stderr
    return line.split(" = ", 1)[1]


@pytest.fixture(scope="module")
def kdc(tmp_path_factory):
    if not shutil.which("krb5kdc") and not os.path.exists("/usr/sbin/krb5kdc"):
        pytest.fail("krb5kdc is not installed (apt-get install krb5-kdc krb5-admin-server)")
    d = tmp_path_factory.mktemp("kdc")
    out = subprocess.run([str(REPO / "tests" / "kdc" / "start"), str(d), KRB_HOST], check=True,
                         capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        name, _, value = line[len("export "):].partition("=")
        env[name] = value.strip("'")
    env["ccache"] = "FILE:%s" % (d / "client.ccache")
    # bob's tickets, from his keytab, in a private ccache.
    subprocess.run(["kinit", "-k", "-t", env["WMGW_KDC_BOB_KEYTAB"], env["WMGW_KDC_BOB"]], check=True,
                   env=dict(os.environ, KRB5_CONFIG=env["KRB5_CONFIG"], KRB5CCNAME=env["ccache"]))
    yield env
    subprocess.run([str(REPO / "tests" / "kdc" / "stop"), str(d)], capture_output=True)


class Fleet:
    def __init__(self, gw, sim, tokens):
        self.gw, self.sim, self.tokens = gw, sim, tokens
        self.backend = sim.hosts[0].name

    def requests_to_backend(self):
        return self.sim.control.host(self.backend)["counters"]["requests"]

    def call(self, who, method, path, **kw):
        h = dict(kw.pop("headers", {}))
        h["Authorization"] = "Bearer " + self.tokens[who] if who else None
        return self.gw.request(method, path, headers=h, **kw)


@pytest.fixture(scope="module")
def fleet(sim, kdc, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gw-authz")
    tokens, sections = {}, {"security": [("keytab", kdc["WMGW_KDC_HTTP_KEYTAB"])]}
    for name, sid in SIDS.items():
        tok, h = gwclient.new_token()
        tokens[name] = tok
        kv = [("sid", sid), ("token-hash", h)]
        if name in GROUPS:
            kv.append(("groups", GROUPS[name]))
        if name in PASSWORDS:
            kv.append(("password-hash", hash_password(PASSWORDS[name])))
        if name == "krb":
            kv.append(("kerberos", kdc["WMGW_KDC_BOB"]))
        sections["principal " + name] = kv
    for name, hosts, sddl in POLICIES:
        sections["policy " + name] = [("hosts", hosts), ("namespaces", "root/cimv2, root/test*"), ("sddl", sddl)]
    odd = sim.hosts[0]
    hosts = {h: gwclient.sim_host_keys(odd, USER, PASSWORD, groups="prod" if h == "h-prod" else "lab")
             for h in HOSTS}
    env = {"KRB5_CONFIG": kdc["KRB5_CONFIG"], "KRB5RCACHEDIR": kdc["KRB5RCACHEDIR"]}
    g = gwclient.Gateway(tmp, "gw-authz", [("workers", "2"), ("access-log", "-")], hosts, sections=sections,
                         auth=False, env=env).start()
    yield Fleet(g, sim, tokens)
    g.stop()


def op_request(op, host, tag="x"):
    """(method, path, body) of one operation class on host, namespace root/cimv2.
    Write and method target an instance that does not exist, so an allowed
    call reaches the host and changes nothing there; the query differs by
    tag, so that no answer cache stands in for the host."""
    if op == "read":
        return "GET", inst_path(host, CIMV2, "Win32_Service", Name="WinRM"), None
    if op == "query":
        return "POST", "/v1/hosts/%s/query" % host, {
            "namespace": CIMV2, "query": "SELECT Name FROM Win32_Service WHERE Name <> '%s'" % tag}
    if op == "write":
        return "DELETE", inst_path(host, CIMV2, "Win32_Service", Name="NoSuchService-authz"), None
    if op == "method":
        return ("POST", inst_path(host, CIMV2, "Win32_Service", Name="NoSuchService-authz") + "/methods/StopService",
                None)
    raise AssertionError(op)


@pytest.fixture(scope="module")
def baseline(fleet):
    """What each operation answers when nothing refuses it (the NULL DACL
    host, as the administrator): what an allowed cell must answer."""
    out = {}
    for op in OPS:
        m, p, b = op_request(op, "h-null")
        r = fleet.call("admin", m, p, body=b)
        assert r.status_code not in (401, 403), (op, r.status_code, r.text)
        out[op] = r.status_code
    assert out["read"] == 200 and out["query"] == 200
    return out


# --- the matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_matrix(fleet, baseline, host):
    problems = []
    for who, row in EXPECT[host].items():
        for op in OPS:
            m, p, b = op_request(op, host, "%s-%s" % (who, host))
            before = fleet.requests_to_backend()
            r = fleet.call(who, m, p, body=b)
            after = fleet.requests_to_backend()
            if row[op] == "D":
                if r.status_code != 403:
                    problems.append("%s %s on %s: %d, want 403" % (who, op, host, r.status_code))
                    continue
                body = assert_problem(r, 403, "forbidden")
                if after != before:
                    problems.append("%s %s on %s: refused but %d backend requests" % (who, op, host, after - before))
                if who in body["detail"] or fleet.tokens[who] in r.text:
                    problems.append("%s %s on %s: 403 names the caller's secret" % (who, op, host))
            elif r.status_code != baseline[op]:
                problems.append("%s %s on %s: %d, want %d (%s)" % (who, op, host, r.status_code, baseline[op],
                                                                     r.text[:200]))
            elif op in ("query", "write", "method") and after == before:
                problems.append("%s %s on %s: allowed but never reached the host" % (who, op, host))
    assert not problems, "\n".join(problems)


def test_cached_answers_are_authorized(fleet):
    """An answer the administrator made the gateway cache is no answer for
    a caller the policy refuses."""
    for op in ("read", "query"):
        m, p, b = op_request(op, "h-main", "cached")
        assert fleet.call("admin", m, p, body=b).status_code == 200
        before = fleet.requests_to_backend()
        for who in ("nobody", "denied"):
            assert_problem(fleet.call(who, m, p, body=b), 403, "forbidden")
        assert fleet.call("reader", m, p, body=b).status_code == 200
        assert_problem(fleet.call(None, m, p, body=b), 401, "unauthenticated")
        assert fleet.requests_to_backend() - before <= 1  # at most the reader's, if not cached


def test_namespace_patterns(fleet):
    # h-main's policy covers root/cimv2 and root/test*; any other namespace
    # matches no policy: refused even for the administrator.
    before = fleet.requests_to_backend()
    r = fleet.call("admin", "GET", class_path("h-main", "root/other", "Win32_Service"))
    body = assert_problem(r, 403, "forbidden")
    assert "no policy" in body["detail"]
    r = fleet.call("admin", "POST", "/v1/hosts/h-main/query", body={"namespace": "root/other", "query": "SELECT * FROM X"})
    assert_problem(r, 403, "forbidden")
    assert fleet.requests_to_backend() == before
    assert fleet.call("admin", "GET", class_path("h-main", "ROOT/CIMV2", "Win32_Service")).status_code == 200


# --- authentication ----------------------------------------------------------------------


def test_401_without_credentials(fleet):
    before = fleet.requests_to_backend()
    for m, p in [("GET", "/v1/hosts"), ("GET", "/v1/whoami"), ("GET", inst_path("h-null", CIMV2, "Win32_Service",
                                                                                 Name="WinRM")),
                 ("GET", "/v1/policies")]:
        r = fleet.call(None, m, p)
        body = assert_problem(r, 401, "unauthenticated")
        schemes = [v.strip().split(" ")[0] for v in r.headers.get("WWW-Authenticate", "").split(", ")
                   if v.strip() and "=" not in v.strip().split(" ")[0]]
        www = r.headers.get("WWW-Authenticate", "")
        assert "Bearer" in www and "Basic" in www and "Negotiate" in www, www
        assert body["detail"]
        assert schemes
    # Public routes need nothing.
    for p in ["/healthz", "/readyz", "/openapi.json"]:
        assert fleet.call(None, "GET", p).status_code == 200
    assert fleet.requests_to_backend() == before


def test_401_bad_credentials(fleet):
    good = fleet.tokens["admin"]
    bad_token = gwclient.new_token()[0]
    for header in ["Bearer " + bad_token, "Bearer " + good[:-1], "Bearer " + good + "x", "Bearer", "bearer  ",
                   "Basic " + base64.b64encode(b"reader:wrong").decode(),
                   "Basic " + base64.b64encode(b"ghost:" + PASSWORDS["reader"].encode()).decode(),
                   "Basic " + base64.b64encode(b"writer:anything").decode(),  # no password configured
                   "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Digest abc", "Negotiate AAAA",
                   "Negotiate", "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==", ""]:
        r = fleet.gw.request("GET", "/v1/whoami", headers={"Authorization": header})
        body = assert_problem(r, 401, "unauthenticated")
        assert good not in r.text and PASSWORDS["reader"] not in r.text
        assert bad_token not in body["detail"]


def test_bearer_whoami(fleet):
    r = fleet.call("reader", "GET", "/v1/whoami")
    assert r.status_code == 200, r.text
    w = r.json()
    assert w["principal"] == "reader" and w["scheme"] == "bearer" and w["sid"] == SIDS["reader"]
    # Configured groups and the implicit ones: Everyone, Authenticated Users, Network.
    assert set(w["groups"]) == {OPERATORS, "S-1-1-0", "S-1-5-11", "S-1-5-2"}
    assert w["admin"] is False
    by = {p["name"]: p for p in w["policies"]}
    assert [p["name"] for p in w["policies"]] == [p[0] for p in POLICIES]
    # GR maps to enable, remote enable, subscribe and read control (auth/wmi_rights.h).
    assert by["main"]["rights"] == ["read", "security-read", "subscribe"]
    assert "write" in by["order"]["rights"] and "method" in by["order"]["rights"]
    assert by["empty"]["rights"] == [] and by["empty"]["granted"] == "0x00000000"
    assert set(by["null"]["rights"]) >= {"read", "write", "method", "subscribe"}
    assert by["bygroup"]["rights"] == ["read", "security-read", "subscribe"]
    assert fleet.tokens["reader"] not in r.text
    a = fleet.call("admin", "GET", "/v1/whoami").json()
    assert a["admin"] is True and "S-1-5-32-544" in a["groups"]
    assert {"read", "write", "method", "security-read", "security-write"} <= set(
        {p["name"]: p for p in a["policies"]}["main"]["rights"])


def test_basic(fleet):
    cred = base64.b64encode(("reader:" + PASSWORDS["reader"]).encode()).decode()
    for _ in range(5):  # the verification cache answers after the first (no KDF per request)
        r = fleet.gw.request("GET", "/v1/whoami", headers={"Authorization": "Basic " + cred})
        assert r.status_code == 200, r.text
        assert r.json()["principal"] == "reader" and r.json()["scheme"] == "basic"
    # Basic carries the same rights as the principal's token.
    m, p, b = op_request("write", "h-main")
    assert_problem(fleet.gw.request(m, p, headers={"Authorization": "Basic " + cred}), 403, "forbidden")
    m, p, b = op_request("read", "h-main")
    assert fleet.gw.request(m, p, headers={"Authorization": "Basic " + cred}).status_code == 200
    # The scheme name is case-insensitive (RFC 9110).
    assert fleet.gw.request("GET", "/v1/whoami", headers={"Authorization": "bAsIc " + cred}).status_code == 200


def test_basic_guessing_is_braked(fleet):
    """5 wrong passwords for one user within 30 s lock its Basic logins
    (even the right password) for the rest of the window; others are not
    affected, nor the user's token."""
    def basic(user, pw):
        cred = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
        return fleet.gw.request("GET", "/v1/whoami", headers={"Authorization": "Basic " + cred})

    for i in range(5):
        p = assert_problem(basic("victim", "guess-%d" % i), 401, "unauthenticated")
        assert "too many" not in p["detail"]
    p = assert_problem(basic("victim", PASSWORDS["victim"]), 401, "unauthenticated")
    assert "too many" in p["detail"]
    assert basic("reader", PASSWORDS["reader"]).status_code == 200
    assert fleet.call("victim", "GET", "/v1/whoami").status_code == 200


def test_negotiate_kerberos(fleet, kdc):
    import gssapi
    os.environ["KRB5_CONFIG"] = kdc["KRB5_CONFIG"]
    try:
        creds = gssapi.Credentials(usage="initiate", store={"ccache": kdc["ccache"]})
        name = gssapi.Name("HTTP@%s.wmgw.test" % KRB_HOST, gssapi.NameType.hostbased_service)
        spnego = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
        for mech in (spnego, gssapi.MechType.kerberos):
            ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=mech, creds=creds,
                                         flags=gssapi.RequirementFlag.mutual_authentication)
            tok = ctx.step()
            r = fleet.gw.request("GET", "/v1/whoami",
                                 headers={"Authorization": "Negotiate " + base64.b64encode(tok).decode()})
            assert r.status_code == 200, r.text
            w = r.json()
            assert w["principal"] == "krb" and w["scheme"] == "negotiate" and w["sid"] == SIDS["krb"]
            # Mutual authentication: the acceptor's answer completes our context.
            www = r.headers.get("WWW-Authenticate", "")
            assert www.startswith("Negotiate "), www
            ctx.step(base64.b64decode(www.split(" ", 1)[1]))
            assert ctx.complete
        # The same token again is a replay: refused.
        r2 = fleet.gw.request("GET", "/v1/whoami",
                              headers={"Authorization": "Negotiate " + base64.b64encode(tok).decode()})
        assert_problem(r2, 401, "unauthenticated")
        # krb has no policy rights beyond the NULL DACL host.
        ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.MechType.kerberos, creds=creds)
        m, p, b = op_request("read", "h-main")
        r = fleet.gw.request(m, p, headers={"Authorization": "Negotiate " + base64.b64encode(ctx.step()).decode()})
        assert_problem(r, 403, "forbidden")
    finally:
        os.environ.pop("KRB5_CONFIG", None)


# --- TLS client certificates -----------------------------------------------------------------


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", "/CN=%s" % name,
            "-keyout", str(d / (name + ".key")), "-out", str(d / (name + ".pem")))
    return d / (name + ".pem"), d / (name + ".key")


def make_cert(d, name, subj, ca, san=None):
    key, csr, pem = d / (name + ".key"), d / (name + ".csr"), d / (name + ".pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", subj, "-keyout", str(key), "-out", str(csr))
    ext = d / (name + ".ext")
    ext.write_text("subjectAltName = %s\n" % san if san else "basicConstraints = CA:FALSE\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial", "-days", "2",
            "-sha256", "-extfile", str(ext), "-out", str(pem))
    return str(pem), str(key)


@pytest.fixture(scope="module")
def tls_fleet(sim, tmp_path_factory):
    d = tmp_path_factory.mktemp("authz-pki")
    ca, rogue = make_ca(d, "client-ca"), make_ca(d, "rogue-ca")
    server = make_cert(d, "server", "/CN=localhost", ca, "DNS:localhost,IP:127.0.0.1")
    certs = {"dn": make_cert(d, "dn", "/O=wmgw test/CN=cert-user", ca),
             "san": make_cert(d, "san", "/CN=whoever", ca, "email:san-user@wmgw.test"),
             "unmapped": make_cert(d, "unmapped", "/CN=stranger", ca),
             "rogue": make_cert(d, "rogue", "/O=wmgw test/CN=cert-user", rogue)}
    tok, h = gwclient.new_token()
    sections = {
        "security": [("client-ca", str(ca[0]))],
        "principal certuser": [("sid", DOM + "-1101"), ("groups", OPERATORS), ("certificate", "CN=cert-user,O=wmgw test")],
        "principal sanuser": [("sid", DOM + "-1102"), ("certificate", "san-user@wmgw.test")],
        "principal tokenuser": [("sid", DOM + "-1103"), ("token-hash", h)],
        "policy main": [("hosts", "h-main"), ("sddl", "D:(A;;GR;;;%s)" % OPERATORS)],
    }
    tls_port = gwclient.free_port()
    g = gwclient.Gateway(tmp_path_factory.mktemp("gw-authz-tls"), "gw-authz-tls",
                         [("listen", "127.0.0.1:%d tls" % tls_port), ("tls-cert", server[0]), ("tls-key", server[1]),
                          ("workers", "1"), ("access-log", "off")],
                         {"h-main": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD)}, sections=sections,
                         auth=False, tls_port=tls_port).start()
    gwclient.wait_listening("127.0.0.1", tls_port, g.proc, g.log_path)
    yield g, "https://127.0.0.1:%d" % tls_port, certs, tok, str(ca[0])
    g.stop()


def test_client_certificate(tls_fleet):
    g, base, certs, tok, ca = tls_fleet

    def get(path, cert=None, headers=None):
        return requests.get(base + path, cert=cert, headers=headers, verify=ca, timeout=10)

    r = get("/v1/whoami", certs["dn"])
    assert r.status_code == 200, r.text
    w = r.json()
    assert w["principal"] == "certuser" and w["scheme"] == "certificate" and OPERATORS in w["groups"]
    assert get(inst_path("h-main", CIMV2, "Win32_Service", Name="WinRM"), certs["dn"]).status_code == 200
    m, p, b = op_request("write", "h-main")
    assert_problem(requests.request(m, base + p, cert=certs["dn"], verify=ca, timeout=10), 403, "forbidden")
    # By subjectAltName (e-mail); no policy grants it anything.
    r = get("/v1/whoami", certs["san"])
    assert r.status_code == 200 and r.json()["principal"] == "sanuser", r.text
    assert_problem(get(inst_path("h-main", CIMV2, "Win32_Service", Name="WinRM"), certs["san"]), 403, "forbidden")
    # A certificate of the right CA that maps to no one, and none at all: 401.
    assert_problem(get("/v1/whoami", certs["unmapped"]), 401, "unauthenticated")
    assert_problem(get("/v1/whoami"), 401, "unauthenticated")
    # The same subject from another CA does not get through the handshake
    # (with TLS 1.3 the client learns it as the connection closing).
    with pytest.raises(requests.exceptions.ConnectionError):
        get("/v1/whoami", certs["rogue"])
    # A token still works on the same listener, and an Authorization header
    # speaks for the call even when a certificate is presented.
    r = get("/v1/whoami", certs["dn"], {"Authorization": "Bearer " + tok})
    assert r.status_code == 200 and r.json()["principal"] == "tokenuser", r.text


# --- the admin API ---------------------------------------------------------------------------


def test_policies_api_is_guarded(fleet):
    before = fleet.requests_to_backend()
    for who in ["reader", "writer", "denied", "nobody", "krb"]:
        assert_problem(fleet.call(who, "GET", "/v1/policies"), 403, "forbidden")
        assert_problem(fleet.call(who, "GET", "/v1/policies/main"), 403, "forbidden")
        assert_problem(fleet.call(who, "PUT", "/v1/policies/evil", body={"sddl": "D:NO_ACCESS_CONTROL"}), 403,
                       "forbidden")
        assert_problem(fleet.call(who, "DELETE", "/v1/policies/main"), 403, "forbidden")
    assert_problem(fleet.call(None, "GET", "/v1/policies"), 401, "unauthenticated")
    # Nothing changed.
    names = [p["name"] for p in fleet.call("admin", "GET", "/v1/policies").json()]
    assert names == [p[0] for p in POLICIES]
    assert fleet.requests_to_backend() == before


def test_policies_api(fleet):
    r = fleet.call("admin", "GET", "/v1/policies")
    assert r.status_code == 200
    main = r.json()[0]
    assert main["name"] == "main" and main["hosts"] == ["h-main"] and main["namespaces"] == ["root/cimv2", "root/test*"]
    assert main["sddl"].startswith("D:(D;;GA;;;%s)(A;;GA;;;BA)" % DENY_GROUP)
    assert fleet.call("admin", "GET", "/v1/policies/null").json()["sddl"] == "D:NO_ACCESS_CONTROL"
    assert_problem(fleet.call("admin", "GET", "/v1/policies/nope"), 404, "not-found")
    # Invalid SDDL: 400 with its position; nothing stored.
    r = fleet.call("admin", "PUT", "/v1/policies/bad", body={"hosts": ["h-none"], "sddl": "D:(A;;GR;;;XX)"})
    body = assert_problem(r, 400, "bad-request")
    assert "position" in body, body
    assert_problem(fleet.call("admin", "PUT", "/v1/policies/bad", body={"hosts": "h-none", "sddl": "D:"}), 400)
    assert_problem(fleet.call("admin", "PUT", "/v1/policies/bad%20name", body={"sddl": "D:"}), 400)
    assert_problem(fleet.call("admin", "GET", "/v1/policies/bad"), 404)
    # Grant the reader read on h-none: it takes effect at once, goes last.
    m, p, b = op_request("read", "h-none")
    assert_problem(fleet.call("reader", m, p), 403, "forbidden")
    r = fleet.call("admin", "PUT", "/v1/policies/late",
                   body={"hosts": ["h-none"], "namespaces": ["root\\cimv2"], "sddl": "D:(A;;GR;;;%s)" % OPERATORS})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/v1/policies/late"
    assert r.json()["namespaces"] == ["root/cimv2"]
    assert fleet.call("reader", m, p).status_code == 200
    assert_problem(fleet.call("writer", m, p), 403, "forbidden")
    names = [x["name"] for x in fleet.call("admin", "GET", "/v1/policies").json()]
    assert names == [x[0] for x in POLICIES] + ["late"]
    # Replace in place: now the writer reads too, the reader no longer.
    r = fleet.call("admin", "PUT", "/v1/policies/late",
                   body={"name": "late", "hosts": ["h-none"], "sddl": "D:(A;;GR;;;%s)" % SIDS["writer"]})
    assert r.status_code == 200, r.text
    assert fleet.call("writer", m, p).status_code == 200
    assert_problem(fleet.call("reader", m, p), 403, "forbidden")
    assert fleet.call("admin", "DELETE", "/v1/policies/late").status_code == 204
    assert_problem(fleet.call("writer", m, p), 403, "forbidden")
    assert_problem(fleet.call("admin", "DELETE", "/v1/policies/late"), 404)


def test_policy_file_keeps_changes(sim, tmp_path):
    """With [security] policy-file, what the admin API changes survives a restart."""
    tok, h = gwclient.new_token()
    pfile = tmp_path / "policies.json"
    sections = {"security": [("policy-file", str(pfile))],
                "principal boss": [("sid", DOM + "-500"), ("groups", "BA"), ("token-hash", h)],
                "policy configured": [("sddl", "D:(A;;GA;;;BA)")]}
    auth = {"Authorization": "Bearer " + tok}

    def start():
        return gwclient.Gateway(tmp_path, "gw-pfile", [("workers", "1"), ("access-log", "off")],
                                {"h1": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD)}, sections=sections,
                                auth=False).start()

    g = start()
    try:
        assert not pfile.exists()
        r = g.put("/v1/policies/added", body={"hosts": ["h*"], "sddl": "D:(A;;GR;;;AU)"}, headers=auth)
        assert r.status_code == 201, r.text
        assert [p["name"] for p in json.loads(pfile.read_text())] == ["configured", "added"]
        assert g.delete("/v1/policies/configured", headers=auth).status_code == 204
    finally:
        g.stop()
    g = start()
    try:
        r = g.get("/v1/policies", headers=auth)
        assert [(p["name"], p["hosts"], p["sddl"]) for p in r.json()] == [("added", ["h*"], "D:(A;;GR;;;AU)")]
    finally:
        g.stop()
    # A broken file stops the start, naming it.
    pfile.write_text('[{"name": "x", "sddl": "D:(A;;GR;;;QQ)"}]')
    g = gwclient.Gateway(tmp_path, "gw-pfile2", [("workers", "1")], {}, sections=sections, auth=False)
    with pytest.raises(RuntimeError) as e:
        g.start()
    assert "policies.json" in str(e.value)


def test_host_administration_is_admin_only(fleet):
    body = {"address": "127.0.0.1", "port": 1, "protocol": "wsmv", "credential": {"user": "u", "password": "p"}}
    assert_problem(fleet.call("reader", "PUT", "/v1/hosts/h-new", body=body), 403, "forbidden")
    assert_problem(fleet.call("reader", "DELETE", "/v1/hosts/h-main"), 403, "forbidden")
    assert fleet.call("reader", "GET", "/v1/hosts").status_code == 200  # authenticated


def test_host_list_shows_what_the_caller_may_read(fleet):
    """GET /v1/hosts lists every host to an administrator and, to anyone
    else, the hosts whose root/cimv2 a policy lets them read."""
    def names(who):
        r = fleet.call(who, "GET", "/v1/hosts")
        assert r.status_code == 200, r.text
        return sorted(h["name"] for h in r.json()["items"])
    assert names("admin") == sorted(HOSTS)
    for who in ("reader", "nobody", "denied"):
        want = sorted(h for h in HOSTS if EXPECT[h][who]["read"] == "A")
        assert names(who) == want, who


def test_probing_a_host_is_a_read(fleet):
    """GET /v1/hosts/{host}?probe=true asks the host (Identify): only for a
    caller some policy lets read it, and a refusal never reaches the host."""
    before = fleet.requests_to_backend()
    assert_problem(fleet.call("nobody", "GET", "/v1/hosts/h-main?probe=true"), 403, "forbidden")
    assert_problem(fleet.call("reader", "GET", "/v1/hosts/h-empty?probe=true"), 403, "forbidden")
    assert fleet.requests_to_backend() == before
    r = fleet.call("reader", "GET", "/v1/hosts/h-main?probe=true")
    assert r.status_code == 200, r.text
    assert fleet.requests_to_backend() > before


# --- secrets ------------------------------------------------------------------------------


def test_secrets_never_logged(fleet):
    """Runs last in this module: everything above sent tokens and passwords."""
    # One more of each, so the log has seen them for sure.
    for who in fleet.tokens:
        fleet.call(who, "GET", "/v1/whoami")
    cred = base64.b64encode(("admin:" + PASSWORDS["admin"]).encode()).decode()
    assert fleet.gw.request("GET", "/v1/whoami", headers={"Authorization": "Basic " + cred}).status_code == 200
    log = fleet.gw.log_text()
    assert "/v1/whoami" in log  # the access log is there
    for secret in list(fleet.tokens.values()) + list(PASSWORDS.values()) + [cred]:
        assert secret not in log
