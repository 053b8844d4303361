"""
The same REST calls against one simulated Windows host reached over MS-WSMV,
over the Windows Server 2003 R2 dialect (MS-WSMAN) and over WMI/DCOM give the
same answers: the issue "[3] The Windows Server 2003 R2 dialect", gateway
half, with the third column of issue "[4] WMI over DCOM".

Three wmsim processes serve one host each, all named MATRIX on 127.0.0.1
(so all stores are built from the same variables: the same data): one in
each WS-Management dialect and one speaking DCOM only (its activation port
a free one, its object exporter on a dynamic port).  The gateway knows them
as `wsmv`, `w2003` and `dcom` (configured) and as `auto-wsmv` and
`auto-2003` (protocol auto).  Every answer body must be byte for byte the
same once what names the host is set aside (links, "@host", a problem's
"host" and "instance", cursor tokens) and, in a problem, `backend`: the
host's own error in its own protocol's words.  Over DCOM a problem's
`detail` is the host's too (the HRESULT's name where WS-Management has the
fault's Reason), so only status, type and title must match there.  Where
the 2003 dialect cannot do something the gateway does it (WHERE, SELECT,
associations, class schemas from the catalogue) or answers 405 (create,
delete); DCOM does it all itself, as MS-WSMV does.

Run: /usr/bin/python3 -m pytest tests/python/test_gateway_matrix.py
"""
import json
import time
import urllib.parse
from pathlib import Path

import pytest

import gwclient
from conftest import FIXTURES, PASSWORD, USER, Control, SimProcess
from gwclient import CIMV2, TEST_NS, class_path, follow, host_neutral, inst_path, list_path

PAIR = ("wsmv", "w2003", "dcom")  # the columns: every call on each, compared with the first
PROTOCOL = {"wsmv": "wsmv", "w2003": "wsman2003", "dcom": "dcom"}
q = urllib.parse.quote


class Twin:
    """One simulated host in one dialect: its process, port and control."""

    def __init__(self, tmp, dialect):
        last = None
        for attempt in range(5):
            self.port, cport = gwclient.free_port(), gwclient.free_port()
            if dialect == "dcom":  # DCOM only: self.port is its activation port
                listen = "127.0.0.1,name=MATRIX,dcom=%d" % self.port
            else:
                listen = "127.0.0.1:%d,name=MATRIX,dialect=%s" % (self.port, dialect)
            args = ["--listen", listen, "--user", "%s:%s" % (USER, PASSWORD), "--control", "127.0.0.1:%d" % cport]
            try:
                self.process = SimProcess(args, str(tmp / ("wmsim-%s-%d.log" % (dialect, attempt))))
            except RuntimeError as e:
                last = e
                continue
            self.control = Control("http://127.0.0.1:%d" % cport)
            return
        raise last

    def counters(self):
        return self.control.host("MATRIX")["counters"]


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix-sim")
    t = {"wsmv": Twin(tmp, "wsmv"), "w2003": Twin(tmp, "wsman2003"), "dcom": Twin(tmp, "dcom")}
    yield t
    for x in t.values():
        x.process.stop()


def host_keys(port, protocol=None):
    kv = [("address", "127.0.0.1"), ("port", port), ("user", USER), ("password", PASSWORD)]
    return kv + ([("protocol", protocol)] if protocol else [])


def matrix_gateway(tmp, twins, name="gw-matrix"):
    hosts = {
        "wsmv": host_keys(twins["wsmv"].port, "wsmv"),
        "w2003": host_keys(twins["w2003"].port, "wsman2003"),
        "dcom": host_keys(twins["dcom"].port, "dcom"),
        "auto-wsmv": host_keys(twins["wsmv"].port),    # protocol: the default, auto
        "auto-2003": host_keys(twins["w2003"].port),
    }
    # Many calls a second on one connection: above the rapid-reset guard's default.
    server = [("workers", "2"), ("access-log", str(Path(tmp) / "access.log")), ("class-catalogue", FIXTURES),
              ("cursor-secret", gwclient.CURSOR_SECRET), ("max-requests-per-connection-second", "100000")]
    # Small batches: the gateway's own filtering meets batch ends mid-page.
    return gwclient.Gateway(tmp, name, server, hosts, backend=[("max-elements", "7")]).start()


