"""
The gateway's REST API end to end: every route of openapi/openapi.json over
real loopback HTTP, build/wmgw in front of the simulated fleet (wmsim,
conftest.py), with the answers checked against the fixture data
(fixturemodel.py) and against what the simulator itself holds.

Run: /usr/bin/python3 -m pytest tests/python/test_gateway_*.py
"""
import json
import math
import re

import pytest

import fixturemodel
import gwclient
from conftest import PASSWORD, USER
from gwclient import CIMV2, TEST_NS, class_path, inst_path, list_path

UNKNOWN = fixturemodel.UNKNOWN
META = {"@id", "@class", "@namespace", "@host"}


@pytest.fixture(scope="module")
def gw(sim, tmp_path_factory):
    g = gwclient.standard_gateway(tmp_path_factory.mktemp("gw-api"), sim, USER, PASSWORD)
    yield g
    g.stop()


# --- comparing with the fixtures ---------------------------------------------------------


def same_value(fixture, got, cim_type):
    """Is `got` (REST JSON) the fixture value (fixture JSON, same mapping) of cim_type?"""
    if fixture is UNKNOWN:
        return True
    base = cim_type[:-2] if cim_type.endswith("[]") else cim_type
    if cim_type.endswith("[]"):
        # WinRM leaves NULL and empty arrays out alike, so an empty array
        # comes back over WS-Management as NULL (README, JSON mapping).
        if fixture is None or fixture == []:
            return got is None
        return isinstance(got, list) and len(got) == len(fixture) and all(
            same_value(f, g, base) for f, g in zip(fixture, got))
    if fixture is None:
        return got is None
    if base in ("sint64", "uint64"):
        return isinstance(got, str) and got == str(fixture)
    if base.startswith("sint") or base.startswith("uint"):
        return isinstance(got, int) and not isinstance(got, bool) and got == int(fixture)
    if base in ("real32", "real64"):
        if isinstance(fixture, str):
            return got == fixture
        return isinstance(got, (int, float)) and math.isclose(got, fixture, rel_tol=1e-6)
    if base == "datetime":
        return fixturemodel.parse_datetime(got) == fixturemodel.parse_datetime(fixture)
    if base == "interval":
        return fixturemodel.parse_interval(got) == fixturemodel.parse_interval(fixture)
    if base.startswith("ref:"):
        return got["@class"].lower() == fixture["@class"].lower() and got["@keys"] == fixture["@keys"]
    if base.startswith("object:"):
        return isinstance(got, dict) and got.get("@class") == fixture["@class"]
    return got == fixture


def check_instance(model, ns, item, fixture, host_name):
    """Every property of the class is in the item with the fixture's value."""
    cls = model.cls(ns, item["@class"])
    assert item["@class"] == fixture["@class"]
    assert item["@namespace"] == ns and item["@host"] == host_name
    assert set(item) - META == set(cls.props), sorted(set(item) ^ (set(cls.props) | META))
    wrong = [(name, fixture.get(name), item[name]) for name, decl in cls.props.items()
             if not same_value(fixture.get(name), item[name], decl["type"])]
    assert not wrong, "%s: (property, fixture, gateway): %r" % (item["@id"], wrong)


def names(items, key="Name"):
    return sorted(i[key] for i in items)


# --- operations: health, readiness, the document ---------------------------------------------


def test_healthz_readyz_openapi(gw):
    r = gw.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = gw.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "hosts": 5, "workers": 2}
    r = gw.get("/openapi.json")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.content == (gwclient.REPO / "openapi" / "openapi.json").read_bytes()


# --- the fleet ------------------------------------------------------------------------------------


def test_list_hosts(gw, sim):
    r = gw.get("/v1/hosts")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [h["name"] for h in items] == ["batch", "dead", "even", "odd", "slow"]
    by = {h["name"]: h for h in items}
    odd = by["odd"]
    assert odd["@id"] == "/v1/hosts/odd"
    assert odd["address"] == sim.hosts[0].address and odd["port"] == sim.hosts[0].port
    assert odd["scheme"] == "http" and odd["path"] == "/wsman" and odd["protocol"] == "wsmv"
    assert odd["groups"] == ["lab", "odd"]
    assert odd["timeouts"] == {"connectMs": 5000, "operationMs": 60000}
    assert by["slow"]["timeouts"]["operationMs"] == 1000
    assert by["batch"]["maxElements"] == 100 and odd["maxElements"] == 500
    assert by["even"]["address"] == sim.hosts[1].address
    # Credentials are write-only.
    assert PASSWORD not in r.text and "password" not in r.text.lower() and "credential" not in r.text


def test_get_host_identity_and_health(gw, sim):
    r = gw.get("/v1/hosts/odd", params={"probe": "true"})
    assert r.status_code == 200
    h = r.json()
    assert h["name"] == "odd" and h["@id"] == "/v1/hosts/odd"
    assert h["identity"]["vendor"] == "Microsoft Corporation"
    assert h["identity"]["protocolVersion"] == "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
    assert h["identity"]["version"].startswith("OS: ")
    assert h["health"]["state"] == "up"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h["health"]["checkedAt"])
    assert "lastError" not in h["health"]
    assert h["detectedProtocol"] == "wsmv"
    assert PASSWORD not in r.text
    # The host the gateway names "odd" is the simulator's WMSIM-01: it was asked.
    assert sim.control.host("WMSIM-01")["counters"]["by_action"]["Identify"] >= 1


