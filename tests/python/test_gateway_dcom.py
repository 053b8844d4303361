"""
The gateway in front of hosts it reaches over WMI/DCOM (issue "[4] WMI over
DCOM", gateway side): wmsim's DCOM front (tests/sim/dcom_*.c) behind
translators/wmi, over real loopback.

One wmsim for the module: DCOM-01 speaks WS-Management and DCOM on 127.0.0.1
(its activation port a free one: 135 needs root), WMI-02 DCOM only on
127.0.0.2; both have 2,000 Sim_Bench instances.  The gateway (one worker:
a DCOM enumeration, and so its paging cursor, lives on one worker's
connection) knows DCOM-01 as `dcom` (and as `dcom-int` at PKT_INTEGRITY,
`dcom-badpw` with a wrong password, `dcom-slow` with a short operation
timeout), the same host over WS-Management as `wsmv`, WMI-02 as `wmi02`,
and `dcom-135` with no port at all (never contacted: its port shows the
DCOM default).  Writes made over one front are read over the other: both
share the host's store.  The matrix (test_gateway_matrix.py) compares every
answer with WS-Management's; this file covers what is DCOM's own:
configuration, authentication levels, sessions and their reuse, paging
cursors bound to a worker, cancel, and the backend's failures.

Run: /usr/bin/python3 -m pytest tests/python/test_gateway_dcom.py
"""
import json
import time

import pytest
import requests

import gwclient
from conftest import PASSWORD, USER, Control, SimProcess, free_port
from gwclient import CIMV2, TEST_NS, assert_problem, class_path, host_neutral, inst_path, list_path

BENCH = 2000