@pytest.fixture(scope="module")
def gw(twins, tmp_path_factory):
    g = matrix_gateway(tmp_path_factory.mktemp("gw-matrix"), twins)
    yield g
    g.stop()


@pytest.fixture
def fresh(twins):
    """Both stores reloaded before and after a test that writes."""
    for t in twins.values():
        t.control.reset("MATRIX")
    yield twins
    for t in twins.values():
        t.control.reset("MATRIX")


# --- comparing ------------------------------------------------------------------------------


def both(gw, method, path, body=None, headers=None):
    """The call on each host of PAIR (all three columns); path has "{host}"
    for the host's name."""
    return [gw.request(method, path.replace("{host}", h), body=body, headers=headers) for h in PAIR]


def neutral_problem(r, host):
    p = json.loads(host_neutral(r.text, host))
    backend = p.pop("backend", None)
    if backend is not None:  # the host's own words: only its protocol is ours to check
        assert backend.get("protocol") == PROTOCOL[host], backend
    if PROTOCOL[host] == "dcom" and backend is not None:
        p.pop("detail", None)  # the HRESULT named, where WS-Management has its Reason
    assert p.pop("requestId") == r.headers["X-Request-Id"]
    return p


def assert_same(responses):
    """Same status, same media type, same body (host set aside), each column
    against the first."""
    ra, ha = responses[0], PAIR[0]
    for rb, hb in zip(responses[1:], PAIR[1:]):
        assert ra.status_code == rb.status_code, (hb, ra.status_code, ra.text[:1500], rb.status_code, rb.text[:1500])
        assert ra.headers.get("Content-Type") == rb.headers.get("Content-Type"), hb
        if ra.headers.get("Content-Type", "").startswith("application/problem+json"):
            pa, pb = neutral_problem(ra, ha), neutral_problem(rb, hb)
            if "detail" not in pb:  # the DCOM host's own words (neutral_problem)
                pa.pop("detail", None)
            assert pa == pb, (hb, pa, pb)
            continue
        ta, tb = host_neutral(ra.text, ha), host_neutral(rb.text, hb)
        assert ta == tb, "\n%s:  %s\n%s: %s" % (ha, ta[:3000], hb, tb[:3000])


def assert_same_pages(gw, method, path, body=None, headers=None):
    """Follows `next` on both hosts in step; every page the same.  Returns the
    items of the wsmv host, all pages."""
    pages = [follow(gw, method, path.replace("{host}", h), body=body, headers=headers) for h in PAIR]
    assert len(set(len(p) for p in pages)) == 1, [len(p) for p in pages]
    for column in zip(*pages):
        assert_same(list(column))
    return [i for p in pages[0] if p.status_code == 200 for i in p.json()["items"]]


# --- protocol detection ---------------------------------------------------------------------------


def test_auto_detects_each_kind_of_host(gw):
    r = gw.get("/v1/hosts/auto-wsmv")
    assert r.status_code == 200 and r.json()["protocol"] == "auto"
    assert r.json()["detectedProtocol"] == "wsmv"
    r = gw.get("/v1/hosts/auto-2003")
    assert r.status_code == 200 and r.json()["protocol"] == "auto"
    assert r.json()["detectedProtocol"] == "wsman2003"
    assert r.json()["identity"]["protocolVersion"] == "http://schemas.xmlsoap.org/ws/2005/06/management"
    hosts = {h["name"]: h for h in gw.get("/v1/hosts").json()["items"]}
    assert {n: (h["protocol"], h.get("detectedProtocol")) for n, h in hosts.items()} == {
        "auto-2003": ("auto", "wsman2003"), "auto-wsmv": ("auto", "wsmv"),
        "w2003": ("wsman2003", "wsman2003"), "wsmv": ("wsmv", "wsmv"), "dcom": ("dcom", "dcom")}


