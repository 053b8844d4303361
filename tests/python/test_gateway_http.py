"""
The gateway as an HTTP server and a program: ETags and conditional
requests, CORS, request ids and the access log, health and readiness,
HTTP/2 (h2c by prior knowledge and by Upgrade, h2 over TLS by ALPN), TLS
1.2+ only, graceful shutdown on SIGTERM, the per-connection rate guard,
--check-config, environment overrides and --demo.

Run: /usr/bin/python3 -m pytest tests/python/test_gateway_*.py
"""
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

import gwclient
from conftest import PASSWORD, USER
from gwclient import CIMV2, TEST_NS, ORIGIN, assert_problem, class_path, curl, inst_path, list_path


@pytest.fixture(scope="module")
def gw(sim, tmp_path_factory):
    g = gwclient.standard_gateway(tmp_path_factory.mktemp("gw-http"), sim, USER, PASSWORD)
    yield g
    g.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return d / "cert.pem", d / "key.pem"


@pytest.fixture(scope="module")
def tls_gw(sim, tmp_path_factory, tls_files):
    cert, key = tls_files
    tls_port = gwclient.free_port()
    g = gwclient.Gateway(tmp_path_factory.mktemp("gw-tls"), "gw-tls",
                         [("listen", "127.0.0.1:%d tls" % tls_port), ("tls-cert", str(cert)), ("tls-key", str(key)),
                          ("workers", "2"), ("access-log", "off")],
                         {"odd": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD)}, tls_port=tls_port)
    g.start()
    gwclient.wait_listening("127.0.0.1", tls_port, g.proc, g.log_path)
    yield g
    g.stop()


# --- ETags ------------------------------------------------------------------------------------------


ETAG = re.compile(r'^"[0-9a-f]{32}"$')


@pytest.mark.parametrize("path", [inst_path("odd", CIMV2, "Win32_Service", Name="WinRM"), "/v1/hosts/odd",
                                  class_path("odd", CIMV2, "Win32_Service"), "/openapi.json"])
def test_etag_and_if_none_match(gw, path):
    r = gw.get(path)
    assert r.status_code == 200
    etag = r.headers["ETag"]
    assert ETAG.match(etag), etag
    again = gw.get(path)
    assert again.headers["ETag"] == etag and again.content == r.content
    nm = gw.get(path, headers={"If-None-Match": etag})
    assert nm.status_code == 304, nm.text
    assert nm.content == b""
    assert nm.headers.get("ETag") in (None, etag)
    assert gw.get(path, headers={"If-None-Match": '"0000000000000000000000000000000a", ' + etag}).status_code == 304
    assert gw.get(path, headers={"If-None-Match": '"00000000000000000000000000000000"'}).status_code == 200


def test_etag_changes_with_the_instance(gw, fresh):
    path = inst_path("odd", TEST_NS, "Sim_Item", Id=2)
    old = gw.get(path).headers["ETag"]
    r = gw.patch(path, {"Label": "changed"})
    assert r.status_code == 200
    assert ETAG.match(r.headers["ETag"]) and r.headers["ETag"] != old
    new = gw.get(path)
    assert new.headers["ETag"] == r.headers["ETag"]
    assert gw.get(path, headers={"If-None-Match": old}).status_code == 200


