"""
test_gateway_cache.py: listings answered from the gateway's answer cache
([cache], gateway/cache_listing.c), in-process and through a real
redis-server (tests/redis/start), in front of the real simulator.

The backend calls are counted by the simulator itself (its control
interface's per-action counters), so "one backend call" is what the host
saw, not what the gateway says about itself.
"""
import json
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

import gwclient
from conftest import PASSWORD, USER
from gwclient import CIMV2, TEST_NS, inst_path, list_path

REDIS_DIR = Path(__file__).resolve().parents[1] / "redis"
SERVICES = list_path("odd", CIMV2, "Win32_Service")
ITEMS = list_path("odd", TEST_NS, "Sim_AllTypes")
EDGE = inst_path("odd", TEST_NS, "Sim_AllTypes", Id="edge")


def enumerations(sim, i=0):
    """Enumerate requests host i of the fleet has answered so far."""
    return sim.control.host(sim.hosts[i].name)["counters"]["by_action"]["Enumerate"]


def cache_gateway(tmp, sim, name, cache, server=(), extra_hosts=None, env=None):
    hosts = {
        "odd": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD),
        "even": gwclient.sim_host_keys(sim.hosts[1], USER, PASSWORD),
    }
    hosts.update(extra_hosts or {})
    srv = [("workers", "2"), ("access-log", "off"), ("cursor-secret", gwclient.CURSOR_SECRET),
           ("shutdown-timeout", "2s")] + list(server)
    return gwclient.Gateway(tmp, name, srv, hosts, sections={"cache": list(cache)}, env=env).start()


def get(gw, path, headers=None, **kw):
    """A request on its own connection (safe from several threads)."""
    h = dict(gwclient.AUTH)
    h.update(headers or {})
    return requests.get(gw.url(path), headers=h, timeout=60, **kw)