def test_get_host_that_does_not_answer_shows_it_down(gw):
    r = gw.get("/v1/hosts/dead")
    assert r.status_code == 200
    h = r.json()
    assert h["name"] == "dead"
    assert h["health"]["state"] == "down"
    assert h["health"]["lastError"]
    assert "identity" not in h


def test_host_create_put_delete(gw, sim):
    even = sim.hosts[1]
    svc = inst_path("lab01", CIMV2, "Win32_Service", Name="WinRM")
    body = {"name": "lab01", "address": even.address, "port": even.port, "protocol": "wsmv",
            "groups": ["web"], "credential": {"user": USER, "password": PASSWORD}}
    r = gw.post("/v1/hosts", body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/v1/hosts/lab01"
    h = r.json()
    assert h["name"] == "lab01" and h["address"] == even.address and h["port"] == even.port
    assert h["groups"] == ["web"]
    assert PASSWORD not in r.text
    try:
        assert "lab01" in [x["name"] for x in gw.get("/v1/hosts").json()["items"]]
        # The new host works, with the credential it was given.
        r = gw.get(svc)
        assert r.status_code == 200, r.text
        assert r.json()["SystemName"] == "WMSIM-02" and r.json()["@host"] == "lab01"
        # Adding it again conflicts.
        gwclient.assert_problem(gw.post("/v1/hosts", body), 409, "already-exists")

        # PUT without "credential" keeps the stored one (it is never returned).
        r = gw.put("/v1/hosts/lab01", {"address": even.address, "port": even.port, "protocol": "wsmv",
                                       "groups": ["web", "test"], "maxElements": 50})
        assert r.status_code == 200, r.text
        assert r.json()["groups"] == ["web", "test"] and r.json()["maxElements"] == 50
        assert "Location" not in r.headers
        r = gw.get(svc)
        assert r.status_code == 200, r.text
        assert r.json()["Name"] == "WinRM"

        # A PUT with another credential replaces it: the host refuses it.
        r = gw.put("/v1/hosts/lab01", {"address": even.address, "port": even.port, "protocol": "wsmv",
                                       "credential": {"user": USER, "password": "wrong-password"}})
        assert r.status_code == 200, r.text
        assert "wrong-password" not in r.text
        before = sim.control.host("WMSIM-02")["counters"]["unauthorized"]
        gwclient.assert_problem(gw.get(svc), 502, host="lab01")
        assert sim.control.host("WMSIM-02")["counters"]["unauthorized"] > before
        # And back.
        r = gw.put("/v1/hosts/lab01", {"address": even.address, "port": even.port, "protocol": "wsmv",
                                       "credential": {"user": USER, "password": PASSWORD}})
        assert r.status_code == 200
        assert gw.get(svc).status_code == 200

        # PUT of a new name creates it.
        r = gw.put("/v1/hosts/lab02", {"address": even.address, "port": even.port})
        assert r.status_code == 201, r.text
        assert r.headers["Location"] == "/v1/hosts/lab02"
        assert gw.delete("/v1/hosts/lab02").status_code == 204
    finally:
        r = gw.delete("/v1/hosts/lab01")
    assert r.status_code == 204 and r.content == b""
    gwclient.assert_problem(gw.get("/v1/hosts/lab01"), 404, "not-found")
    gwclient.assert_problem(gw.get(svc), 404, "not-found")
    gwclient.assert_problem(gw.delete("/v1/hosts/lab01"), 404, "not-found")
    assert "lab01" not in [x["name"] for x in gw.get("/v1/hosts").json()["items"]]


def test_host_input_is_checked(gw):
    p = gwclient.assert_problem(gw.post("/v1/hosts", {"name": "bad", "address": "127.0.0.1", "port": 99999}), 400,
                                "bad-request")
    assert "port" in p["detail"]
    p = gwclient.assert_problem(gw.post("/v1/hosts", {"name": "bad", "address": "127.0.0.1", "colour": "red"}), 400)
    assert "colour" in p["detail"]
    gwclient.assert_problem(gw.post("/v1/hosts", {"address": "127.0.0.1"}), 400)
    gwclient.assert_problem(gw.post("/v1/hosts", {"name": "bad name", "address": "127.0.0.1"}), 400)
    gwclient.assert_problem(gw.put("/v1/hosts/odd", {"name": "even", "address": "127.0.0.1"}), 400)
    assert "bad" not in [x["name"] for x in gw.get("/v1/hosts").json()["items"]]


# --- classes ----------------------------------------------------------------------------------------


def test_get_class(gw, model):
    r = gw.get(class_path("odd", CIMV2, "Win32_Environment"))
    assert r.status_code == 200
    c = r.json()
    assert c["@class"] == "Win32_Environment" and c["@namespace"] == CIMV2
    assert c["@id"] == class_path("odd", CIMV2, "Win32_Environment")
    assert c["superclass"] == "CIM_SystemResource"
    want = model.cls(CIMV2, "Win32_Environment")
    assert set(c["properties"]) == set(want.props)
    for name, p in want.props.items():
        got = c["properties"][name]
        assert got["type"] == p["type"], name
        assert got["key"] == bool(p.get("key")), name
        assert got["write"] == bool(p.get("write")), name
    assert [n for n, p in c["properties"].items() if p["key"]] == ["Name", "UserName"]

    r = gw.get(class_path("odd", CIMV2, "Win32_Process"))
    m = r.json()["methods"]
    assert set(m) == set(model.cls(CIMV2, "Win32_Process").methods)
    create = m["Create"]
    assert create["static"] is True and create["returns"] == "uint32"
    assert set(create["in"]) == {"CommandLine", "CurrentDirectory", "ProcessStartupInformation"}
    assert create["in"]["CommandLine"]["type"] == "string"
    assert create["out"] == {"ProcessId": {"type": "uint32", "required": False}}
    assert m["Terminate"].get("static", False) is False


# --- listing ----------------------------------------------------------------------------------------


def test_list_instances_every_one_once(gw, sim, model):
    want = model.instances(CIMV2, "Win32_Service", sim.hosts[0].key)
    items, pages = gw.list_all(list_path("odd", CIMV2, "Win32_Service"), params={"limit": 5})
    assert len(pages) == math.ceil(len(want) / 5) or len(pages) == math.ceil(len(want) / 5) + 1
    assert all(len(p["items"]) <= 5 for p in pages)
    got = [i["Name"] for i in items]
    assert sorted(got) == sorted(w["Name"] for w in want)
    assert len(set(got)) == len(got)
    by = {w["Name"]: w for w in want}
    for item in items:
        check_instance(model, CIMV2, item, by[item["Name"]], "odd")
        assert item["@id"] == inst_path("odd", CIMV2, "Win32_Service", Name=item["Name"])


def test_list_generated_class_in_pages(gw):
    """1000 Sim_Bench rows, 300 a page: each id exactly once."""
    items, pages = gw.list_all(list_path("even", TEST_NS, "Sim_Bench"), params={"limit": 300})
    assert [len(p["items"]) for p in pages][:3] == [300, 300, 300]
    ids = [i["Id"] for i in items]
    assert sorted(ids) == list(range(1000))
    assert items[7]["Name"] == "bench-%d" % items[7]["Id"] and items[7]["Value"] == str(items[7]["Id"] + 1000)


def test_list_with_filter_select_limit_and_cursor(gw, sim, model):
    want = [w for w in model.instances(CIMV2, "Win32_Service", sim.hosts[1].key) if w["State"] == "Running"]
    items, pages = gw.list_all(list_path("even", CIMV2, "Win32_Service"),
                               params={"filter": "State = 'Running'", "select": "Name,StartMode", "limit": 4})
    assert len(pages) >= 3
    for p in pages[:-1]:
        assert len(p["items"]) == 4
        assert "filter" not in p["next"] and "cursor=" in p["next"]
    assert sorted(i["Name"] for i in items) == sorted(w["Name"] for w in want)
    assert len({i["Name"] for i in items}) == len(items)
    by = {w["Name"]: w for w in want}
    for i in items:
        assert set(i) == META | {"Name", "StartMode"}, i
        assert i["StartMode"] == by[i["Name"]]["StartMode"]


def test_list_filter_matches_model(gw, sim, model):
    r = gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"filter": "StartMode = 'Manual' AND State <> 'Running'"})
    assert r.status_code == 200
    want = [w["Name"] for w in model.instances(CIMV2, "Win32_Service", sim.hosts[0].key)
            if w["StartMode"] == "Manual" and w["State"] != "Running"]
    assert names(r.json()["items"]) == sorted(want)
    assert r.json()["next"] is None