def test_if_match_on_patch_put_delete(gw, fresh):
    path = inst_path("odd", TEST_NS, "Sim_Item", Id=3)
    before = gw.get(path)
    etag = before.headers["ETag"]
    stale = '"0123456789abcdef0123456789abcdef"'
    p = assert_problem(gw.patch(path, {"Label": "no"}, headers={"If-Match": stale}), 412, "precondition-failed",
                       host="odd")
    assert p["detail"]
    assert gw.get(path).content == before.content
    assert_problem(gw.put(path, {"Label": "no"}, headers={"If-Match": stale}), 412, "precondition-failed")
    assert_problem(gw.delete(path, headers={"If-Match": stale}), 412, "precondition-failed")
    assert gw.get(path).content == before.content
    # The right ETag: written.
    r = gw.patch(path, {"Label": "yes"}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["Label"] == "yes"
    # Now the old ETag is stale.
    assert_problem(gw.patch(path, {"Label": "again"}, headers={"If-Match": etag}), 412)
    assert gw.get(path).json()["Label"] == "yes"
    r = gw.patch(path, {"Label": "star"}, headers={"If-Match": "*"})
    assert r.status_code == 200
    cur = gw.get(path).headers["ETag"]
    assert gw.delete(path, headers={"If-Match": cur}).status_code == 204
    assert gw.get(path).status_code == 404


# --- CORS ---------------------------------------------------------------------------------------------


def test_cors_allowed_origin(gw):
    r = gw.get("/v1/hosts/odd", headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in r.headers.get("Vary", "")
    exposed = [h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")]
    assert {"etag", "location", "x-request-id"} <= set(exposed)
    # Problems too (a browser must read them).
    r = gw.get("/v1/hosts/nope", headers={"Origin": ORIGIN})
    assert r.status_code == 404 and r.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_cors_other_origins_get_nothing(gw):
    for origin in ("https://evil.example.com", "https://dash.example.com.evil.net", "null", "http://dash.example.com"):
        r = gw.get("/v1/hosts/odd", headers={"Origin": origin})
        assert r.status_code == 200
        assert "Access-Control-Allow-Origin" not in r.headers, origin
        assert "Access-Control-Expose-Headers" not in r.headers
    r = gw.get("/v1/hosts/odd")
    assert "Access-Control-Allow-Origin" not in r.headers


def test_cors_preflight(gw):
    path = inst_path("odd", CIMV2, "Win32_Environment", Name="TEMP", UserName="<SYSTEM>")
    r = gw.request("OPTIONS", path, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH",
                                             "Access-Control-Request-Headers": "content-type, if-match"})
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    methods = [m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")]
    assert set(methods) == {"GET", "PATCH", "PUT", "DELETE"}
    allowed = [h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")]
    assert {"content-type", "if-match", "if-none-match", "x-request-id"} <= set(allowed)
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    # Another origin: no grant.
    r = gw.request("OPTIONS", path, headers={"Origin": "https://evil.example.com",
                                             "Access-Control-Request-Method": "DELETE"})
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Allow-Methods" not in r.headers
    # A preflight costs the host nothing.


# --- request ids and the access log -------------------------------------------------------------------------


def test_request_id_echoed_and_generated(gw):
    r = gw.get("/v1/hosts", headers={"X-Request-Id": "client-id_1.2-3"})
    assert r.headers["X-Request-Id"] == "client-id_1.2-3"
    ids = set()
    for bad in (None, "has space", "x" * 60, "semi;colon", ""):
        r = gw.get("/v1/hosts", headers={"X-Request-Id": bad} if bad is not None else {})
        rid = r.headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{24}", rid), (bad, rid)
        ids.add(rid)
    assert len(ids) == 5
    # In problems, and on streamed listings.
    r = gw.get(list_path("odd", CIMV2, "Win32_Service"), headers={"X-Request-Id": "list-1"})
    assert r.headers["X-Request-Id"] == "list-1"
    r = gw.get(list_path("odd", CIMV2, "Win32_Service"), headers={"X-Request-Id": "nd-1",
                                                                   "Accept": "application/x-ndjson"})
    assert r.headers["X-Request-Id"] == "nd-1"


def test_access_log_has_the_request_id(gw):
    rid = "access-log-%d" % os.getpid()
    r = gw.get(inst_path("odd", CIMV2, "Win32_Service", Name="WinRM"), headers={"X-Request-Id": rid,
                                                                               "User-Agent": "gw-test/1"})
    assert r.status_code == 200
    gen = gw.get("/v1/hosts/nope").headers["X-Request-Id"]
    log = Path(gw.tmp) / "access.log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if rid in text and gen in text:
            break
        time.sleep(0.1)
    lines = [x for x in text.splitlines() if rid in x]
    assert len(lines) == 1, text[-2000:]
    line = lines[0]
    assert "GET /v1/hosts/odd/namespaces/root%2Fcimv2/classes/Win32_Service/instances/Name=WinRM" in line
    assert " 200 " in line and "gw-test/1" in line
    line = [x for x in text.splitlines() if gen in x][0]
    assert "/v1/hosts/nope" in line and " 404 " in line


def test_healthz_readyz(gw):
    r = gw.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["Content-Type"].startswith("application/json")
    r = gw.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["hosts"] == 5


# --- HTTP/2 -------------------------------------------------------------------------------------------------


def curl_h2(args, url, tmp):
    """(response head, body, HTTP version) of one curl transfer."""
    head, body = tmp / "head.txt", tmp / "body.bin"
    r = curl(*args, "-D", str(head), "-o", str(body), "-w", "%{http_version}", url)
    assert r.returncode == 0, r.stderr
    return head.read_text(), body.read_bytes().decode(), r.stdout


def test_h2c_prior_knowledge_and_upgrade(gw, tmp_path):
    path = inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
    h1 = gw.get(path)
    for args in (["--http2-prior-knowledge"], ["--http2"]):
        head, body, version = curl_h2(args + ["-H", "X-Request-Id: h2c-test"], gw.url(path), tmp_path)
        assert version == "2", (args, version, head)
        assert "HTTP/2 200" in head
        assert "x-request-id: h2c-test" in head.lower()
        assert body.encode() == h1.content
    # A listing streamed over h2c, and a problem.
    head, body, version = curl_h2(["--http2-prior-knowledge", "-H", "Accept: application/x-ndjson"],
                                  gw.url(list_path("odd", TEST_NS, "Sim_Bench")), tmp_path)
    assert version == "2" and len(body.strip().split("\n")) == 1000
    head, body, version = curl_h2(["--http2-prior-knowledge"], gw.url("/v1/hosts/nope"), tmp_path)
    assert "HTTP/2 404" in head and json.loads(body)["type"] == "urn:wmgw:problem:not-found"


def test_h2c_many_streams_on_one_connection(gw):
    """Concurrent streams on one connection, listings among them, each
    answered whole and as over HTTP/1.1."""
    paths = [inst_path("odd", CIMV2, "Win32_Service", Name=n) for n in ("WinRM", "Spooler", "BITS", "RpcSs")]
    paths += [list_path("odd", CIMV2, "Win32_Environment"), list_path("even", TEST_NS, "Sim_Item"),
              "/healthz", "/v1/hosts/nope"]
    answers = gwclient.h2_requests(gw.port, paths * 3)
    for path, (status, headers, body) in zip(paths * 3, answers):
        h1 = gw.get(path)
        assert status == h1.status_code, (path, status)
        if status == 200:
            assert body == h1.content, path
        else:
            assert json.loads(body)["type"] == "urn:wmgw:problem:not-found"


def test_h2c_client_that_indexes_authorization(gw, monkeypatch):
    """A client may put Authorization in its HPACK table (RFC 7541 7.1.3
    advises against it; python-h2 and curl never index it, so python-h2's
    rule is switched off here): its later requests name the header by index,
    and the gateway must not have wiped the table's copy when it checked the
    first one."""
    import h2.utilities
    monkeypatch.setattr(h2.utilities, "_secure_headers", lambda headers, flags: headers)
    answers = gwclient.h2_requests(gw.port, ["/v1/whoami"] * 6)
    assert [a[0] for a in answers] == [200] * 6, answers


def test_h2_over_tls_with_alpn(tls_gw, tmp_path):
    url = "https://127.0.0.1:%d" % tls_gw.tls_port
    path = inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
    head, body, version = curl_h2(["--http2", "-k"], url + path, tmp_path)
    assert version == "2", head
    assert "HTTP/2 200" in head
    assert json.loads(body)["Name"] == "WinRM"
    assert body.encode() == tls_gw.get(path).content
    # ALPN offers h2 (and HTTP/1.1 still works over TLS).
    head, body, version = curl_h2(["--http1.1", "-k"], url + "/healthz", tmp_path)
    assert version == "1.1" and json.loads(body) == {"status": "ok"}
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", tls_gw.tls_port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            assert t.selected_alpn_protocol() == "h2"
            assert t.version() in ("TLSv1.2", "TLSv1.3")


def tls_handshake(port, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = version
    ctx.maximum_version = version
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s) as t:
            return t.version()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_tls_12_and_13_only(tls_gw):
    assert tls_handshake(tls_gw.tls_port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert tls_handshake(tls_gw.tls_port, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    for old in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1):
        with pytest.raises(ssl.SSLError) as e:
            tls_handshake(tls_gw.tls_port, old)
        # The server refused (an alert, or the connection closed on the
        # ClientHello); not the client failing to offer the version.
        assert isinstance(e.value, (ssl.SSLZeroReturnError, ssl.SSLEOFError)) or \
            e.value.reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL"), e.value
        assert e.value.reason != "NO_PROTOCOLS_AVAILABLE"
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % tls_gw.tls_port, "-tls1_1",
                        "-cipher", "DEFAULT@SECLEVEL=0"], input="", capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "CONNECTED" in r.stdout and "no peer certificate available" in r.stdout, r.stdout + r.stderr
    assert "no protocols available" not in r.stderr
    # The gateway still serves after refusing.
    assert tls_handshake(tls_gw.tls_port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"


# --- the rate guard --------------------------------------------------------------------------------------------


def test_429_beyond_requests_per_connection_second(sim, tmp_path):
    """The rapid-reset guard: one HTTP/2 connection may start 5 requests a
    second here; the rest are 429 before any backend work."""
    g = gwclient.Gateway(tmp_path, "gw-rate", [("workers", "1"), ("access-log", "off"),
                                               ("max-requests-per-connection-second", "5")],
                         {"odd": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD)}).start()
    try:
        url = g.url(inst_path("odd", CIMV2, "Win32_Service", Name="WinRM"))
        assert requests.get(g.url(class_path("odd", CIMV2, "Win32_Service")), headers=gwclient.AUTH,
                            timeout=10).status_code == 200
        before = sim.control.host("WMSIM-01")["counters"]["requests"]
        path = inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
        answers = gwclient.h2_requests(g.port, [path] * 30)
        codes = [a[0] for a in answers]
        ok, limited = codes.count(200), codes.count(429)
        assert ok + limited == 30, codes
        assert 5 <= ok <= 10 and limited >= 20, codes
        for status, headers, body in answers:
            if status == 429:
                p = json.loads(body)
                assert p["type"] == "urn:wmgw:problem:too-many-requests" and p["requestId"] == headers["x-request-id"]
            else:
                assert json.loads(body)["Name"] == "WinRM"
        used = sim.control.host("WMSIM-01")["counters"]["requests"] - before
        assert used == ok, (used, ok)               # a 429 costs no backend call
        # HTTP/1.1: the sixth request in a second on one connection.
        with requests.Session() as s:
            codes = [s.get(url, headers=gwclient.AUTH, timeout=10).status_code for _ in range(6)]
        assert codes.count(429) >= 1 or codes == [200] * 6, codes
        r = requests.get(url, headers={"X-Request-Id": "rate-1", **gwclient.AUTH}, timeout=10)
        assert r.status_code == 200
    finally:
        g.stop()


# --- graceful shutdown -------------------------------------------------------------------------------------------


def test_sigterm_drains_in_flight_requests(sim, tmp_path):
    g = gwclient.Gateway(tmp_path, "gw-drain", [("workers", "1"), ("access-log", "off"), ("shutdown-timeout", "6s")],
                         {"odd": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD)}).start()
    path = list_path("odd", CIMV2, "Win32_Service")
    try:
        assert g.get(path).status_code == 200                    # schema cached, connection open
        want = len(g.get(path).json()["items"])
        sim.control.latency("WMSIM-01", 2000)
        result = {}

        def slow():
            try:
                r = requests.get(g.url(path), headers=gwclient.AUTH, timeout=30)
                result["status"], result["items"] = r.status_code, len(r.json()["items"])
            except Exception as e:  # noqa: BLE001
                result["error"] = e
            result["done"] = time.monotonic()

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)
        sent = time.monotonic()
        g.proc.send_signal(signal.SIGTERM)
        time.sleep(0.4)
        # Not ready any more (asked on the connection that was open), and
        # no new connections.
        try:
            r = g.get("/readyz", timeout=5)
        except requests.ConnectionError:
            r = None            # the connection went with the listener: as good
        if r is not None:
            assert_problem(r, 503, "retry")
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", g.port), timeout=2).close()
        t.join(30)
        # The request in flight finished, whole.
        assert result.get("status") == 200, result
        assert result["items"] == want
        g.proc.wait(10)
        exited = time.monotonic()
        assert g.proc.returncode == 0
        assert exited - sent < 6 + 1.0
        assert result["done"] - sent > 1.0
    finally:
        sim.control.clear("WMSIM-01")
        g.stop()


def test_sigterm_gives_up_after_shutdown_timeout(sim, tmp_path):
    g = gwclient.Gateway(tmp_path, "gw-cut", [("workers", "1"), ("access-log", "off"), ("shutdown-timeout", "1s")],
                         {"odd": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD)}).start()
    path = list_path("odd", CIMV2, "Win32_Service")
    try:
        assert g.get(path).status_code == 200
        sim.control.latency("WMSIM-01", 6000)
        result = {}

        def slow():
            try:
                r = requests.get(g.url(path), headers=gwclient.AUTH, timeout=30)
                result["status"] = r.status_code
            except Exception as e:  # noqa: BLE001
                result["error"] = e

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)
        sent = time.monotonic()
        g.proc.send_signal(signal.SIGTERM)
        g.proc.wait(10)
        assert time.monotonic() - sent < 1 + 1.0
        t.join(10)
        assert "error" in result or result.get("status") != 200, result
    finally:
        sim.control.clear("WMSIM-01")
        g.stop()


