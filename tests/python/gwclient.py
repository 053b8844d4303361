"""
gwclient.py: the gateway (wmgw) side of the integration tests.

Starts build/wmgw as a subprocess with a configuration file written into a
temporary directory, in front of the simulated fleet of conftest.py (wmsim),
and talks to it over real loopback HTTP with python3-requests (and curl for
HTTP/2).  Nothing here knows what the gateway should answer: the tests decide
that from the OpenAPI contract, the README and the fixture data.

    WMGW_BIN        the gateway (default <repo>/build/wmgw)

Every configuration written here carries an administrator principal with a
bearer token (ADMIN_TOKEN, new for each test session) and a policy that
allows everything to everyone (auth=False leaves them out), and every
request sends that token unless the test says otherwise
(headers={"Authorization": None}): the tests of other features run as a
fully privileged caller; test_gateway_authz.py writes its own security
sections and tests the model itself.
"""
import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
WMGW = os.environ.get("WMGW_BIN", str(REPO / "build" / "wmgw"))

CIMV2 = "root/cimv2"
TEST_NS = "root/test"
# A fixed cursor key, so that tests can sign cursors themselves (expired ones).
CURSOR_SECRET = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
PROBLEM_TYPE = re.compile(r"^urn:wmgw:problem:[a-z0-9]+(-[a-z0-9]+)*$")


def new_token():
    """(token, token-hash) as auth/token.h makes them: "wmgw_" + base64url of
    32 random bytes, stored as its SHA-256 hex."""
    tok = "wmgw_" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    return tok, hashlib.sha256(tok.encode()).hexdigest()


ADMIN_TOKEN, ADMIN_TOKEN_HASH = new_token()
AUTH = {"Authorization": "Bearer " + ADMIN_TOKEN}
# The sections every written configuration gets (see the module comment).
ADMIN_SECURITY = {
    "principal test-admin": [("sid", "S-1-5-21-1-2-3-500"), ("groups", "BA"), ("token-hash", ADMIN_TOKEN_HASH)],
    "policy test-allow-all": [("sddl", "D:(A;;GA;;;WD)")],
}


