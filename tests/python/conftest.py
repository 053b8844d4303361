"""
conftest.py: runs the simulated Windows fleet (wmsim) for the Python suites.

One wmsim for the session: two hosts (WMSIM-01 on 127.A.B.1, WMSIM-02 on
127.A.B.2, the same free port), users from --user and from a --users file,
and a control interface.  A second, small one (module scope, started only
by the tests that need it: one --listen host named SMALL-HOST) has a 16 KiB
MaxEnvelopeSizekb.  A third (module scope, for test_sim_wsman2003.py) has
one Windows Server 2003 R2 host, OLD-01 (--listen ...,dialect=wsman2003),
and one MS-WSMV host beside it, NEW-01, with the same fixtures.

Relay is a recording TCP relay for tests that assert on the bytes on the
wire (test_sim_auth.py).

    WMSIM_BIN       the simulator (default <repo>/build/wmsim)
    WMSIM_FIXTURES  its fixture directory (default <repo>/tests/sim/fixtures)
"""
import json
import os
import random
import select
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import fixturemodel
import simclient

REPO = Path(__file__).resolve().parents[2]
WMSIM = os.environ.get("WMSIM_BIN", str(REPO / "build" / "wmsim"))
FIXTURES = os.environ.get("WMSIM_FIXTURES", str(REPO / "tests" / "sim" / "fixtures"))

USER, PASSWORD = "alice", "Secret-1"
USERS_FILE = """# users of the simulated fleet (wmsim --users)
bob:Pass word-2

   carol:co:lon
#dave:not-a-user
"""
FILE_USERS = [("bob", "Pass word-2"), ("carol", "co:lon")]


def free_port(addresses):
    """A port free on every address (bound once to check, then released)."""
    for _ in range(100):
        socks = []
        try:
            s = socket.socket()
            s.bind((addresses[0], 0))
            socks.append(s)
            port = s.getsockname()[1]
            for a in addresses[1:]:
                t = socket.socket()
                socks.append(t)
                t.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port")