# --- the program: --check-config, environment, --demo --------------------------------------------------------------


def run_wmgw(args, env=None, timeout=30):
    e = dict(os.environ)
    e.pop("WMGW_CONFIG", None)
    e.update(env or {})
    return subprocess.run([gwclient.WMGW] + args, capture_output=True, text=True, timeout=timeout, env=e)


def test_check_config_good_and_bad(sim, tmp_path):
    port = gwclient.free_port()
    good = gwclient.write_config(tmp_path / "good.ini", [("listen", "127.0.0.1:%d" % port), ("workers", "2")],
                                 {"odd": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD),
                                  "even": gwclient.sim_host_keys(sim.hosts[1], USER, PASSWORD)})
    before = sim.control.host("WMSIM-01")["counters"]["requests"]
    r = run_wmgw(["--config", str(good), "--check-config"])
    assert r.returncode == 0, r.stderr
    assert "configuration OK (1 listener(s), 2 host(s))" in r.stdout
    assert sim.control.host("WMSIM-01")["counters"]["requests"] == before     # it checked, it did not connect
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()     # nor listen
    # WMGW_CONFIG names the file too.
    assert run_wmgw(["--check-config"], env={"WMGW_CONFIG": str(good)}).returncode == 0

    cases = [
        ("[server]\nlisten = 127.0.0.1:8080\n\n[host a]\naddress = 127.0.0.1\nport = abc\n", 6, "port"),
        ("[server]\nlisten = 127.0.0.1:8080\ncolour = blue\n", 3, "colour"),
        ("[server]\nworkers = 2\n[nonsense]\n", 3, "nonsense"),
        ("listen = 127.0.0.1:8080\n", 1, "section"),
        ("[server]\nlisten 127.0.0.1:8080\n", 2, "key = value"),
        ("[host a]\naddress = 127.0.0.1\n[backend]\noperation-timeout = 5s\n", 4, "[backend]"),
        ("[host a]\naddress = 127.0.0.1\noperation-timeout = forever\n", 3, "operation-timeout"),
        ("[server]\nlisten = 127.0.0.1:99999\n", 2, "listen"),
    ]
    for i, (text, line, word) in enumerate(cases):
        bad = tmp_path / ("bad%d.ini" % i)
        bad.write_text(text)
        r = run_wmgw(["--config", str(bad), "--check-config"])
        assert r.returncode == 2, (text, r.returncode, r.stdout, r.stderr)
        assert r.stdout == ""
        assert "%s:%d:" % (bad, line) in r.stderr, (text, r.stderr)
        assert word in r.stderr, (text, r.stderr)
    # Checks that need the whole file (no line to point at).
    bad = tmp_path / "noaddr.ini"
    bad.write_text("[host a]\nport = 5985\n")
    r = run_wmgw(["--config", str(bad), "--check-config"])
    assert r.returncode == 2 and "host a" in r.stderr and "address" in r.stderr, r.stderr
    bad.write_text("[host a]\naddress = 127.0.0.1\nuser = alice\n")
    r = run_wmgw(["--config", str(bad), "--check-config"])
    assert r.returncode == 2 and "password" in r.stderr, r.stderr
    r = run_wmgw(["--config", str(tmp_path / "missing.ini"), "--check-config"])
    assert r.returncode == 2 and "missing.ini" in r.stderr
    # A bad file stops a real start too, with the same message.
    bad = tmp_path / "bad0.ini"
    r = run_wmgw(["--config", str(bad)])
    assert r.returncode == 2 and "%s:6:" % bad in r.stderr