def at_once(n, fn):
    """fn(0) .. fn(n-1) on n threads at the same time; their results."""
    results = [None] * n

    def one(i):
        results[i] = fn(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def follow(gw_first, gw_rest, path):
    """Pages of path: the first from gw_first, the others from gw_rest."""
    r = get(gw_first, path)
    pages = [r]
    while True:
        assert r.status_code == 200, r.text
        nxt = r.json()["next"]
        if nxt is None:
            return pages
        r = get(gw_rest, nxt)
        pages.append(r)


@pytest.fixture(scope="module")
def gw(sim, tmp_path_factory):
    g = cache_gateway(tmp_path_factory.mktemp("gw-cache"), sim, "gw-mem", [("store", "memory")],
                      extra_hosts={"odd-bob": gwclient.sim_host_keys(sim.hosts[0], "bob", "Pass word-2")})
    yield g
    g.stop()


# --- the in-process cache ------------------------------------------------------------------


def test_miss_then_hit_one_backend_call(gw, sim):
    path = SERVICES + "?select=Name,State"
    before = enumerations(sim)
    r1 = get(gw, path)
    assert r1.status_code == 200, r1.text
    assert r1.headers["X-Cache"] == "miss"
    r2 = get(gw, path)
    assert r2.status_code == 200
    assert r2.headers["X-Cache"] == "hit"
    assert int(r2.headers["Age"]) >= 0
    assert r2.content == r1.content
    assert enumerations(sim) == before + 1
    # Another selection is another question.
    r3 = get(gw, SERVICES + "?select=Name")
    assert r3.headers["X-Cache"] == "miss"
    assert enumerations(sim) == before + 2
    # NDJSON is its own answer too, and cached as well.
    nd = {"Accept": "application/x-ndjson"}
    assert get(gw, path, nd).headers["X-Cache"] == "miss"
    r4 = get(gw, path, nd)
    assert r4.headers["X-Cache"] == "hit"
    assert [json.loads(x) for x in r4.text.splitlines()] == r1.json()["items"]


def test_fresh_and_no_cache_bypass(gw, sim):
    path = SERVICES + "?filter=State%3D%27Running%27"
    assert get(gw, path).status_code == 200
    assert get(gw, path).headers["X-Cache"] == "hit"
    before = enumerations(sim)
    r = get(gw, path + "&fresh=true")
    assert r.status_code == 200 and r.headers["X-Cache"] == "miss"
    r = get(gw, path, {"Cache-Control": "no-cache"})
    assert r.status_code == 200 and r.headers["X-Cache"] == "miss"
    assert enumerations(sim) == before + 2
    # What the bypass read is stored: the next plain request is a hit.
    assert get(gw, path).headers["X-Cache"] == "hit"
    assert enumerations(sim) == before + 2


def test_query_and_associations_are_cached(gw, sim):
    body = {"namespace": CIMV2, "query": "SELECT Name FROM Win32_Service WHERE StartMode = 'Auto'"}
    h = dict(gwclient.AUTH)
    r1 = requests.post(gw.url("/v1/hosts/odd/query"), json=body, headers=h, timeout=30)
    r2 = requests.post(gw.url("/v1/hosts/odd/query"), json=body, headers=h, timeout=30)
    assert (r1.status_code, r2.status_code) == (200, 200), r1.text
    assert (r1.headers["X-Cache"], r2.headers["X-Cache"]) == ("miss", "hit")
    assert r1.content == r2.content
    body["query"] = "SELECT Name FROM Win32_Service WHERE StartMode = 'Manual'"
    r3 = requests.post(gw.url("/v1/hosts/odd/query"), json=body, headers=h, timeout=30)
    assert r3.headers["X-Cache"] == "miss" and r3.json()["items"] != r1.json()["items"]
    assoc = inst_path("odd", CIMV2, "Win32_Service", Name="WinRM") + "/associators"
    a1, a2 = get(gw, assoc), get(gw, assoc)
    assert (a1.status_code, a2.status_code) == (200, 200), a1.text
    assert (a1.headers["X-Cache"], a2.headers["X-Cache"]) == ("miss", "hit")
    assert a1.content == a2.content and len(a1.json()["items"]) > 0


def test_write_invalidates_the_host(gw, fresh):
    sim = fresh
    r = get(gw, ITEMS)
    assert r.status_code == 200, r.text
    assert get(gw, ITEMS).headers["X-Cache"] == "hit"
    other = get(gw, list_path("even", TEST_NS, "Sim_AllTypes"))
    assert other.status_code == 200
    r = gw.patch(EDGE, {"PString": "changed through the gateway"})
    assert r.status_code == 200, r.text
    after = get(gw, ITEMS)
    assert after.headers["X-Cache"] == "miss"
    edge = [x for x in after.json()["items"] if x["Id"] == "edge"]
    assert edge and edge[0]["PString"] == "changed through the gateway"
    # Only that host: the other one's entry stays.
    assert get(gw, list_path("even", TEST_NS, "Sim_AllTypes")).headers["X-Cache"] == "hit"
    # A method invocation is a write too.
    assert get(gw, SERVICES).status_code == 200
    assert get(gw, SERVICES).headers["X-Cache"] == "hit"
    r = gw.post(inst_path("odd", CIMV2, "Win32_Service", Name="Spooler") + "/methods/StopService", {})
    assert r.status_code == 200, r.text
    assert get(gw, SERVICES).headers["X-Cache"] == "miss"


def test_credentials_do_not_share_entries(gw, sim, tmp_path):
    # Two host entries for one machine, two accounts: two entries.
    path_bob = list_path("odd-bob", CIMV2, "Win32_Service")
    assert get(gw, SERVICES).status_code == 200
    before = enumerations(sim)
    r = get(gw, path_bob)
    assert r.status_code == 200, r.text
    assert r.headers["X-Cache"] == "miss"
    assert enumerations(sim) == before + 1
    # One host whose account changes (PUT /v1/hosts): the other account's
    # answers are not served; back to the first account, its entry is.
    odd = sim.hosts[0]
    path = list_path("cred", CIMV2, "Win32_Service")

    def put(user, password):
        r = gw.put("/v1/hosts/cred", {"address": odd.address, "port": odd.port, "protocol": "wsmv",
                                      "credential": {"user": user, "password": password}})
        assert r.status_code in (200, 201), r.text

    put(USER, PASSWORD)
    try:
        assert get(gw, path).headers["X-Cache"] == "miss"
        assert get(gw, path).headers["X-Cache"] == "hit"
        first = get(gw, path + "?limit=3")
        assert first.status_code == 200 and first.json()["next"]
        put("bob", "Pass word-2")
        # A snapshot read with one credential is not paged with another.
        gwclient.assert_problem(get(gw, first.json()["next"]), 410, "gone")
        before = enumerations(sim)
        r = get(gw, path)
        assert r.status_code == 200 and r.headers["X-Cache"] == "miss"
        assert enumerations(sim) == before + 1
        put(USER, PASSWORD)
        assert get(gw, path).headers["X-Cache"] == "hit"
        r = get(gw, first.json()["next"])
        assert r.status_code == 200 and r.headers["X-Cache"] == "hit"
    finally:
        gw.delete("/v1/hosts/cred")


def test_single_flight(gw, fresh):
    sim = fresh
    path = SERVICES + "?select=Name,StartMode"
    assert get(gw, SERVICES + "?fresh=true").status_code == 200  # class schema fetched already
    sim.control.latency(sim.hosts[0].name, 600)
    before = enumerations(sim)
    results = at_once(8, lambda i: get(gw, path))
    assert all(r.status_code == 200 for r in results), [r.text[:200] for r in results]
    assert len({r.content for r in results}) == 1
    assert enumerations(sim) == before + 1
    assert sorted(r.headers["X-Cache"] for r in results).count("miss") == 1


def test_pages_come_from_one_snapshot(gw, sim):
    path = SERVICES + "?select=Name,State&limit=3"
    whole = get(gw, SERVICES + "?select=Name,State&limit=1000&fresh=true").json()["items"]
    assert len(whole) > 6
    before = enumerations(sim)
    pages = follow(gw, gw, path)
    assert enumerations(sim) == before + 1
    assert [p.headers["X-Cache"] for p in pages] == ["miss"] + ["hit"] * (len(pages) - 1)
    items = [x for p in pages for x in p.json()["items"]]
    assert items == whole
    assert all(len(p.json()["items"]) == 3 for p in pages[:-1])
    # The cached first page leads to the same snapshot.
    again = follow(gw, gw, path)
    assert [p.content for p in again] == [p.content for p in pages]
    assert enumerations(sim) == before + 1
    # NDJSON pages too.
    r = get(gw, SERVICES + "?select=Name,State&limit=4", {"Accept": "application/x-ndjson"})
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert lines[:-1] == whole[:4] and "@next" in lines[-1]
    r = get(gw, lines[-1]["@next"], {"Accept": "application/x-ndjson"})
    assert r.headers["X-Cache"] == "hit"
    assert [json.loads(x) for x in r.text.splitlines()][:4] == whole[4:8]
    # A forged or foreign cursor is still refused.
    bad = pages[0].json()["next"].replace("cursor=", "cursor=x")
    gwclient.assert_problem(get(gw, bad), 400)


def test_pages_from_a_host_that_cannot_filter(sim2003, tmp_path):
    """A Windows Server 2003 R2 host: the gateway filters, projects and
    walks associations itself; its pages come from the snapshot just the
    same, with the same items as the host's own paging (fresh)."""
    from conftest import FIXTURES
    old = sim2003.hosts[0]
    hosts = {"old": [("address", old.address), ("port", old.port), ("protocol", "wsman2003"), ("user", USER),
                     ("password", PASSWORD), ("max-elements", "7")]}
    srv = [("workers", "2"), ("access-log", "off"), ("cursor-secret", gwclient.CURSOR_SECRET),
           ("class-catalogue", FIXTURES)]
    g = gwclient.Gateway(tmp_path, "gw-2003", srv, hosts, sections={"cache": [("store", "memory")]}).start()
    try:
        lists = [list_path("old", CIMV2, "Win32_Service") + "?filter=StartMode%3D%27Auto%27&select=Name&limit=3",
                 inst_path("old", CIMV2, "Win32_Service", Name="WinRM") + "/associators?limit=1"]
        for path in lists:
            cached = follow(g, g, path)
            assert [p.headers["X-Cache"] for p in cached] == ["miss"] + ["hit"] * (len(cached) - 1), path
            direct = follow(g, g, path + "&fresh=true")
            assert len(cached) == len(direct) > 1, path
            assert [x for p in cached for x in p.json()["items"]] == [x for p in direct for x in p.json()["items"]]
    finally:
        g.stop()


def test_ttl_expiry_and_rules(sim, tmp_path):
    g = cache_gateway(tmp_path, sim, "gw-ttl", [("store", "memory"), ("ttl", "1s"), ("stale", "0"),
                                                ("ttl-rule", "root/test:Sim_*=0")])
    try:
        assert get(g, SERVICES).headers["X-Cache"] == "miss"
        assert get(g, SERVICES).headers["X-Cache"] == "hit"
        time.sleep(1.3)
        assert get(g, SERVICES).headers["X-Cache"] == "miss"
        # The rule: never stored.
        assert get(g, ITEMS).headers["X-Cache"] == "miss"
        assert get(g, ITEMS).headers["X-Cache"] == "miss"
    finally:
        g.stop()


def test_stale_answer_while_one_request_refreshes(sim, tmp_path):
    g = cache_gateway(tmp_path, sim, "gw-stale", [("store", "memory"), ("ttl", "1s"), ("stale", "60s")])
    path = SERVICES + "?select=Name,Status"
    try:
        first = get(g, path)
        assert first.headers["X-Cache"] == "miss"
        time.sleep(1.3)
        sim.control.latency(sim.hosts[0].name, 1500)
        try:
            refresher = threading.Thread(target=lambda: results.append(get(g, path)))
            results = []
            refresher.start()
            time.sleep(0.4)
            t0 = time.monotonic()
            r = get(g, path)
            quick = time.monotonic() - t0
            refresher.join()
        finally:
            sim.control.clear(sim.hosts[0].name)
        assert r.status_code == 200 and r.headers["X-Cache"] == "stale"
        assert r.content == first.content and int(r.headers["Age"]) >= 1
        assert quick < 1.0, quick
        assert results[0].headers["X-Cache"] == "miss"
        assert get(g, path).headers["X-Cache"] == "hit"
    finally:
        g.stop()


def test_large_answers_stream_past_the_cache(sim, tmp_path):
    g = cache_gateway(tmp_path, sim, "gw-small", [("store", "memory"), ("max-entry-size", "1KiB"),
                                                  ("max-snapshot-size", "1KiB")])
    try:
        nd = {"Accept": "application/x-ndjson"}
        before = enumerations(sim)
        r1, r2 = get(g, SERVICES, nd), get(g, SERVICES, nd)
        assert len(r1.content) > 4096
        assert (r1.headers["X-Cache"], r2.headers["X-Cache"]) == ("miss", "miss")
        assert r1.content == r2.content
        assert enumerations(sim) == before + 2
        # A small answer still is cached.
        small = SERVICES + "?select=Name&filter=Name%3D%27WinRM%27"
        assert get(g, small).headers["X-Cache"] == "miss"
        assert get(g, small).headers["X-Cache"] == "hit"
        # A paged listing larger than a snapshot cannot be paged from one:
        # 413, and asked fresh it is paged by the host as without a cache.
        gwclient.assert_problem(get(g, SERVICES + "?limit=3"), 413, "too-large")
        pages = follow(g, g, SERVICES + "?limit=3&fresh=true")
        items = [x for p in pages for x in p.json()["items"]]
        assert [json.loads(x) for x in r1.text.splitlines()] == items
    finally:
        g.stop()


def test_cache_off_from_the_environment(sim, tmp_path):
    g = cache_gateway(tmp_path, sim, "gw-off", [("store", "memory")], env={"WMGW_CACHE_STORE": "off"})
    try:
        r = get(g, SERVICES)
        assert r.status_code == 200 and "X-Cache" not in r.headers
    finally:
        g.stop()


@pytest.mark.parametrize("cache, message", [
    ([("store", "disk")], "[cache] store: want memory, redis or off"),
    ([("store", "redis")], "[cache] store = redis: set redis"),
    ([("ttl-rule", "root/cimv2=10s")], "ttl-rule"),
    ([("ttl-rule", "root/cimv2:Win32_*=soon")], "ttl-rule"),
    ([("memory-limit", "12")], "memory-limit"),
])
def test_bad_cache_configuration_is_refused(tmp_path, cache, message):
    conf = gwclient.write_config(tmp_path / "bad.ini", [("listen", "127.0.0.1:1")], {}, sections={"cache": cache})
    p = subprocess.run([gwclient.WMGW, "--check-config", "--config", str(conf)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert message in p.stderr


def test_demo_shows_miss_then_hit(tmp_path):
    g = gwclient.demo_gateway(tmp_path, "gw-demo")
    try:
        path = list_path("dc01", CIMV2, "Win32_Service")
        r1 = g.get(path)
        assert r1.status_code == 200, r1.text
        r2 = g.get(path)
        assert (r1.headers["X-Cache"], r2.headers["X-Cache"]) == ("miss", "hit")
        assert r1.content == r2.content
    finally:
        g.stop()


# --- Redis: replicas sharing one cache ---------------------------------------------------------


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    d = tmp_path_factory.mktemp("redis")
    p = subprocess.run([str(REDIS_DIR / "start"), str(d)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    port = int(p.stdout.strip())
    yield d, port
    subprocess.run([str(REDIS_DIR / "stop"), str(d), str(port)], timeout=60)


@pytest.fixture(scope="module")
def replicas(sim, redis, tmp_path_factory):
    d, port = redis
    tmp = tmp_path_factory.mktemp("gw-redis")
    cache = [("store", "redis"), ("redis", "127.0.0.1:%d" % port), ("prefix", "wmgw-test:")]
    a = cache_gateway(tmp, sim, "gw-a", cache)
    b = cache_gateway(tmp, sim, "gw-b", cache)
    yield a, b
    a.stop()
    b.stop()


def test_replicas_share_answers(replicas, sim):
    a, b = replicas
    path = SERVICES + "?select=Name,Started"
    before = enumerations(sim)
    r1 = get(a, path)
    assert r1.status_code == 200, r1.text
    assert r1.headers["X-Cache"] == "miss"
    r2 = get(b, path)
    assert r2.headers["X-Cache"] == "hit"
    assert r2.content == r1.content
    assert enumerations(sim) == before + 1


def test_write_through_one_replica_seen_through_the_other(replicas, fresh):
    a, b = replicas
    assert get(b, ITEMS).status_code == 200
    assert get(b, ITEMS).headers["X-Cache"] == "hit"
    r = a.patch(EDGE, {"PString": "written through A"})
    assert r.status_code == 200, r.text
    r = get(b, ITEMS)
    assert r.headers["X-Cache"] == "miss"
    assert [x["PString"] for x in r.json()["items"] if x["Id"] == "edge"] == ["written through A"]


def test_cursor_begun_on_one_replica_continued_on_the_other(replicas, sim):
    a, b = replicas
    path = SERVICES + "?select=Name,ProcessId&limit=4"
    whole = get(a, SERVICES + "?select=Name,ProcessId&limit=1000&fresh=true").json()["items"]
    before = enumerations(sim)
    pages = follow(a, b, path)
    assert len(pages) > 2
    assert [p.headers["X-Cache"] for p in pages] == ["miss"] + ["hit"] * (len(pages) - 1)
    assert [x for p in pages for x in p.json()["items"]] == whole
    assert enumerations(sim) == before + 1


def test_single_flight_across_replicas(replicas, fresh):
    a, b = replicas
    sim = fresh
    path = SERVICES + "?select=Name,Description"
    assert get(a, SERVICES + "?fresh=true").status_code == 200
    assert get(b, SERVICES + "?fresh=true").status_code == 200
    sim.control.latency(sim.hosts[0].name, 600)
    before = enumerations(sim)
    results = at_once(8, lambda i: get(a if i % 2 else b, path))
    assert all(r.status_code == 200 for r in results), [r.text[:200] for r in results]
    assert len({r.content for r in results}) == 1
    assert enumerations(sim) == before + 1


class Load:
    """Listings asked of the gateways in turn on a thread until stopped:
    every answer's time and X-Cache, and every failure."""

    def __init__(self, gws, paths):
        self.gws, self.paths = gws, paths
        self.seen, self.failures, self.stop = [], [], threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stop.is_set():
            g = self.gws[i % len(self.gws)]
            try:
                r = get(g, self.paths[i % len(self.paths)])
                if r.status_code != 200:
                    self.failures.append((r.status_code, r.text[:300]))
                else:
                    r.json()  # complete
                    self.seen.append((time.monotonic(), r.headers.get("X-Cache")))
            except Exception as e:  # a reset connection or a truncated body
                self.failures.append(repr(e))
            i += 1

    def since(self, t):
        return [x for when, x in self.seen if when > t]

    def wait_for_hit(self, t, seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and "hit" not in self.since(t):
            time.sleep(0.2)
        return "hit" in self.since(t)

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.failures


LOAD_PATHS = [SERVICES + "?select=Name&limit=5", SERVICES + "?select=State",
              list_path("even", CIMV2, "Win32_Service")]


def test_redis_killed_and_restarted_no_request_fails(replicas, redis, sim):
    a, b = replicas
    d, port = redis
    load = Load([b, a], LOAD_PATHS)
    try:
        time.sleep(1.0)
        subprocess.run([str(REDIS_DIR / "stop"), str(d), str(port)], check=True, timeout=60)
        killed = time.monotonic()
        time.sleep(2.5)
        down = load.since(killed + 1.0)
        assert down and all(x == "miss" for x in down), down[-10:]
        # Ready (slower, not failing), with the cache's state as detail and in the metrics.
        r = a.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["cache"]["store"] == "redis" and r.json()["cache"]["state"] != "up", r.text
        assert "lastError" in r.json()["cache"], r.text
        m = a.get("/metrics")
        assert m.status_code == 200 and m.headers["Content-Type"].startswith("text/plain"), m.text
        assert 'wmgw_cache_up{store="redis"} 0' in m.text, m.text
        p = subprocess.run([str(REDIS_DIR / "start"), str(d), str(port)], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr
        assert load.wait_for_hit(time.monotonic()), "the cache never came back"
        deadline = time.monotonic() + 20   # each worker reconnects on its own backoff
        while a.get("/readyz").json()["cache"]["state"] != "up" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert a.get("/readyz").json()["cache"]["state"] == "up"
        m = a.get("/metrics", headers={"Accept": "text/plain"})
        assert 'wmgw_cache_up{store="redis"} 1' in m.text and "wmgw_cache_reconnects_total" in m.text, m.text
        hits = [l for l in m.text.splitlines() if l.startswith('wmgw_cache_lookups_total{outcome="hit"}')]
        assert hits and int(hits[0].split()[-1]) > 0, m.text
    finally:
        failures = load.finish()
    assert not failures, failures[:5]


def test_sentinel_failover_no_request_fails(sim, tmp_path):
    d = tmp_path / "sentinel"
    p = subprocess.run([str(REDIS_DIR / "start-sentinel"), str(d), "wmgw-master"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    master, replica, sentinel = (int(x) for x in p.stdout.split())
    g = None
    try:
        g = cache_gateway(tmp_path, sim, "gw-sentinel", [("store", "redis"), ("sentinel", "127.0.0.1:%d" % sentinel),
                                                         ("sentinel-master", "wmgw-master")])
        path = SERVICES + "?select=Name,ServiceType"
        assert get(g, path).headers["X-Cache"] == "miss"
        assert get(g, path).headers["X-Cache"] == "hit"
        load = Load([g], LOAD_PATHS)
        try:
            time.sleep(0.5)
            subprocess.run([str(REDIS_DIR / "stop"), str(d), str(master)], check=True, timeout=60)
            # The sentinel promotes the replica; the gateway finds it through the sentinel.
            assert load.wait_for_hit(time.monotonic() + 1.0, seconds=30), "no hit after the failover"
        finally:
            failures = load.finish()
        assert not failures, failures[:5]
    finally:
        if g is not None:
            g.stop()
        subprocess.run([str(REDIS_DIR / "stop"), str(d)], timeout=60)


# --- callers: vault credentials and authorization -----------------------------------------------


def test_vault_credentials_and_authorization(tmp_path):
    """Two callers mapped to two vault credentials for one host never share
    an entry; a rotated credential starts afresh; a caller the policy
    denies gets 403, not another caller's cached answer."""
    import base64
    import secrets

    from conftest import start_fleet

    def token():
        t = "wmgw_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        return t, __import__("hashlib").sha256(t.encode()).hexdigest()

    (admin, admin_h), (oper, oper_h), (guest, guest_h) = token(), token(), token()
    guest_sid = "S-1-5-21-9-9-9-1002"
    (tmp_path / "sim").mkdir()
    fleet = start_fleet(tmp_path / "sim", ["--user", "svc-a:Pw-A-1", "--user", "svc-b:Pw-B-2"], nhosts=1)
    sections = {
        "cache": [("store", "memory")],
        "security": [("vault", str(tmp_path / "vault.json"))],
        "principal admin": [("sid", "S-1-5-21-9-9-9-500"), ("groups", "BA"), ("token-hash", admin_h)],
        "principal oper": [("sid", "S-1-5-21-9-9-9-1001"), ("token-hash", oper_h)],
        "principal guest": [("sid", guest_sid), ("token-hash", guest_h)],
        "policy everything": [("hosts", "*"), ("namespaces", "*"),
                              ("sddl", "D:(D;;GA;;;%s)(A;;GA;;;AU)" % guest_sid)],
    }
    hosts = {"web": gwclient.sim_host_keys(fleet.hosts[0], USER, PASSWORD, groups="web")}
    g = gwclient.Gateway(tmp_path, "gw-vault", [("access-log", "off")], hosts, sections=sections, auth=False,
                         env={"WMGW_VAULT_KEY": base64.b64encode(secrets.token_bytes(32)).decode()})
    g.start()

    def as_(tok, method, path, body=None):
        return g.request(method, path, body=body, headers={"Authorization": "Bearer " + tok})

    def count():
        return fleet.control.host(fleet.hosts[0].name)["counters"]["by_action"]["Enumerate"]

    try:
        for cid, user, pw in (("cred-a", "svc-a", "Pw-A-1"), ("cred-b", "svc-b", "Pw-B-2")):
            r = as_(admin, "POST", "/v1/credentials", {"id": cid, "kind": "password", "user": user, "password": pw})
            assert r.status_code == 201, r.text
        r = as_(admin, "POST", "/v1/credential-mappings",
                {"subjectType": "principal", "subject": "oper", "hostGroup": "web", "credential": "cred-a"})
        assert r.status_code == 201, r.text
        path = list_path("web", CIMV2, "Win32_Service")
        n = count()
        assert as_(admin, "GET", path).headers["X-Cache"] == "miss"
        assert as_(admin, "GET", path).headers["X-Cache"] == "hit"
        r = as_(oper, "GET", path)
        assert r.status_code == 200, r.text
        assert r.headers["X-Cache"] == "miss"      # another credential: another entry
        assert as_(oper, "GET", path).headers["X-Cache"] == "hit"
        assert count() == n + 2
        # A rotation is a new credential version: nothing read with the old one is served.
        r = as_(admin, "PUT", "/v1/credentials/cred-a", {"password": "Pw-A-1"})
        assert r.status_code == 200, r.text
        assert as_(oper, "GET", path).headers["X-Cache"] == "miss"
        assert as_(admin, "GET", path).headers["X-Cache"] == "hit"
        # The policy still decides: a query (its namespace is in the body) cached
        # for the administrator is refused to the denied caller.
        q = {"namespace": CIMV2, "query": "SELECT Name FROM Win32_Service"}
        assert as_(admin, "POST", "/v1/hosts/web/query", q).headers["X-Cache"] == "miss"
        assert as_(admin, "POST", "/v1/hosts/web/query", q).headers["X-Cache"] == "hit"
        r = as_(guest, "POST", "/v1/hosts/web/query", q)
        assert r.status_code == 403, r.text
        assert "items" not in r.text
    finally:
        g.stop()
        fleet.process.stop()