def test_detection_comes_before_the_first_call(twins, tmp_path):
    """A fresh gateway whose first call to an auto host is a filtered
    listing: it identifies the host first, and answers as the configured
    2003 host does."""
    g = matrix_gateway(tmp_path, twins, name="gw-detect")
    try:
        hosts = {h["name"]: h for h in g.get("/v1/hosts").json()["items"]}
        assert "detectedProtocol" not in hosts["auto-2003"] and "detectedProtocol" not in hosts["auto-wsmv"]
        path = listing_path(CIMV2, "Win32_Service", "State = 'Running'", "Name", 4)
        for auto, configured in (("auto-2003", "w2003"), ("auto-wsmv", "wsmv")):
            ra = g.get(path.replace("{host}", auto))
            rc = g.get(path.replace("{host}", configured))
            assert ra.status_code == 200, ra.text
            assert host_neutral(ra.text, auto) == host_neutral(rc.text, configured)
        hosts = {h["name"]: h for h in g.get("/v1/hosts").json()["items"]}
        assert hosts["auto-2003"]["detectedProtocol"] == "wsman2003"
        assert hosts["auto-wsmv"]["detectedProtocol"] == "wsmv"
    finally:
        g.stop()


# --- reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("ns,cls,keys", [
    (CIMV2, "Win32_Service", {"Name": "WinRM"}),
    (CIMV2, "Win32_SystemDriver", {"Name": "HTTP"}),
    (CIMV2, "Win32_Environment", {"Name": "TEMP", "UserName": "<SYSTEM>"}),
    (CIMV2, "Win32_LogicalDisk", {"DeviceID": "D:"}),
    (TEST_NS, "Sim_AllTypes", {"Id": "edge"}),
    (TEST_NS, "Sim_AllTypes", {"Id": "big"}),
    (TEST_NS, "Sim_Link", {"Left": "root/test:Sim_Item.Id=1", "Right": "root/test:Sim_Item.Id=2"}),
])
def test_get_instance(gw, ns, cls, keys):
    r = both(gw, "GET", inst_path("{host}", ns, cls, **keys))
    assert r[0].status_code == 200, r[0].text
    assert_same(r)


def test_get_singleton(gw):
    assert_same(both(gw, "GET", list_path("{host}", CIMV2, "Win32_OperatingSystem")))


def fixture_class(ns, name):
    for f in sorted(Path(FIXTURES).glob("*.json")):
        d = json.loads(f.read_text())
        if d["namespace"].lower() != ns.lower():
            continue
        for c in d.get("classes", []):
            if c["name"].lower() == name.lower():
                return c
    raise KeyError(name)


def fixture_default(ns, cls, prop):
    c = fixture_class(ns, cls)
    while True:
        for p in c.get("properties", []):
            if p["name"] == prop and "default" in p:
                return p["default"]
        if not c.get("superclass"):
            return None
        c = fixture_class(ns, c["superclass"])


SCHEMA_CLASSES = [(CIMV2, c) for c in ("Win32_Service", "Win32_BaseService", "Win32_Process", "Win32_Environment",
                                       "Win32_LogicalDisk", "Win32_OperatingSystem", "Win32_DependentService",
                                       "CIM_Dependency")] + [(TEST_NS, c) for c in ("Sim_AllTypes", "Sim_Item",
                                                                                   "Sim_Link", "Sim_Bench")]


@pytest.mark.parametrize("ns,cls", SCHEMA_CLASSES)
def test_class_schema(gw, ns, cls):
    """The 2003 host's schema comes from the class catalogue, the WSMV
    host's from the host itself: both are the fixture's class, byte for byte."""
    assert_same(both(gw, "GET", class_path("{host}", ns, cls)))


def test_class_missing_from_the_catalogue_is_404(gw):
    r = gw.get(class_path("w2003", CIMV2, "Win32_NoSuchClass"))
    p = gwclient.assert_problem(r, 404, "not-found", host="w2003")
    assert "class catalogue" in p["detail"] and FIXTURES in p["detail"], p
    assert "backend" not in p, p  # the gateway's answer, not the host's
    assert gw.get(list_path("w2003", CIMV2, "Win32_NoSuchClass")).status_code == 404