class Control:
    """The simulator's control interface (JSON over HTTP, tests/sim/control.c)."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def post(self, host, action, body=None):
        status, j = self.call("POST", "/hosts/%s/%s" % (host, action), body if body is not None else {})
        assert status == 200, (status, j)
        return j

    def hosts(self):
        return self.call("GET", "/hosts")[1]

    def host(self, name):
        return self.call("GET", "/hosts/" + name)[1]

    def reset(self, host="*"):
        return self.post(host, "reset")

    def latency(self, host, ms):
        return self.post(host, "latency", {"ms": ms})

    def fail(self, host, count, fault=None, status=None):
        body = {"count": count}
        if fault is not None:
            body["fault"] = fault
        if status is not None:
            body["status"] = status
        return self.post(host, "fail", body)

    def drop(self, host, count):
        return self.post(host, "drop", {"count": count})

    def garbage(self, host, count):
        return self.post(host, "garbage", {"count": count})

    def clear(self, host="*"):
        return self.post(host, "clear")


class LineTool:
    """One of the C test tools (tests/unit/*_tool.c, built with the tree) as
    a subprocess speaking one request line, one reply line: <NAME>_TOOL in
    the environment, else build/tests/unit/<name>.  A tool that is not built
    is a failure: tests/run-all builds every one."""

    def __init__(self, name):
        self.name = name
        path = os.environ.get(name.upper(), str(REPO / "build" / "tests" / "unit" / name))
        if not os.access(path, os.X_OK):
            pytest.fail("%s not built: cmake --build build --target %s" % (path, name))
        self.p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def line(self, text):
        """One request line; the reply line without its newline."""
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()
        reply = self.p.stdout.readline().rstrip("\n")
        assert reply, "%s died" % self.name
        return reply

    def call(self, *words):
        """Words (bytes as hex) in, the reply's words out."""
        return self.line(" ".join(w.hex() if isinstance(w, (bytes, bytearray)) else str(w) for w in words)).split()

    def ok(self, *words):
        reply = self.call(*words)
        assert reply[0] == "ok", " ".join(reply)
        return reply[1:]

    def err(self, *words):
        reply = self.call(*words)
        assert reply[0] == "err", reply
        return reply[1], " ".join(reply[2:])

    def json(self, **req):
        """A JSON request line, the JSON reply."""
        return json.loads(self.line(json.dumps(req)))

    def close(self):
        self.p.stdin.close()
        assert self.p.wait(timeout=10) == 0


class Relay:
    """A TCP relay on 127.0.0.1 that forwards to target (address, port) and
    keeps every byte it saw in each direction (up: client to server, down:
    server to client), for tests that assert on the wire.  With a gate (a
    threading.Event), each connection is held, unanswered, until the gate is
    set: `arrived` is set when the first one is waiting (a slow server)."""

    def __init__(self, target, gate=None):
        self.target = target
        self.gate = gate
        self.arrived = threading.Event()
        self.up = bytearray()
        self.down = bytearray()
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.threads = []
        self.connections = 0  # accepted so far
        self.lock = threading.Lock()
        t = threading.Thread(target=self.accept, daemon=True)
        t.start()

    def accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.forward, args=(c,), daemon=True).start()

    def forward(self, c):
        if self.gate is not None:
            self.arrived.set()
            self.gate.wait()
        s = socket.create_connection(self.target)
        for a, b, buf in ((c, s, self.up), (s, c, self.down)):
            t = threading.Thread(target=self.pump, args=(a, b, buf, self.lock), daemon=True)
            t.start()
            self.threads.append(t)

    @staticmethod
    def pump(a, b, buf, lock):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                with lock:
                    buf.extend(d)
                b.sendall(d)
        except OSError:
            pass
        finally:
            for x in (a, b):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def captured(self):
        """(up, down): copies of the bytes so far."""
        with self.lock:
            return bytes(self.up), bytes(self.down)

    def close(self):
        self.lsock.close()


class Host:
    def __init__(self, name, number, address, port):
        self.name, self.number, self.address, self.port = name, number, address, port
        self.endpoint = "http://%s:%d/wsman" % (address, port)

    @property
    def key(self):
        """(number, name, address) as fixturemodel.Model.instances wants it."""
        return (self.number, self.name, self.address)


class SimProcess:
    """One wmsim process, started and waited for ("wmsim: ready")."""

    def __init__(self, args, log_path):
        self.args = [WMSIM] + args
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.log)
        self.lines = []
        fd, pending = self.proc.stdout.fileno(), b""
        deadline = time.monotonic() + 20
        while "wmsim: ready" not in self.lines:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise RuntimeError("wmsim did not get ready: %s" % self.lines)
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if chunk == b"":
                self.proc.wait()
                self.log.flush()
                raise RuntimeError("wmsim exited (%s): %s %s" % (self.proc.returncode, self.lines,
                                                                   Path(log_path).read_text()))
            pending += chunk
            *done, pending = pending.split(b"\n")
            self.lines += [d.decode().strip() for d in done]

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


class Sim:
    """The running fleet: hosts, control interface, clients."""

    def __init__(self, process, hosts, control, users_file):
        self.process = process
        self.hosts = hosts
        self.control = control
        self.users_file = users_file

    def client(self, i=0, username=USER, password=PASSWORD, **kw):
        return simclient.Client(self.hosts[i].endpoint, username, password, **kw)


def start_fleet(tmp, extra_args, nhosts=2, names=None, dialects=None, listen_opts=None):
    """Starts wmsim with nhosts hosts on 127.A.B.1..n (--hosts), or with one
    --listen host per name (dialects: one per name, None for the default;
    listen_opts: one function per name, given the host's address and port,
    that returns more --listen options such as ",https=N,encrypt=required");
    retries on port races."""
    users = tmp / "users"
    users.write_text(USERS_FILE)
    last = None
    for attempt in range(5):
        a, b = random.randint(64, 250), random.randint(1, 250)
        addresses = ["127.%d.%d.%d" % (a, b, i + 1) for i in range(nhosts)]
        port = free_port(addresses)
        cport = free_port(["127.0.0.1"])
        if names:
            ds = dialects or [None] * len(names)
            more = ([f(a, port) if f else "" for a, f in zip(addresses, listen_opts)] if listen_opts
                    else [""] * len(names))
            hosts = sum((["--listen", "%s:%d,name=%s%s%s" % (a, port, n, ",dialect=" + d if d else "", m)]
                         for a, n, d, m in zip(addresses, names, ds, more)), [])
        else:
            hosts = ["--hosts", str(nhosts), "--first-address", addresses[0], "--port", str(port)]
        args = hosts + ["--user", "%s:%s" % (USER, PASSWORD), "--users", str(users),
                        "--control", "127.0.0.1:%d" % cport] + extra_args
        try:
            p = SimProcess(args, str(tmp / ("wmsim-%d.log" % attempt)))
        except RuntimeError as e:
            last = e
            continue
        hosts = [Host(names[i] if names else "WMSIM-%02d" % (i + 1), i + 1, addresses[i], port)
                 for i in range(nhosts)]
        return Sim(p, hosts, Control("http://127.0.0.1:%d" % cport), users)
    raise last


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    s = start_fleet(tmp_path_factory.mktemp("wmsim"), [])
    yield s
    s.process.stop()


@pytest.fixture(scope="module")
def small_sim(tmp_path_factory):
    """A separate wmsim, one host given with --listen and a name, that
    accepts at most 16 KiB requests."""
    s = start_fleet(tmp_path_factory.mktemp("wmsim-small"), ["--max-envelope-kb", "16"], nhosts=1,
                    names=["SMALL-HOST"])
    yield s
    s.process.stop()


@pytest.fixture(scope="module")
def sim2003(tmp_path_factory):
    """A separate wmsim: OLD-01 speaks the Windows Server 2003 R2 dialect
    (MS-WSMAN), NEW-01 beside it MS-WSMV, both on the default fixtures."""
    s = start_fleet(tmp_path_factory.mktemp("wmsim-2003"), [], nhosts=2, names=["OLD-01", "NEW-01"],
                    dialects=["wsman2003", None])
    yield s
    s.process.stop()


@pytest.fixture
def fresh(sim):
    """Every host's store reloaded (and latency, failures, counters cleared)
    before and after a test that changes something."""
    sim.control.reset("*")
    yield sim
    sim.control.reset("*")


@pytest.fixture(scope="session")
def model():
    return fixturemodel.Model(FIXTURES)


@pytest.fixture
def c1(sim):
    """A client of WMSIM-01 (odd host)."""
    return sim.client(0)


@pytest.fixture
def c2(sim):
    """A client of WMSIM-02 (even host)."""
    return sim.client(1)