def test_environment_overrides(sim, tmp_path):
    file_port, env_port = gwclient.free_port(), gwclient.free_port()
    cfg = gwclient.write_config(tmp_path / "env.ini", [("listen", "127.0.0.1:%d" % file_port), ("workers", "1"),
                                                        ("access-log", "off")],
                                {"web-01": gwclient.sim_host_keys(sim.hosts[0], USER, None),
                                 "odd": gwclient.sim_host_keys(sim.hosts[0], USER, "not-the-password")})
    # Without the password the file is incomplete.
    r = run_wmgw(["--config", str(cfg), "--check-config"])
    assert r.returncode == 2 and "web-01" in r.stderr
    env = {"WMGW_HOST_WEB_01_PASSWORD": PASSWORD, "WMGW_HOST_ODD_PASSWORD": PASSWORD,
           "WMGW_SERVER_LISTEN": "127.0.0.1:%d" % env_port, "WMGW_BACKEND_OPERATION_TIMEOUT": "7s"}
    r = run_wmgw(["--config", str(cfg), "--check-config"], env=env)
    assert r.returncode == 0, r.stderr
    g = gwclient.Gateway(tmp_path, "gw-env", [], {}, env=env)
    g.args = [gwclient.WMGW, "--config", str(cfg)]
    g.port, g.base, g.retry_port = env_port, "http://127.0.0.1:%d" % env_port, False
    g.start()
    try:
        # WMGW_SERVER_LISTEN replaced the file's listener.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", file_port), timeout=1).close()
        # The passwords came from the environment (the file's was wrong).
        for host in ("web-01", "odd"):
            r = g.get(inst_path(host, CIMV2, "Win32_Service", Name="WinRM"))
            assert r.status_code == 200, r.text
            assert r.json()["SystemName"] == "WMSIM-01"
        hosts = {h["name"]: h for h in g.get("/v1/hosts").json()["items"]}
        assert hosts["odd"]["timeouts"]["operationMs"] == 7000
        assert PASSWORD not in g.get("/v1/hosts").text
    finally:
        g.stop()
    # A variable that names no host is an error.
    r = run_wmgw(["--config", str(cfg), "--check-config"], env=dict(env, WMGW_HOST_NOPE_PASSWORD="x"))
    assert r.returncode == 2 and "WMGW_HOST_NOPE_PASSWORD" in r.stderr
    r = run_wmgw(["--config", str(cfg), "--check-config"], env=dict(env, WMGW_SERVER_WORKERS="zero"))
    assert r.returncode == 2 and "workers" in r.stderr