# --- listings: WHERE and SELECT, paging ---------------------------------------------------------------

LISTINGS = [
    (CIMV2, "Win32_Service", "State = 'Running'", "Name,State,StartMode"),
    (CIMV2, "Win32_Service", "StartMode <> 'Disabled' AND (Name LIKE 'W%' OR Name LIKE 'r[a-p]%')", None),
    (CIMV2, "Win32_Service", "__this ISA 'Win32_BaseService' AND NOT State = 'Running'", "Name"),
    (CIMV2, "Win32_Service", "Name = 'no such service'", None),
    (CIMV2, "Win32_Service", None, "DisplayName"),
    (CIMV2, "Win32_Service", None, None),
    (CIMV2, "Win32_Process", "WorkingSetSize > 10000000", "Name,WorkingSetSize,CreationDate"),
    (CIMV2, "Win32_Environment", "UserName = '<SYSTEM>' OR VariableValue IS NULL", None),
    (CIMV2, "Win32_LogicalDisk", "Size > 100000000000", "Size,FreeSpace"),
    (CIMV2, "Win32_DependentService", "TypeOfDependency = 3", None),
    (TEST_NS, "Sim_AllTypes", "PDatetime > '2020-01-01T00:00:00Z'", "PDatetime,PInterval,AUint64"),
    (TEST_NS, "Sim_Bench", "Id >= 100 AND Id < 137", None),
    (TEST_NS, "Sim_Item", "Label LIKE '%e%'", "Tags"),
]


def listing_path(ns, cls, where, select, limit=None):
    params = []
    if where is not None:
        params.append("filter=" + q(where))
    if select is not None:
        params.append("select=" + select)
    if limit is not None:
        params.append("limit=%d" % limit)
    return list_path("{host}", ns, cls) + ("?" + "&".join(params) if params else "")


@pytest.mark.parametrize("ns,cls,where,select", LISTINGS)
@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_listing_pages(gw, ns, cls, where, select, limit):
    """Every page the same on both hosts, and together every match exactly
    once: the same items as one page holding them all."""
    items = assert_same_pages(gw, "GET", listing_path(ns, cls, where, select, limit))
    for host in PAIR:
        whole = gw.get(listing_path(ns, cls, where, select, 10000).replace("{host}", host))
        assert whole.status_code == 200 and whole.json()["next"] is None
        pages = follow(gw, "GET", listing_path(ns, cls, where, select, limit).replace("{host}", host))
        assert all(p.status_code == 200 for p in pages), [p.text for p in pages if p.status_code != 200]
        paged = [json.dumps(i) for p in pages for i in p.json()["items"]]
        assert paged == [json.dumps(i) for i in whole.json()["items"]]
        assert len(set(paged)) == len(paged)
    assert len(items) == len(whole.json()["items"])


def test_listings_are_not_trivial(gw):
    """The matrix above compares real work: filters that keep some items and
    drop others."""
    n = {}
    for ns, cls, where, select in LISTINGS:
        got = gw.get(listing_path(ns, cls, where, select, 10000).replace("{host}", "w2003")).json()["items"]
        alls = gw.get(listing_path(ns, cls, None, None, 10000).replace("{host}", "w2003")).json()["items"]
        n[(cls, where)] = (len(got), len(alls))
    assert n[("Win32_Service", "State = 'Running'")][0] > 3
    assert sum(1 for got, alls in n.values() if 0 < got < alls) >= 8, n


def test_projection_keeps_keys_and_selected(gw):
    r = gw.get(listing_path(CIMV2, "Win32_Service", "State = 'Running'", "StartMode", 5).replace("{host}", "w2003"))
    for item in r.json()["items"]:
        assert set(item) == {"@id", "@class", "@namespace", "@host", "Name", "StartMode"}