class Fleet:
    def __init__(self, tmp):
        last = None
        for attempt in range(5):
            self.ws_port = free_port(["127.0.0.1"])
            self.dcom_port = free_port(["127.0.0.1"])
            self.dcom_port2 = free_port(["127.0.0.2"])
            cport = free_port(["127.0.0.1"])
            args = ["--listen", "127.0.0.1:%d,name=DCOM-01,dcom=%d" % (self.ws_port, self.dcom_port),
                    "--listen", "127.0.0.2,name=WMI-02,dcom=%d" % self.dcom_port2,
                    "--user", "%s:%s" % (USER, PASSWORD), "--control", "127.0.0.1:%d" % cport,
                    "--bench-instances", str(BENCH)]
            try:
                self.process = SimProcess(args, str(tmp / ("wmsim-dcom-%d.log" % attempt)))
            except RuntimeError as e:
                last = e
                continue
            self.control = Control("http://127.0.0.1:%d" % cport)
            return
        raise last

    def calls(self, host="DCOM-01"):
        return self.control.host(host)["dcom"]["by_call"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    f = Fleet(tmp_path_factory.mktemp("dcom-sim"))
    yield f
    f.process.stop()


def dcom_keys(port, address="127.0.0.1", password=PASSWORD, **extra):
    kv = [("address", address), ("protocol", "dcom"), ("user", USER), ("password", password)]
    if port is not None:
        kv.append(("port", port))
    return kv + [(k.replace("_", "-"), v) for k, v in extra.items()]


def dcom_gateway(tmp, fleet, name="gw-dcom", workers=1):
    hosts = {
        "dcom": dcom_keys(fleet.dcom_port),
        "dcom-int": dcom_keys(fleet.dcom_port, dcom_auth_level="integrity"),
        "dcom-badpw": dcom_keys(fleet.dcom_port, password="guess"),
        "dcom-slow": dcom_keys(fleet.dcom_port, operation_timeout="500ms"),
        "dcom-135": dcom_keys(None),
        "wmi02": dcom_keys(fleet.dcom_port2, address="127.0.0.2"),
        "wsmv": [("address", "127.0.0.1"), ("port", fleet.ws_port), ("protocol", "wsmv"), ("user", USER),
                 ("password", PASSWORD)],
    }
    server = [("workers", str(workers)), ("access-log", "off"), ("cursor-secret", gwclient.CURSOR_SECRET),
              ("max-requests-per-connection-second", "100000")]
    return gwclient.Gateway(tmp, name, server, hosts, backend=[("max-elements", "100")]).start()


@pytest.fixture(scope="module")
def gw(fleet, tmp_path_factory):
    g = dcom_gateway(tmp_path_factory.mktemp("gw-dcom"), fleet)
    yield g
    g.stop()


@pytest.fixture
def fresh(fleet):
    fleet.control.reset("*")
    yield fleet
    fleet.control.reset("*")


def same(ra, ha, rb, hb, status=True):
    if status:
        assert ra.status_code == rb.status_code, (ra.text[:1000], rb.text[:1000])
    assert host_neutral(ra.text, ha) == host_neutral(rb.text, hb)


# --- configuration and identity -----------------------------------------------------------------------


def test_hosts_are_listed_with_protocol_dcom(gw, fleet):
    hosts = {h["name"]: h for h in gw.get("/v1/hosts").json()["items"]}
    assert hosts["dcom"]["protocol"] == "dcom" and hosts["dcom"]["port"] == fleet.dcom_port
    assert hosts["wmi02"]["protocol"] == "dcom"
    assert hosts["dcom-135"]["port"] == 135          # the DCOM default, never WS-Man's 5985
    assert hosts["wsmv"]["protocol"] == "wsmv"
    r = gw.get("/v1/hosts/dcom")
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["detectedProtocol"] == "dcom" and h["health"]["state"] == "up"
    assert h["identity"]["protocolVersion"] == "MS-WMI over DCOM 5.7"
    assert h["identity"]["version"].startswith("OS: 10.0.")
    assert h["identity"]["vendor"] == "Microsoft Corporation"
    assert gw.get("/v1/hosts/wmi02").json()["identity"]["protocolVersion"].startswith("MS-WMI over DCOM")


def test_config_refuses_https_for_dcom(tmp_path, fleet):
    g = gwclient.Gateway(tmp_path, "gw-bad", [], {"x": dcom_keys(fleet.dcom_port, scheme="https")})
    with pytest.raises(RuntimeError) as e:
        g.start()
    assert "dcom has no https" in str(e.value)
    g = gwclient.Gateway(tmp_path, "gw-bad2", [], {"x": dcom_keys(fleet.dcom_port, dcom_auth_level="none")})
    with pytest.raises(RuntimeError) as e:
        g.start()
    assert "privacy or integrity" in str(e.value)


# --- reading -------------------------------------------------------------------------------------------


def test_same_answers_as_wsman(gw):
    for path in [inst_path("{h}", CIMV2, "Win32_Service", Name="WinRM"), class_path("{h}", CIMV2, "Win32_Service"),
                 list_path("{h}", CIMV2, "Win32_LogicalDisk"),
                 list_path("{h}", CIMV2, "Win32_Service") + "?filter=StartMode%3D%27Auto%27&select=Name,State"]:
        same(gw.get(path.replace("{h}", "dcom")), "dcom", gw.get(path.replace("{h}", "wsmv")), "wsmv")


def test_integrity_and_privacy(gw, fleet):
    path = inst_path("{h}", CIMV2, "Win32_Service", Name="Spooler")
    same(gw.get(path.replace("{h}", "dcom-int")), "dcom-int", gw.get(path.replace("{h}", "dcom")), "dcom")


def test_sessions_are_reused(gw, fleet):
    gw.get(inst_path("dcom", CIMV2, "Win32_Service", Name="WinRM"))  # a session exists
    before = fleet.calls()
    for name in ("WinRM", "Spooler", "RpcSs", "WinRM"):
        assert gw.get(inst_path("dcom", CIMV2, "Win32_Service", Name=name)).status_code == 200
    after = fleet.calls()
    assert after["RemoteCreateInstance"] == before["RemoteCreateInstance"]
    assert after["NTLMLogin"] == before["NTLMLogin"]
    assert after["GetObject"] - before["GetObject"] == 4


# --- writing, over one front, read over the other ---------------------------------------------------------------


def test_create_modify_delete_over_dcom(gw, fresh):
    body = {"Name": "APP_HOME", "UserName": "<SYSTEM>", "VariableValue": "C:\\app"}
    r = gw.post(list_path("dcom", CIMV2, "Win32_Environment"), body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == inst_path("dcom", CIMV2, "Win32_Environment", Name="APP_HOME",
                                              UserName="<SYSTEM>")
    same(r, "dcom", gw.get(inst_path("wsmv", CIMV2, "Win32_Environment", Name="APP_HOME", UserName="<SYSTEM>")),
         "wsmv", status=False)
    env = inst_path("{h}", CIMV2, "Win32_Environment", Name="APP_HOME", UserName="<SYSTEM>")
    r = gw.patch(env.replace("{h}", "dcom"), {"VariableValue": "D:\\app"})
    assert r.status_code == 200 and r.json()["VariableValue"] == "D:\\app", r.text
    assert gw.get(env.replace("{h}", "wsmv")).json()["VariableValue"] == "D:\\app"
    r = gw.post(list_path("dcom", CIMV2, "Win32_Environment"), body)     # again: it exists
    assert_problem(r, 409, "already-exists", host="dcom")
    assert r.json()["backend"]["wmi"]["hresultHex"] == "0x80041019"
    assert gw.delete(env.replace("{h}", "dcom")).status_code == 204
    assert gw.get(env.replace("{h}", "wsmv")).status_code == 404
    p = assert_problem(gw.delete(env.replace("{h}", "dcom")), 404, "not-found", host="dcom")
    assert p["backend"] == {"protocol": "dcom", "wmi": {"cimStatus": 6, "hresult": 0x80041002,
                                                        "hresultHex": "0x80041002"}}
    assert "WBEM_E_NOT_FOUND" in p["detail"]


def test_methods_over_dcom(gw, fresh):
    svc = inst_path("{h}", CIMV2, "Win32_Service", Name="Spooler")
    r = gw.post(svc.replace("{h}", "dcom") + "/methods/StopService")
    assert r.status_code == 200 and r.json()["ReturnValue"] == 0, r.text
    assert gw.get(svc.replace("{h}", "wsmv")).json()["State"] == "Stopped"
    r = gw.post(svc.replace("{h}", "dcom") + "/methods/StopService")   # already stopped
    assert r.status_code == 200 and r.json()["ReturnValue"] != 0
    r = gw.post(class_path("dcom", CIMV2, "Win32_Process") + "/methods/Create", {"CommandLine": "notepad.exe"})
    assert r.status_code == 200 and r.json()["ReturnValue"] == 0 and int(r.json()["ProcessId"]) > 0, r.text
    pid = r.json()["ProcessId"]
    assert gw.get(inst_path("wsmv", CIMV2, "Win32_Process", Handle=str(pid))).status_code == 200


# --- listings: batches, paging, streaming, cancel -----------------------------------------------------------


def bench_ids(items):
    return [int(i["Id"]) for i in items]


def test_paging_follows_every_page(gw, fleet):
    before = fleet.calls()
    items, pages = gw.list_all(list_path("dcom", TEST_NS, "Sim_Bench") + "?limit=700")
    assert len(pages) == 3 and [len(p["items"]) for p in pages] == [700, 700, 600]
    assert len(items) == BENCH and len(set(bench_ids(items))) == BENCH
    after = fleet.calls()
    assert after["ExecQuery"] - before["ExecQuery"] == 1   # one enumeration, continued
    assert after["RemoteCreateInstance"] == before["RemoteCreateInstance"]
    # 100 a batch (max-elements), the last batch of a page one more: 2000 objects, read once
    assert after["Next"] - before["Next"] >= 20


def test_a_page_that_ends_the_listing_has_no_next(gw):
    r = gw.get(list_path("dcom", TEST_NS, "Sim_Bench") + "?limit=%d" % BENCH)
    assert r.status_code == 200 and len(r.json()["items"]) == BENCH and r.json()["next"] is None
    items, pages = gw.list_all(list_path("dcom", TEST_NS, "Sim_Bench") + "?limit=1000")
    assert len(pages) == 2 and pages[-1]["next"] is None


def test_cursor_lives_on_its_worker(gw, fleet, tmp_path):
    """A DCOM enumeration lives in one worker's session: another gateway
    (a replica with the same cursor-secret) cannot continue it: 410."""
    r = gw.get(list_path("dcom", TEST_NS, "Sim_Bench") + "?limit=10")
    nxt = r.json()["next"]
    assert nxt is not None
    other = dcom_gateway(tmp_path, fleet, name="gw-replica")
    try:
        p = assert_problem(other.get(nxt), 410, "gone", host="dcom")
        assert "start the listing again" in p["detail"]
    finally:
        other.stop()
    # ... while here it goes on, once
    r2 = gw.get(nxt)
    assert r2.status_code == 200, r2.text
    first = bench_ids(r.json()["items"])
    assert bench_ids(r2.json()["items"]) == list(range(first[-1] + 1, first[-1] + 11))
    assert_problem(gw.get(nxt), 410, "gone")


def test_ndjson_stream(gw, fleet):
    r = gw.get(list_path("dcom", TEST_NS, "Sim_Bench"), headers={"Accept": "application/x-ndjson"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/x-ndjson")
    lines = r.text.splitlines()
    assert len(lines) == BENCH
    assert len({json.loads(x)["Id"] for x in lines}) == BENCH


def test_caller_gone_releases_the_enumerator(gw, fleet):
    before = fleet.calls()["RemRelease"]
    with requests.get(gw.url(list_path("dcom", TEST_NS, "Sim_Bench")), headers={"Accept": "application/x-ndjson", **gwclient.AUTH},
                      stream=True, timeout=30) as r:
        first = next(r.iter_lines())
        assert json.loads(first)["@class"] == "Sim_Bench"
    deadline = time.monotonic() + 10
    while fleet.calls()["RemRelease"] == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fleet.calls()["RemRelease"] > before


def test_queries_and_associations(gw):
    for body in [{"namespace": CIMV2, "query": "SELECT Name FROM Win32_Service WHERE StartMode = 'Manual'"},
                 {"namespace": CIMV2, "query": "ASSOCIATORS OF {Win32_Service.Name='WinRM'}"},
                 {"namespace": TEST_NS, "query": "REFERENCES OF {Sim_Item.Id=1}"},
                 {"namespace": CIMV2, "query": "REFERENCES OF {Win32_Service.Name='nosuch'}"}]:
        ra, rb = gw.post("/v1/hosts/dcom/query", body), gw.post("/v1/hosts/wsmv/query", body)
        same(ra, "dcom", rb, "wsmv")


# --- failures -------------------------------------------------------------------------------------------


def test_wrong_password_is_the_gateways_problem(gw):
    p = assert_problem(gw.get(inst_path("dcom-badpw", CIMV2, "Win32_Service", Name="WinRM")), 502, "backend-error",
                       host="dcom-badpw")
    assert "access denied" in p["detail"] and "credential" in p["detail"]


def test_backend_failures(gw, fleet):
    path = inst_path("dcom", CIMV2, "Win32_Service", Name="WinRM")
    assert gw.get(path).status_code == 200
    try:
        fleet.control.fail("DCOM-01", 1, fault="AccessDenied")
        p = assert_problem(gw.get(path), 403, "forbidden", host="dcom")
        assert p["backend"]["wmi"]["hresultHex"] == "0x80041003"
        fleet.control.fail("DCOM-01", 1, status=503)
        assert_problem(gw.get(path), 503, "retry", host="dcom")
        fleet.control.drop("DCOM-01", 1)
        assert_problem(gw.get(path), 502, "connection-error", host="dcom")
        fleet.control.garbage("DCOM-01", 1)
        assert_problem(gw.get(path), 502, "protocol-error", host="dcom")
        assert gw.get(path).status_code == 200          # a new session after each broken one
        fleet.control.latency("DCOM-01", 4000)
        t0 = time.monotonic()
        p = assert_problem(gw.get(inst_path("dcom-slow", CIMV2, "Win32_Service", Name="WinRM")), 504,
                           "backend-timeout", host="dcom-slow")
        assert time.monotonic() - t0 < 4, "the deadline is the operation timeout plus a margin"
        assert "did not answer in time" in p["detail"]
    finally:
        fleet.control.clear("*")
    time.sleep(1.5)  # the held reply reaches the abandoned connection
    assert gw.get(path).status_code == 200


def test_unknown_namespace_and_class(gw):
    p = assert_problem(gw.get(class_path("dcom", "root/nope", "Win32_Service")), 404, "not-found", host="dcom")
    assert p["backend"]["wmi"]["hresultHex"] == "0x8004100E"      # WBEM_E_INVALID_NAMESPACE
    p = assert_problem(gw.get(list_path("dcom", CIMV2, "Win32_Nope")), 404, "not-found", host="dcom")
    assert p["backend"]["wmi"]["hresultHex"] == "0x80041002"      # GetObject of the class: WBEM_E_NOT_FOUND
    p = assert_problem(gw.post("/v1/hosts/dcom/query", {"namespace": CIMV2, "query": "SELECT * FROM Win32_Nope"}),
                       404, "not-found", host="dcom")


# --- the demo ---------------------------------------------------------------------------------------------------


def test_demo_has_a_dcom_host(tmp_path):
    g = gwclient.demo_gateway(tmp_path, "gw-demo-dcom")
    try:
        hosts = {h["name"]: h for h in g.get("/v1/hosts").json()["items"]}
        assert hosts["wmi01"]["protocol"] == "dcom" and hosts["wmi01"]["detectedProtocol"] == "dcom"
        r = g.get(inst_path("wmi01", CIMV2, "Win32_Service", Name="WinRM"))
        assert r.status_code == 200 and r.json()["SystemName"] == "WMSIM-05", r.text
        assert g.get("/v1/hosts/wmi01").json()["identity"]["protocolVersion"].startswith("MS-WMI over DCOM")
        assert "wmi01" in g.log_text()
    finally:
        g.stop()