def children_of(pid):
    out = []
    for task in Path("/proc/%d/task" % pid).iterdir():
        out += [int(x) for x in (task / "children").read_text().split()]
    return out


def test_demo(tmp_path):
    g = gwclient.demo_gateway(tmp_path, "gw-demo")
    try:
        kids = children_of(g.proc.pid)
        assert len(kids) == 1 and "wmsim" in Path("/proc/%d/cmdline" % kids[0]).read_text()
        r = g.get("/v1/hosts")
        assert r.status_code == 200
        hosts = r.json()["items"]
        assert [(h["name"], h["address"], h["port"]) for h in hosts] == [
            ("dc01", "127.0.77.1", 15985), ("legacy01", "127.0.77.4", 15985), ("web01", "127.0.77.2", 15985),
            ("web02", "127.0.77.3", 15985), ("wmi01", "127.0.77.5", 10135)]
        assert hosts[0]["groups"] == ["domain-controllers", "prod"]
        r = g.get(inst_path("dc01", CIMV2, "Win32_Service", Name="WinRM"))
        assert r.status_code == 200, r.text
        assert r.json()["SystemName"] == "WMSIM-01"
        r = g.get("/v1/hosts/web02")
        assert r.json()["identity"]["vendor"] == "Microsoft Corporation"
        out = g.log_text()
        assert 'curl -s -H "$A" http://127.0.0.1:%d/v1/hosts' % g.port in out
        assert "A='Authorization: Bearer %s'" % gwclient.ADMIN_TOKEN in out   # WMGW_DEMO_ADMIN_TOKEN
    finally:
        g.stop()
    assert g.proc.returncode == 0
    time.sleep(0.2)
    assert not Path("/proc/%d" % kids[0]).exists() or "Z" in Path("/proc/%d/stat" % kids[0]).read_text().split()[2]