@pytest.mark.parametrize("limit", [None, 1, 4])
def test_ndjson(gw, limit):
    path = listing_path(CIMV2, "Win32_Service", "StartMode = 'Auto'", "Name,ProcessId", limit)
    r = both(gw, "GET", path, headers={"Accept": "application/x-ndjson"})
    assert r[0].headers["Content-Type"].startswith("application/x-ndjson")
    assert_same(r)
    last = json.loads(r[1].text.splitlines()[-1])
    assert ("@next" in last) == (limit is not None)
    if limit is not None:  # and the stream goes on from there
        assert_same([gw.get(json.loads(x.text.splitlines()[-1])["@next"], headers={"Accept": "application/x-ndjson"})
                     for x in r])


def test_a_cursor_stays_with_its_kind_of_listing(gw):
    """A cursor of the gateway's own paging is not a backend's, and the
    reverse: both 4xx, never another listing's items."""
    path = listing_path(CIMV2, "Win32_Service", "State = 'Running'", None, 2)
    nxt = {h: gw.get(path.replace("{host}", h)).json()["next"] for h in PAIR}
    cursor = {h: urllib.parse.parse_qs(urllib.parse.urlparse(n).query)["cursor"][0] for h, n in nxt.items()}
    # The token is bound to the host's name: another host's is 400.
    r = gw.get(list_path("w2003", CIMV2, "Win32_Service") + "?cursor=" + cursor["wsmv"])
    gwclient.assert_problem(r, 400, "bad-request", host="w2003")


# --- WQL queries and associations -------------------------------------------------------------------------

QUERIES = [
    (CIMV2, "SELECT * FROM Win32_Service WHERE State = 'Stopped'"),
    (CIMV2, "SELECT Name, ProcessId FROM Win32_Process WHERE Name LIKE '%svc%' OR ProcessId < 600"),
    (CIMV2, "SELECT Name FROM Win32_BaseService WHERE StartMode = 'Manual'"),
    (CIMV2, "SELECT * FROM Win32_LogicalDisk"),
    (CIMV2, "ASSOCIATORS OF {Win32_Service.Name=\"RpcSs\"}"),
    (CIMV2, "ASSOCIATORS OF {Win32_Service.Name='WinRM'} WHERE ResultClass = Win32_SystemDriver"),
    (CIMV2, "ASSOCIATORS OF {Win32_Service.Name='WinRM'} WHERE AssocClass = CIM_Dependency ResultRole = Antecedent"),
    (CIMV2, "REFERENCES OF {Win32_Service.Name='RpcSs'} WHERE Role = Antecedent"),
    (CIMV2, "REFERENCES OF {Win32_Service.Name='nosuch'}"),
    (TEST_NS, "ASSOCIATORS OF {Sim_Item.Id=2}"),
    (TEST_NS, "REFERENCES OF {Sim_Item.Id=1} WHERE ResultClass = Sim_Link"),
]


@pytest.mark.parametrize("ns,query", QUERIES)
@pytest.mark.parametrize("limit", [2, 100])
def test_query(gw, ns, query, limit):
    items = assert_same_pages(gw, "POST", "/v1/hosts/{host}/query?limit=%d" % limit,
                              body={"namespace": ns, "query": query})
    if "nosuch" not in query:
        assert items, query


ASSOCIATIONS = [
    (CIMV2, "Win32_Service", {"Name": "RpcSs"}, "associators", ""),
    (CIMV2, "Win32_Service", {"Name": "RpcSs"}, "associators", "role=Antecedent&resultClass=Win32_Service"),
    (CIMV2, "Win32_Service", {"Name": "WinRM"}, "associators",
     "assocClass=Win32_DependentService&resultRole=Antecedent"),
    (CIMV2, "Win32_Service", {"Name": "WinRM"}, "references", ""),
    (CIMV2, "Win32_Service", {"Name": "RpcSs"}, "references", "role=Antecedent"),
    (CIMV2, "Win32_SystemDriver", {"Name": "HTTP"}, "associators", "resultClass=Win32_BaseService"),
    (TEST_NS, "Sim_Item", {"Id": 2}, "associators", ""),
    (TEST_NS, "Sim_Item", {"Id": 2}, "references", "role=Right"),
    (TEST_NS, "Sim_Item", {"Id": 3}, "associators", "resultRole=Left"),
]