def free_port(address="127.0.0.1"):
    s = socket.socket()
    try:
        s.bind((address, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def ns_seg(ns):
    """A namespace as one path segment (root/cimv2 -> root%2Fcimv2)."""
    return urllib.parse.quote(ns, safe="")


def enc(v):
    """Percent-encodes a key name or value as README "Naming things in URLs" says."""
    return urllib.parse.quote(str(v), safe="-._~")


def keys_seg(**keys):
    return ",".join("%s=%s" % (enc(k), enc(v)) for k, v in keys.items())


def class_path(host, ns, cls):
    return "/v1/hosts/%s/namespaces/%s/classes/%s" % (host, ns_seg(ns), cls)


def inst_path(host, ns, cls, **keys):
    return class_path(host, ns, cls) + "/instances/" + keys_seg(**keys)


def write_config(path, server, hosts, backend=None, sections=None, auth=True):
    """server: list of (key, value); hosts: {name: [(key, value), ...]};
    sections: {"security": [(key, value), ...], "principal x": [...], ...}."""
    lines = ["# written by tests/python/gwclient.py", "[server]"]
    lines += ["%s = %s" % kv for kv in server]
    if backend:
        lines += ["", "[backend]"] + ["%s = %s" % kv for kv in backend]
    for name, kvs in hosts.items():
        lines += ["", "[host %s]" % name] + ["%s = %s" % kv for kv in kvs]
    for name, kvs in (sections or {}).items():
        lines += ["", "[%s]" % name] + ["%s = %s" % kv for kv in kvs]
    for name, kvs in (ADMIN_SECURITY if auth else {}).items():
        lines += ["", "[%s]" % name] + ["%s = %s" % kv for kv in kvs]
    if "cache" not in (sections or {}):
        # The answer cache (on by default) is off unless a test asks for it
        # (test_gateway_cache.py): the others see every call reach the backend.
        lines += ["", "[cache]", "store = off"]
    Path(path).write_text("\n".join(lines) + "\n")
    return path


def sim_host_keys(sim_host, user, password, **extra):
    kv = [("address", sim_host.address), ("port", sim_host.port), ("protocol", "wsmv")]
    if user is not None:
        kv.append(("user", user))
    if password is not None:
        kv.append(("password", password))
    kv += [(k.replace("_", "-"), v) for k, v in extra.items()]
    return kv


class Gateway:
    """One wmgw process.  `listen` is (address, port) of its plain listener."""

    def __init__(self, tmp, name, server, hosts, backend=None, env=None, args=(), tls_port=None, sections=None,
                 auth=True):
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.tls_port = tls_port
        self.server = [("listen", "127.0.0.1:%d" % self.port)] + list(server)
        self.hosts, self.backend, self.sections, self.auth = hosts, backend, sections, auth
        self.config = write_config(self.tmp / ("%s.ini" % name), self.server, hosts, backend, sections, auth)
        self.retry_port = True      # cleared by tests that choose the listener themselves
        self.log_path = self.tmp / ("%s.log" % name)
        self.env = dict(os.environ)
        self.env.pop("WMGW_CONFIG", None)
        # wmgw --demo makes its administrator's token this one.
        self.env["WMGW_DEMO_ADMIN_TOKEN"] = ADMIN_TOKEN
        self.env.update(env or {})
        self.args = [WMGW, "--config", str(self.config)] + list(args)
        self.proc = None
        self.base = "http://127.0.0.1:%d" % self.port
        self.session = requests.Session()
        if auth:
            self.session.headers.update(AUTH)

    def start(self, wait_port=None):
        for attempt in range(3):
            self.log = open(self.log_path, "w")
            self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
            try:
                wait_listening("127.0.0.1", wait_port or self.port, self.proc, self.log_path)
                return self
            except RuntimeError:
                self.log.close()
                # Lost a race for the free port: pick another and write the file again.
                if attempt == 2 or not self.retry_port or "cannot listen" not in self.log_text():
                    raise
                self.port = free_port()
                self.base = "http://127.0.0.1:%d" % self.port
                self.server[0] = ("listen", "127.0.0.1:%d" % self.port)
                write_config(self.config, self.server, self.hosts, self.backend, self.sections, self.auth)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.session.close()
        if self.proc is not None:
            self.log.close()

    def log_text(self):
        return Path(self.log_path).read_text(errors="replace")

    def url(self, path):
        return path if path.startswith("http") else self.base + path

    def request(self, method, path, body=None, raw=None, headers=None, timeout=30, **kw):
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        return self.session.request(method, self.url(path), data=data, headers=h, timeout=timeout, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def list_all(self, path, params=None, headers=None, max_pages=1000):
        """Follows `next` from the first page to the end; returns (items, pages)."""
        items, pages = [], []
        r = self.get(path, params=params, headers=headers)
        while True:
            assert r.status_code == 200, (r.status_code, r.text[:2000])
            assert r.headers["Content-Type"].startswith("application/json"), r.headers
            page = r.json()
            assert set(page) == {"items", "next"}, page.keys()
            pages.append(page)
            items += page["items"]
            if page["next"] is None:
                return items, pages
            assert len(pages) < max_pages, "paging does not end"
            assert page["next"].startswith("/v1/"), page["next"]
            r = self.get(page["next"], headers=headers)


def wait_listening(address, port, proc, log_path, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("wmgw exited (%s):\n%s" % (proc.returncode, Path(log_path).read_text(errors="replace")))
        try:
            socket.create_connection((address, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("wmgw did not listen on %s:%d:\n%s" % (address, port, Path(log_path).read_text()))


def assert_problem(r, status, slug=None, host=None, request_id=None):
    """An RFC 9457 problem as openapi.json's Problem schema describes it;
    returns the parsed body."""
    assert r.status_code == status, (r.status_code, r.text[:2000])
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("application/problem+json"), (ctype, r.text[:500])
    p = r.json()
    assert PROBLEM_TYPE.match(p.get("type", "")), p
    assert p["status"] == status, p
    assert isinstance(p.get("title"), str) and p["title"], p
    assert isinstance(p.get("detail"), str) and p["detail"], p
    rid = r.headers.get("X-Request-Id")
    assert rid, r.headers
    assert p.get("requestId") == rid, (p, rid)
    if request_id is not None:
        assert rid == request_id
    if slug is not None:
        assert p["type"] == "urn:wmgw:problem:" + slug, p
    if host is not None:
        assert p.get("host") == host, p
    return p


def raw_items(text):
    """The exact text of every item of a JSON page {"items":[...],"next":...},
    in order, as the gateway wrote it."""
    m = re.match(r'\{"items":\[', text)
    assert m, text[:200]
    dec = json.JSONDecoder()
    pos, out = m.end(), []
    if text[pos] == "]":
        return out
    while True:
        _, end = dec.raw_decode(text, pos)
        out.append(text[pos:end])
        if text[end] == "]":
            return out
        assert text[end] == ",", text[end:end + 20]
        pos = end + 1


def curl(*args, timeout=30, auth=True):
    """Runs curl (with the test administrator's token unless auth=False);
    returns CompletedProcess with text output."""
    head = ["-H", "Authorization: Bearer " + ADMIN_TOKEN] if auth else []
    return subprocess.run(["curl", "-sS"] + head + list(args), capture_output=True, text=True, timeout=timeout)


class Canary:
    """A TCP listener that records every connection made to it: an address
    no request may ever make the gateway reach."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                c, peer = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections.append(peer)
            c.close()

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


# --- the gateway most tests share ------------------------------------------------------

ORIGIN = "https://dash.example.com"


def standard_gateway(tmp, sim, user, password, name="gw", server=(), env=None):
    """A gateway in front of the session's fleet:

    odd    WMSIM-01 (odd-numbered host: D: above 2^53)
    even   WMSIM-02
    slow   WMSIM-02 again, with a 1 s operation-timeout (504 tests)
    batch  WMSIM-01 again, 100 instances per Enumerate/Pull batch
    dead   WMSIM-01's address on a port where nothing listens
    """
    odd, even = sim.hosts[0], sim.hosts[1]
    hosts = {
        "odd": sim_host_keys(odd, user, password, groups="lab, odd"),
        "even": sim_host_keys(even, user, password, groups="lab"),
        "slow": sim_host_keys(even, user, password, operation_timeout="1s"),
        "batch": sim_host_keys(odd, user, password, max_elements=100),
        "dead": [("address", odd.address), ("port", free_port(odd.address)), ("protocol", "wsmv"),
                 ("user", user), ("password", password), ("connect-timeout", "1s")],
    }
    srv = [("workers", "2"), ("access-log", str(Path(tmp) / "access.log")), ("cors-origin", ORIGIN),
           ("cursor-secret", CURSOR_SECRET), ("max-request-body", "64KiB"), ("shutdown-timeout", "5s")]
    return Gateway(tmp, name, srv + list(server), hosts, env=env).start()


def demo_gateway(tmp, name="gw-demo"):
    """`wmgw --demo` (its own bundled fleet) on a free port, one worker,
    started; the caller stops it."""
    port = free_port()
    g = Gateway(tmp, name, [], {})
    g.args = [WMGW, "--demo", "--listen", "127.0.0.1:%d" % port, "--workers", "1"]
    g.port, g.base, g.retry_port = port, "http://127.0.0.1:%d" % port, False
    return g.start()


def list_path(host, ns, cls):
    return class_path(host, ns, cls) + "/instances"


def h2_requests(port, paths, headers=tuple((k.lower(), v) for k, v in AUTH.items()), address="127.0.0.1",
                timeout=20):
    """Sends every GET of `paths` at once on ONE cleartext HTTP/2 connection
    (prior knowledge, python3-h2); returns [(status, headers dict, body)] in
    the order of `paths`.  (curl 7.88 cannot reuse a prior-knowledge
    connection, so several transfers in one curl are not one connection.)"""
    import h2.config
    import h2.connection
    import h2.events
    sock = socket.create_connection((address, port), timeout=timeout)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    conn.increment_flow_control_window(64 << 20)
    sock.sendall(conn.data_to_send())
    streams = {}
    for p in paths:
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"), (":authority", "%s:%d" % (address, port)),
                                (":path", p)] + list(headers), end_stream=True)
        streams[sid] = {"headers": {}, "body": b"", "done": False}
    sock.sendall(conn.data_to_send())
    deadline = time.monotonic() + timeout
    try:
        while not all(s["done"] for s in streams.values()) and time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    streams[ev.stream_id]["headers"] = dict(ev.headers)
                elif isinstance(ev, h2.events.DataReceived):
                    streams[ev.stream_id]["body"] += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                    streams[ev.stream_id]["done"] = True
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
    finally:
        sock.close()
    return [(int(s["headers"].get(":status", 0)), s["headers"], s["body"]) for s in streams.values()]


# --- comparing two hosts (test_gateway_matrix.py) ----------------------------------------

CURSOR_IN_URL = re.compile(r"cursor=[A-Za-z0-9_.\-]+")


def host_neutral(text, host):
    """The text of an answer about `host` with everything that names the host
    replaced by "{host}": links (/v1/hosts/NAME/...), "@host" and a problem's
    "host", and cursor tokens (they are signed over the host's name)."""
    text = text.replace('"/v1/hosts/%s/' % host, '"/v1/hosts/{host}/')
    text = text.replace('"/v1/hosts/%s"' % host, '"/v1/hosts/{host}"')
    text = text.replace('"@host":"%s"' % host, '"@host":"{host}"')
    text = text.replace('"host":"%s"' % host, '"host":"{host}"')
    return CURSOR_IN_URL.sub("cursor={cursor}", text)


def follow(gw, method, path, body=None, headers=None, max_pages=2000):
    """Every page of a JSON listing, following `next` (queryHost: the same
    body again); returns the list of responses."""
    out = []
    r = gw.request(method, path, body=body, headers=headers)
    while True:
        out.append(r)
        if r.status_code != 200:
            return out
        nxt = r.json()["next"]
        if nxt is None:
            return out
        assert len(out) < max_pages, "paging does not end"
        r = gw.request(method, nxt, body=body, headers=headers)