def test_list_ndjson_streaming(gw, sim, model):
    r = gw.get(list_path("odd", CIMV2, "Win32_Environment"), headers={"Accept": "application/x-ndjson"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    assert r.text.endswith("\n")
    lines = r.text.split("\n")[:-1]
    items = [json.loads(line) for line in lines]
    want = model.instances(CIMV2, "Win32_Environment", sim.hosts[0].key)
    assert sorted((i["Name"], i["UserName"]) for i in items) == sorted((w["Name"], w["UserName"]) for w in want)
    by = {(w["Name"].lower(), w["UserName"].lower()): w for w in want}
    for i in items:
        check_instance(model, CIMV2, i, by[(i["Name"].lower(), i["UserName"].lower())], "odd")

    # Many batches (100 per Pull on host "batch"), streamed, all there once.
    r = gw.get(list_path("batch", TEST_NS, "Sim_Bench"), headers={"Accept": "application/x-ndjson"}, stream=True)
    assert r.status_code == 200
    ids = [json.loads(line)["Id"] for line in r.iter_lines() if line]
    assert sorted(ids) == list(range(1000))

    # With a limit the last line links to the rest.
    r = gw.get(list_path("odd", CIMV2, "Win32_Environment"), params={"limit": 3},
               headers={"Accept": "application/x-ndjson"})
    lines = [json.loads(x) for x in r.text.split("\n")[:-1]]
    assert len(lines) == 4 and set(lines[3]) == {"@next"}
    seen = [(i["Name"], i["UserName"]) for i in lines[:3]]
    nxt = lines[3]["@next"]
    while nxt:
        r = gw.get(nxt, headers={"Accept": "application/x-ndjson"})
        assert r.status_code == 200, r.text
        lines = [json.loads(x) for x in r.text.split("\n")[:-1]]
        nxt = lines[-1].get("@next") if lines and "@next" in lines[-1] else None
        seen += [(i["Name"], i["UserName"]) for i in lines if "@next" not in i]
    assert sorted(seen) == sorted((w["Name"], w["UserName"]) for w in want)


# --- one instance -------------------------------------------------------------------------------------


def test_get_instance(gw, sim, model):
    r = gw.get(inst_path("odd", CIMV2, "Win32_Service", Name="WinRM"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    i = r.json()
    assert i["@id"] == inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
    check_instance(model, CIMV2, i, model.find(CIMV2, "Win32_Service", sim.hosts[0].key, Name="WinRM"), "odd")
    assert i["SystemName"] == "WMSIM-01"
    # Two keys, both percent-encoded (README: "<SYSTEM>" is %3CSYSTEM%3E).
    r = gw.get(inst_path("even", CIMV2, "Win32_Environment", Name="TMP", UserName="WMSIM-02\\Administrator"))
    assert r.status_code == 200, r.text
    want = model.find(CIMV2, "Win32_Environment", sim.hosts[1].key, Name="TMP", UserName="WMSIM-02\\Administrator")
    check_instance(model, CIMV2, r.json(), want, "even")
    # "@" names a singleton only; Win32_OperatingSystem has a key here.
    gwclient.assert_problem(gw.get(class_path("odd", CIMV2, "Win32_OperatingSystem") + "/instances/@"), 400,
                            "bad-request", host="odd")
    os_items = gw.get(list_path("odd", CIMV2, "Win32_OperatingSystem")).json()["items"]
    assert len(os_items) == 1 and os_items[0]["CSName"] == "WMSIM-01"
    assert gw.get(os_items[0]["@id"]).json() == os_items[0]
    # A class with one key takes the bare value too.
    r2 = gw.get(class_path("odd", CIMV2, "Win32_Service") + "/instances/WinRM")
    assert r2.status_code == 200 and r2.json()["Name"] == "WinRM"


def test_get_and_listing_give_identical_bytes(gw):
    """The same instance read by GET and found by enumeration: the same bytes."""
    for host, ns, cls in [("odd", CIMV2, "Win32_Service"), ("even", CIMV2, "Win32_Environment"),
                          ("odd", TEST_NS, "Sim_AllTypes"), ("odd", CIMV2, "Win32_LogicalDisk"),
                          ("odd", TEST_NS, "Sim_Link")]:
        r = gw.get(list_path(host, ns, cls))
        assert r.status_code == 200, r.text
        raw = gwclient.raw_items(r.content.decode("utf-8"))
        assert len(raw) == len(r.json()["items"]) > 0
        for text in raw:
            item_id = json.loads(text)["@id"]
            g = gw.get(item_id)
            assert g.status_code == 200, (item_id, g.text)
            assert g.content == text.encode("utf-8"), (item_id, g.content[:300], text[:300])
        nd = gw.get(list_path(host, ns, cls), headers={"Accept": "application/x-ndjson"})
        assert nd.content.decode("utf-8").split("\n")[:-1] == raw


def test_64_bit_values_are_exact_strings(gw, sim, model):
    # D: on an odd host is above 2^53 (tests/sim/host.c: 9007199254740993 + n * 4096).
    r = gw.get(inst_path("odd", CIMV2, "Win32_LogicalDisk", DeviceID="D:"))
    assert r.status_code == 200
    size = 9007199254740993 + 1 * 4096
    assert '"Size":"%d"' % size in r.text
    assert r.json()["Size"] == str(size) and int(r.json()["Size"]) > 2 ** 53
    # The very bytes the simulator holds.
    raw = sim.client(0).get_instance("http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_LogicalDisk",
                                     {"DeviceID": "D:"})
    assert raw["Size"] == r.json()["Size"] and raw["FreeSpace"] == r.json()["FreeSpace"]
    r = gw.get(inst_path("even", CIMV2, "Win32_LogicalDisk", DeviceID="D:"))
    assert r.json()["Size"] == str(2199023255552 * 2)

    edge = gw.get(inst_path("odd", TEST_NS, "Sim_AllTypes", Id="edge"))
    assert edge.status_code == 200
    e = edge.json()
    assert '"PUint64":"18446744073709551615"' in edge.text
    assert e["PUint64"] == "18446744073709551615"
    assert e["AUint64"] == ["0", "9007199254740993", "18446744073709551615"]
    assert e["PSint64"] == "-9223372036854775808"
    assert e["ASint64"] == ["-9223372036854775808", "-1", "0", "9223372036854775807"]
    big = gw.get(inst_path("odd", TEST_NS, "Sim_AllTypes", Id="big"))
    b = big.json()
    assert '"PUint64":"9007199254740993"' in big.text
    assert b["PUint64"] == "9007199254740993" and b["PSint64"] == "-9007199254740993"
    assert b["AUint64"] == ["9007199254740992", "9007199254740993", "9223372036854775808"]
    assert b["ASint64"] == ["-9007199254740993", "9007199254740993"]
    assert b["PUint32"] == 4000000000
    # No 64-bit value is a JSON number anywhere in a listing.
    lst = gw.get(list_path("odd", TEST_NS, "Sim_AllTypes")).text
    assert not re.search(r'"[PA](U|S)int64":\[?-?\d', lst)
    # In a query result too.
    q = gw.post("/v1/hosts/odd/query", {"namespace": CIMV2,
                                         "query": "SELECT DeviceID, Size FROM Win32_LogicalDisk WHERE DeviceID = 'D:'"})
    assert q.status_code == 200, q.text
    assert [i["Size"] for i in q.json()["items"]] == [str(size)]


def test_all_types_instances_match_the_fixture(gw, sim, model):
    """Every value of every Sim_AllTypes instance is the fixture's, in the
    JSON mapping (arrays of references included)."""
    items = gw.get(list_path("odd", TEST_NS, "Sim_AllTypes")).json()["items"]
    assert sorted(i["Id"] for i in items) == ["big", "edge", "empty", "nulls"]
    for item in items:
        check_instance(model, TEST_NS, item, model.find(TEST_NS, "Sim_AllTypes", sim.hosts[0].key, Id=item["Id"]),
                       "odd")


def test_reference_keys_use_the_json_mapping(gw):
    """openapi.json Reference: "@keys holds the key values in the JSON
    mapping": Sim_Item's key Id is a uint32, so a number."""
    r = gw.get(inst_path("odd", TEST_NS, "Sim_Link", Left="root/test:Sim_Item.Id=1",
                         Right="root/test:Sim_Item.Id=2"))
    assert r.status_code == 200, r.text
    link = r.json()
    assert link["Weight"] == 10
    assert link["Left"]["@keys"] == {"Id": 1} and link["Right"]["@keys"] == {"Id": 2}
    assert link["Left"]["@id"] == inst_path("odd", TEST_NS, "Sim_Item", Id=1)


def test_same_bytes_whatever_the_class_cache_holds(sim, tmp_path):
    """An instance with embedded objects reads the same before and after the
    embedded class's schema reached the gateway's cache (same bytes, same
    ETag): the JSON of an instance depends on the instance only."""
    g = gwclient.Gateway(tmp_path, "gw-cache", [("workers", "1"), ("access-log", "off")],
                         {"odd": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD)}).start()
    try:
        path = inst_path("odd", TEST_NS, "Sim_AllTypes", Id="edge")
        first = g.get(path)
        assert first.status_code == 200, first.text
        assert g.get(class_path("odd", TEST_NS, "Sim_Item")).status_code == 200
        second = g.get(path)
        assert second.status_code == 200
        assert second.json()["PObject"] == {"@class": "Sim_Item", "Id": 100, "Label": "embedded <&> \"one\"",
                                            "Tags": ["x", "y"]}
        assert first.content == second.content
        assert first.headers["ETag"] == second.headers["ETag"]
    finally:
        g.stop()


def test_listing_a_base_class_types_every_subclass(sim, model, tmp_path):
    """Listing an abstract base class returns instances of its subclasses,
    each in the JSON mapping of its own class (numbers, booleans, @id),
    identical to what GET of its @id returns: from the first call on, not
    only once the subclass's schema happens to be cached."""
    g = gwclient.Gateway(tmp_path, "gw-base", [("workers", "1"), ("access-log", "off")],
                         {"odd": gwclient.sim_host_keys(sim.hosts[0], USER, PASSWORD)}).start()
    try:
        r = g.get(list_path("odd", CIMV2, "CIM_LogicalDisk"))
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert sorted(i["DeviceID"] for i in items) == sorted(
            w["DeviceID"] for w in model.instances(CIMV2, "CIM_LogicalDisk", sim.hosts[0].key))
        for i in items:
            assert i["@class"] == "Win32_LogicalDisk"
            # (the CD-ROM's Compressed is NULL in the fixtures)
            assert isinstance(i["DriveType"], int) and isinstance(i["Compressed"], (bool, type(None))), i
            assert i["DeviceID"] == "E:" or isinstance(i["Compressed"], bool), i
            assert "@id" in i, i
        for text in gwclient.raw_items(r.content.decode()):
            assert g.get(json.loads(text)["@id"]).content == text.encode()
        r = g.get(list_path("odd", CIMV2, "Win32_BaseService"))
        assert r.status_code == 200, r.text
        classes = {i["@class"] for i in r.json()["items"]}
        assert classes == {"Win32_Service", "Win32_SystemDriver"}
        for i in r.json()["items"]:
            assert isinstance(i["AcceptStop"], bool) and isinstance(i["TagId"], int) and "@id" in i, i
    finally:
        g.stop()


def test_64_bit_values_written_back_exactly(gw, fresh):
    path = inst_path("odd", TEST_NS, "Sim_AllTypes", Id="nulls")
    r = gw.patch(path, {"PUint64": "18446744073709551614", "PSint64": "-9007199254740995",
                        "AUint64": ["9007199254740993", "1"]})
    assert r.status_code == 200, r.text
    assert r.json()["PUint64"] == "18446744073709551614" and r.json()["PSint64"] == "-9007199254740995"
    g = gw.get(path).json()
    assert g["PUint64"] == "18446744073709551614" and g["AUint64"] == ["9007199254740993", "1"]
    # A number is accepted up to 2^53 in magnitude, and never rounded.
    r = gw.patch(path, {"PUint64": 9007199254740992})
    assert r.status_code == 200 and r.json()["PUint64"] == "9007199254740992"
    p = gwclient.assert_problem(gw.patch(path, raw=b'{"PUint64": 9007199254740993}',
                                         headers={"Content-Type": "application/json"}), 400)
    assert "PUint64" in p["detail"]
    assert gw.get(path).json()["PUint64"] == "9007199254740992"


def test_create_get_delete_instance(gw, sim, fresh):
    coll = list_path("odd", CIMV2, "Win32_Environment")
    r = gw.post(coll, {"Name": "APP_HOME", "UserName": "<SYSTEM>", "VariableValue": "C:\\app"})
    assert r.status_code == 201, r.text
    loc = r.headers["Location"]
    assert loc == inst_path("odd", CIMV2, "Win32_Environment", Name="APP_HOME", UserName="<SYSTEM>")
    assert loc.endswith("/instances/Name=APP_HOME,UserName=%3CSYSTEM%3E")
    created = r.json()
    assert created["@id"] == loc and created["VariableValue"] == "C:\\app" and created["Name"] == "APP_HOME"
    g = gw.get(loc)
    assert g.status_code == 200 and g.json()["VariableValue"] == "C:\\app" and g.json()["UserName"] == "<SYSTEM>"
    assert g.content == r.content
    # It is on WMSIM-01 only.
    assert gw.get(inst_path("even", CIMV2, "Win32_Environment", Name="APP_HOME", UserName="<SYSTEM>")).status_code \
        == 404
    listed = gw.get(list_path("odd", CIMV2, "Win32_Environment"), params={"filter": "Name = 'APP_HOME'"}).json()
    assert [i["@id"] for i in listed["items"]] == [loc]
    # Create it again: 409.
    gwclient.assert_problem(gw.post(coll, {"Name": "APP_HOME", "UserName": "<SYSTEM>", "VariableValue": "x"}), 409,
                            "already-exists", host="odd")
    r = gw.delete(loc)
    assert r.status_code == 204 and r.content == b""
    gwclient.assert_problem(gw.get(loc), 404, "not-found", host="odd")
    gwclient.assert_problem(gw.delete(loc), 404, "not-found", host="odd")


def test_patch_changes_only_the_named_property(gw, fresh):
    path = inst_path("odd", TEST_NS, "Sim_AllTypes", Id="edge")
    before = gw.get(path)
    assert before.status_code == 200
    r = gw.patch(path, {"PString": "patched <value>"})
    assert r.status_code == 200, r.text
    after = gw.get(path)
    b, a = before.json(), after.json()
    assert a["PString"] == "patched <value>"
    assert set(a) == set(b)
    for k in b:
        if k != "PString":
            assert a[k] == b[k], k
    assert r.content == after.content
    # Win32_Environment: VariableValue only.
    env = inst_path("even", CIMV2, "Win32_Environment", Name="TEMP", UserName="NT AUTHORITY\\LOCAL SERVICE")
    b = gw.get(env).json()
    r = gw.patch(env, {"VariableValue": "D:\\temp"})
    assert r.status_code == 200, r.text
    a = gw.get(env).json()
    assert a["VariableValue"] == "D:\\temp"
    assert {k: v for k, v in a.items() if k != "VariableValue"} == {k: v for k, v in b.items() if k != "VariableValue"}


def test_put_replaces_every_writable_property(gw, fresh):
    path = inst_path("odd", TEST_NS, "Sim_Item", Id=1)
    assert gw.get(path).json()["Tags"] == ["red", "green"]
    r = gw.put(path, {"Label": "replaced"})
    assert r.status_code == 200, r.text
    g = gw.get(path).json()
    assert g["Label"] == "replaced" and g["Tags"] is None and g["Id"] == 1
    r = gw.put(path, {"Label": "again", "Tags": ["x", "y,z"]})
    assert r.status_code == 200
    assert gw.get(path).json()["Tags"] == ["x", "y,z"]
    gwclient.assert_problem(gw.put(path, {"Id": 5, "Label": "key"}), 400)
    gwclient.assert_problem(gw.put(inst_path("odd", TEST_NS, "Sim_Item", Id=77), {"Label": "none"}), 404)


# --- methods --------------------------------------------------------------------------------------------


def test_static_method_process_create(gw, fresh):
    r = gw.post(class_path("odd", CIMV2, "Win32_Process") + "/methods/Create",
                {"CommandLine": "C:\\Windows\\notepad.exe C:\\readme.txt"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ReturnValue"] == 0
    pid = out["ProcessId"]
    assert isinstance(pid, int) and pid > 0
    listed = gw.get(list_path("odd", CIMV2, "Win32_Process"), params={"filter": "ProcessId = %d" % pid}).json()
    assert len(listed["items"]) == 1
    p = listed["items"][0]
    assert p["Name"] == "notepad.exe" and p["CommandLine"] == "C:\\Windows\\notepad.exe C:\\readme.txt"
    assert p["Handle"] == str(pid) and p["CSName"] == "WMSIM-01"
    assert p["@id"] == inst_path("odd", CIMV2, "Win32_Process", Handle=str(pid))
    all_pids = [i["ProcessId"] for i in gw.list_all(list_path("odd", CIMV2, "Win32_Process"))[0]]
    assert all_pids.count(pid) == 1
    # Not on the other host.
    assert pid not in [i["ProcessId"] for i in gw.list_all(list_path("even", CIMV2, "Win32_Process"))[0]]
    # Windows' answer for a bad command line, as the ReturnValue.
    r = gw.post(class_path("odd", CIMV2, "Win32_Process") + "/methods/Create", {"CommandLine": ""})
    assert r.status_code == 200 and r.json()["ReturnValue"] == 21


def test_instance_methods_start_stop_service(gw, fresh):
    bits = inst_path("odd", CIMV2, "Win32_Service", Name="BITS")
    assert gw.get(bits).json()["State"] == "Stopped"
    r = gw.post(bits + "/methods/StartService")
    assert r.status_code == 200, r.text
    assert r.json() == {"ReturnValue": 0}
    g = gw.get(bits).json()
    assert g["State"] == "Running" and g["Started"] is True and g["ProcessId"] > 0
    assert gw.post(bits + "/methods/StartService").json()["ReturnValue"] == 10   # already running
    assert gw.post(bits + "/methods/StopService").json()["ReturnValue"] == 0
    assert gw.get(bits).json()["State"] == "Stopped"
    assert gw.post(bits + "/methods/StopService").json()["ReturnValue"] == 5    # cannot accept control
    # RpcSs has running dependents: 3.
    assert gw.post(inst_path("odd", CIMV2, "Win32_Service", Name="RpcSs") + "/methods/StopService").json() == \
        {"ReturnValue": 3}
    # Disabled: 14.
    assert gw.post(inst_path("odd", CIMV2, "Win32_Service", Name="RemoteRegistry") +
                   "/methods/StartService").json()["ReturnValue"] == 14
    # An empty JSON object is no in-parameters too.
    assert gw.post(bits + "/methods/StartService", {}).json()["ReturnValue"] == 0


def test_method_in_and_out_parameters_round_trip(gw):
    args = {"PBool": True, "PSint8": -128, "PUint64": "18446744073709551615", "PSint64": "-9007199254740993",
            "PChar16": "\u03a9", "PString": "<&>\"' \U0001F600", "PDatetime": "2024-01-31T23:59:59.123456-05:00",
            "PInterval": "P1DT2H3M4.5S", "AString": ["a", "", "b,c"], "AUint64": ["0", "9007199254740993"],
            "PRef": {"@class": "Sim_Item", "@keys": {"Id": 4}}}
    r = gw.post(class_path("even", TEST_NS, "Sim_AllTypes") + "/methods/Echo", args)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ReturnValue"] == 0
    for k in ("PBool", "PSint8", "PUint64", "PSint64", "PChar16", "PString", "AString", "AUint64"):
        assert out[k] == args[k], k
    assert fixturemodel.parse_datetime(out["PDatetime"]) == fixturemodel.parse_datetime(args["PDatetime"])
    assert fixturemodel.parse_interval(out["PInterval"]) == fixturemodel.parse_interval(args["PInterval"])
    assert out["PRef"]["@id"] == inst_path("even", TEST_NS, "Sim_Item", Id=4)
    assert out["PRef"]["@keys"] == {"Id": 4}


def test_create_association_with_relative_references(gw, fresh):
    """openapi.json Reference: "@namespace is absent when the reference is
    relative to the enclosing instance's namespace" (root/test here)."""
    r = gw.post(list_path("odd", TEST_NS, "Sim_Link"), {"Left": {"@class": "Sim_Item", "@keys": {"Id": 0}},
                                                        "Right": {"@class": "Sim_Item", "@keys": {"Id": 4}},
                                                        "Weight": 99})
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["Left"]["@id"] == inst_path("odd", TEST_NS, "Sim_Item", Id=0)
    assert link["Right"]["@id"] == inst_path("odd", TEST_NS, "Sim_Item", Id=4)
    assert link["Weight"] == 99
    # Found from either end.
    refs = gw.get(inst_path("odd", TEST_NS, "Sim_Item", Id=4) + "/references").json()["items"]
    assert r.headers["Location"] in [i["@id"] for i in refs]


# --- associations ------------------------------------------------------------------------------------------


def test_associators(gw):
    base = inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
    r = gw.get(base + "/associators")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert sorted((i["@class"], i["Name"]) for i in items) == [("Win32_Service", "RpcSs"),
                                                                ("Win32_SystemDriver", "HTTP")]
    http = [i for i in items if i["Name"] == "HTTP"][0]
    assert http["@id"] == inst_path("odd", CIMV2, "Win32_SystemDriver", Name="HTTP")
    r = gw.get(base + "/associators", params={"resultClass": "Win32_Service"})
    assert [i["Name"] for i in r.json()["items"]] == ["RpcSs"]
    # The other direction: who depends on RpcSs (role Antecedent -> results are Dependents).
    r = gw.get(inst_path("odd", CIMV2, "Win32_Service", Name="RpcSs") + "/associators",
               params={"assocClass": "Win32_DependentService", "role": "Antecedent"})
    assert r.status_code == 200, r.text
    assert names(r.json()["items"]) == sorted(["BITS", "RemoteRegistry", "Schedule", "SimSvc0", "Spooler",
                                               "TermService", "WinRM", "Winmgmt", "wuauserv"])
    # Paging over associators.
    items, pages = gw.list_all(inst_path("odd", CIMV2, "Win32_Service", Name="RpcSs") + "/associators",
                               params={"role": "Antecedent", "limit": 4})
    assert len(pages) >= 3 and len(items) == 9 and len({i["Name"] for i in items}) == 9


def test_references(gw):
    r = gw.get(inst_path("odd", CIMV2, "Win32_Service", Name="WinRM") + "/references")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert {i["@class"] for i in items} == {"Win32_DependentService"}
    pairs = sorted((i["Antecedent"]["@keys"]["Name"], i["Dependent"]["@keys"]["Name"]) for i in items)
    assert pairs == [("HTTP", "WinRM"), ("RpcSs", "WinRM")]
    for i in items:
        assert i["Dependent"]["@id"] == inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
        assert i["TypeOfDependency"] == 3
        g = gw.get(i["@id"])
        assert g.status_code == 200, (i["@id"], g.text)
        assert g.json() == i
    r = gw.get(inst_path("odd", CIMV2, "Win32_Service", Name="WinRM") + "/references",
               params={"role": "Antecedent"})
    assert r.json()["items"] == []


# --- WQL ------------------------------------------------------------------------------------------------------


def test_query_select_where_projection(gw, sim, model):
    r = gw.post("/v1/hosts/even/query", {"namespace": "root/cimv2",
                                          "query": "SELECT Name, State FROM Win32_Service WHERE StartMode = 'Auto'"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    want = [w for w in model.instances(CIMV2, "Win32_Service", sim.hosts[1].key) if w["StartMode"] == "Auto"]
    assert names(items) == sorted(w["Name"] for w in want)
    assert "W3SVC" in names(items)
    by = {w["Name"]: w for w in want}
    for i in items:
        assert set(i) - META == {"Name", "State"}
        assert i["State"] == by[i["Name"]]["State"] and i["@host"] == "even"
    # The whole instance, and a WQL namespace written with backslashes.
    r = gw.post("/v1/hosts/odd/query", {"namespace": "root\\cimv2",
                                         "query": "SELECT * FROM Win32_Environment WHERE Name = 'Path'"})
    assert r.status_code == 200, r.text
    got = r.json()["items"]
    assert sorted(i["UserName"] for i in got) == sorted(
        w["UserName"] for w in model.instances(CIMV2, "Win32_Environment", sim.hosts[0].key) if w["Name"] == "Path")
    for i in got:
        assert gw.get(i["@id"]).json() == i


def test_query_paging_and_ndjson(gw):
    body = {"namespace": "root/test", "query": "SELECT * FROM Sim_Bench WHERE Id < 250"}
    r = gw.post("/v1/hosts/odd/query", body, params={"limit": 100})
    assert r.status_code == 200, r.text
    ids = [i["Id"] for i in r.json()["items"]]
    nxt = r.json()["next"]
    while nxt:
        r = gw.post(nxt, body)
        assert r.status_code == 200, r.text
        ids += [i["Id"] for i in r.json()["items"]]
        nxt = r.json()["next"]
    assert sorted(ids) == list(range(250))
    r = gw.post("/v1/hosts/odd/query", body, headers={"Accept": "application/x-ndjson"})
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    assert sorted(json.loads(x)["Id"] for x in r.text.split("\n")[:-1]) == list(range(250))


def test_query_associators_of(gw):
    r = gw.post("/v1/hosts/odd/query", {"namespace": "root/cimv2",
                                         "query": "ASSOCIATORS OF {Win32_Service.Name=\"WinRM\"}"})
    assert r.status_code == 200, r.text
    assert sorted((i["@class"], i["Name"]) for i in r.json()["items"]) == [("Win32_Service", "RpcSs"),
                                                                            ("Win32_SystemDriver", "HTTP")]
    r = gw.post("/v1/hosts/odd/query", {"namespace": "root/cimv2",
                                         "query": "ASSOCIATORS OF {Win32_Service.Name='WinRM'} "
                                                  "WHERE ResultClass = Win32_SystemDriver"})
    assert r.status_code == 200, r.text
    assert [i["Name"] for i in r.json()["items"]] == ["HTTP"]
    r = gw.post("/v1/hosts/odd/query", {"namespace": "root/cimv2",
                                         "query": "REFERENCES OF {Win32_Service.Name=\"WinRM\"}"})
    assert r.status_code == 200, r.text
    assert sorted(i["Antecedent"]["@keys"]["Name"] for i in r.json()["items"]) == ["HTTP", "RpcSs"]