@pytest.mark.parametrize("ns,cls,keys,what,params", ASSOCIATIONS)
@pytest.mark.parametrize("limit", [1, 2, 100])
def test_associations(gw, ns, cls, keys, what, params, limit):
    path = inst_path("{host}", ns, cls, **keys) + "/%s?%slimit=%d" % (what, params + "&" if params else "", limit)
    items = assert_same_pages(gw, "GET", path)
    assert items
    ids = [i["@id"] for i in items]
    assert len(ids) == len(set(ids)), "each result once"


# --- writing and methods --------------------------------------------------------------------------------


def test_patch_and_put(gw, fresh):
    env = inst_path("{host}", CIMV2, "Win32_Environment", Name="TEMP", UserName="<SYSTEM>")
    r = both(gw, "PATCH", env, body={"VariableValue": "D:\\tmp"})
    assert r[0].status_code == 200, r[0].text
    assert_same(r)
    assert_same(both(gw, "GET", env))
    r = both(gw, "PUT", env, body={"VariableValue": "E:\\tmp"})
    assert r[0].status_code == 200, r[0].text
    assert_same(r)
    # If-Match with the ETag of each host's own answer.
    etags = {h: gw.get(env.replace("{host}", h)).headers["ETag"] for h in PAIR}
    r = [gw.patch(env.replace("{host}", h), {"VariableValue": "F:\\tmp"}, headers={"If-Match": etags[h]}) for h in PAIR]
    assert_same(r)
    r = [gw.patch(env.replace("{host}", h), {"VariableValue": "G:\\tmp"}, headers={"If-Match": etags[h]}) for h in PAIR]
    assert r[0].status_code == 412
    assert_same(r)
    assert_same(both(gw, "PATCH", env, body={"Name": "x"}))             # a key: 400
    assert_same(both(gw, "PATCH", inst_path("{host}", TEST_NS, "Sim_AllTypes", Id="edge"),
                     body={"PUint64": "18446744073709551615", "PDatetime": "2024-01-31T23:59:59.123456-05:00",
                           "PInterval": "P1DT2H3M4.5S", "AString": ["a", "b"], "PReal64": "NaN"}))


def test_methods(gw, fresh):
    svc = inst_path("{host}", CIMV2, "Win32_Service", Name="Spooler")
    r = both(gw, "POST", svc + "/methods/StopService")
    assert r[0].status_code == 200 and r[0].json()["ReturnValue"] == 0, r[0].text
    assert_same(r)
    assert_same(both(gw, "GET", svc))
    assert_same(both(gw, "POST", svc + "/methods/StopService"))             # already stopped
    r = both(gw, "POST", class_path("{host}", CIMV2, "Win32_Process") + "/methods/Create",
             body={"CommandLine": "notepad.exe"})
    assert r[0].status_code == 200 and "ProcessId" in r[0].json(), r[0].text
    assert_same(r)
    assert_same(both(gw, "POST", class_path("{host}", TEST_NS, "Sim_AllTypes") + "/methods/Echo",
                     body={"PString": "x", "PUint64": "18446744073709551615", "PSint8": -128,
                           "PDatetime": "2024-01-31T23:59:59.123456-05:00", "PInterval": "P1DT2H3M4.5S",
                           "ABool": [True, False], "PChar16": "é"}))


# --- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path,body,status", [
    ("GET", inst_path("{host}", CIMV2, "Win32_Service", Name="NoSuchService"), None, 404),
    ("POST", inst_path("{host}", CIMV2, "Win32_Service", Name="NoSuchService") + "/methods/StopService", None, 404),
    ("PATCH", inst_path("{host}", CIMV2, "Win32_Environment", Name="NOPE", UserName="<SYSTEM>"),
     {"VariableValue": "x"}, 404),
    ("GET", list_path("{host}", CIMV2, "Win32_Service") + "?filter=" + q("State = "), None, 400),
    ("GET", list_path("{host}", CIMV2, "Win32_Service") + "?filter=" + q("NoSuchProperty = 1"), None, 400),
    ("GET", list_path("{host}", CIMV2, "Win32_Service") + "?filter=" + q("ProcessId = 'abc'"), None, 400),
    ("GET", list_path("{host}", CIMV2, "Win32_Service") + "?select=Name,Nope", None, 400),
    ("GET", inst_path("{host}", CIMV2, "Win32_Service", Nope="x"), None, 400),
    ("POST", "/v1/hosts/{host}/query", {"namespace": "root/cimv2", "query": "SELECT * FROM Win32_Service WHERE"}, 400),
    ("POST", class_path("{host}", CIMV2, "Win32_Service") + "/methods/NoSuchMethod", None, 404),
])
def test_errors(gw, method, path, body, status):
    r = both(gw, method, path, body=body)
    assert r[0].status_code == status, r[0].text
    assert_same(r)


def test_create_and_delete_are_405_on_2003(gw, twins, fresh):
    env_class = list_path("{host}", CIMV2, "Win32_Environment")
    body = {"Name": "APP_HOME", "UserName": "<SYSTEM>", "VariableValue": "C:\\app"}
    temp = inst_path("{host}", CIMV2, "Win32_Environment", Name="TEMP", UserName="<SYSTEM>")
    before = twins["w2003"].counters()["requests"]
    r = gw.post(env_class.replace("{host}", "w2003"), body)
    p = gwclient.assert_problem(r, 405, "method-not-allowed", host="w2003")
    assert "Windows Server 2003 R2" in p["detail"] and "cannot create or delete" in p["detail"], p
    assert "backend" not in p
    assert r.headers["Allow"] == "GET"
    r = gw.delete(temp.replace("{host}", "w2003"))
    p = gwclient.assert_problem(r, 405, "method-not-allowed", host="w2003")
    assert "cannot create or delete" in p["detail"]
    assert set(r.headers["Allow"].split(", ")) == {"GET", "PATCH", "PUT"}
    # ... decided from the protocol's abilities: the host heard nothing.
    assert twins["w2003"].counters()["requests"] == before
    # Auto-detected, the same answer.
    r = gw.delete(temp.replace("{host}", "auto-2003"))
    gwclient.assert_problem(r, 405, "method-not-allowed", host="auto-2003")
    # The instance is still there; on the WSMV host both work.
    assert gw.get(temp.replace("{host}", "w2003")).status_code == 200
    assert gw.post(env_class.replace("{host}", "wsmv"), body).status_code == 201
    assert gw.delete(temp.replace("{host}", "wsmv")).status_code == 204


# --- the demo -------------------------------------------------------------------------------------------------


def test_demo_has_a_2003_host(tmp_path):
    g = gwclient.demo_gateway(tmp_path, "gw-demo-matrix")
    try:
        hosts = {h["name"]: h for h in g.get("/v1/hosts").json()["items"]}
        assert hosts["legacy01"]["protocol"] == "wsman2003" and hosts["legacy01"]["detectedProtocol"] == "wsman2003"
        assert hosts["web01"]["protocol"] == "auto" and "detectedProtocol" not in hosts["web01"]
        assert g.get("/v1/hosts/web01").json()["detectedProtocol"] == "wsmv"
        hosts = {h["name"]: h for h in g.get("/v1/hosts").json()["items"]}
        assert hosts["web01"]["detectedProtocol"] == "wsmv"
        assert g.get("/v1/hosts/legacy01").json()["identity"]["protocolVersion"].startswith(
            "http://schemas.xmlsoap.org/ws/2005/06/")
        r = g.get(list_path("legacy01", CIMV2, "Win32_Service") + "?filter=" + q("StartMode = 'Auto'") +
                  "&select=Name,StartMode&limit=3")
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) == 3 and page["next"] is not None
        assert all(i["StartMode"] == "Auto" for i in page["items"])
        assert g.get(class_path("legacy01", CIMV2, "Win32_Service")).status_code == 200
        assert g.delete(inst_path("legacy01", CIMV2, "Win32_Environment", Name="TEMP",
                                  UserName="<SYSTEM>")).status_code == 405
        assert "legacy01" in g.log_text()
    finally:
        g.stop()
    time.sleep(0.1)
