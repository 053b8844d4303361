"""
No open proxy: nothing a caller sends chooses where the gateway connects.

A canary TCP listener on a loopback address of its own records every
connection it gets; the requests below name it (or the other configured
host) in every place a request can carry an address: the {host} segment,
the request target and Host headers, "@id" and "@host" members of bodies,
reference values, WMI object paths with a server part in keys and in WQL.
Afterwards the canary has seen nothing, the simulated host the request was
not for has seen nothing, and no host was added.  (POST/PUT /v1/hosts, the
operator's API for the fleet itself, is the one place an address is given
on purpose and is not exercised here.)

Run: /usr/bin/python3 -m pytest tests/python/test_gateway_*.py
"""
import random
import socket
import urllib.parse

import pytest

import gwclient
from conftest import PASSWORD, USER
from gwclient import CIMV2, TEST_NS, assert_problem, class_path, inst_path, list_path


@pytest.fixture(scope="module")
def gw(sim, tmp_path_factory):
    g = gwclient.standard_gateway(tmp_path_factory.mktemp("gw-proxy"), sim, USER, PASSWORD)
    yield g
    g.stop()


@pytest.fixture
def canary():
    c = gwclient.Canary("127.%d.%d.%d" % (random.randint(64, 250), random.randint(1, 250), random.randint(1, 250)))
    yield c
    c.close()


@pytest.fixture
def watch(gw, sim, canary, fresh):
    """Records the fleet before the test; checks after it that the canary and
    the even host were never reached and that the hosts are the same."""
    before = {h["name"]: h["counters"]["requests"] for h in sim.control.hosts()}
    hosts = [h["name"] for h in gw.get("/v1/hosts").json()["items"]]
    yield canary
    assert canary.connections == [], "the gateway connected to %s:%d" % (canary.address, canary.port)
    after = {h["name"]: h["counters"]["requests"] for h in sim.control.hosts()}
    assert after["WMSIM-02"] == before["WMSIM-02"], "a request for host odd reached WMSIM-02"
    assert [h["name"] for h in gw.get("/v1/hosts").json()["items"]] == hosts


def canary_url(c, path="/v1/hosts/odd/namespaces/root%2Ftest/classes/Sim_Item/instances/Id=1"):
    return "http://%s:%d%s" % (c.address, c.port, path)


def test_host_segment_naming_an_address(gw, sim, watch):
    c = watch
    odd_before = sim.control.host("WMSIM-01")["counters"]["requests"]
    for name in (c.address, "%s:%d" % (c.address, c.port), urllib.parse.quote("%s:%d" % (c.address, c.port)),
                 "localhost", sim.hosts[1].address, "WMSIM-02", "even.", "127.0.0.1%2F"):
        r = gw.get(inst_path(name, CIMV2, "Win32_Service", Name="WinRM"))
        assert r.status_code in (400, 404), (name, r.status_code, r.text)
        assert_problem(r, r.status_code)
        r = gw.post("/v1/hosts/%s/query" % name, {"namespace": CIMV2, "query": "SELECT * FROM Win32_Service"})
        assert r.status_code in (400, 404), (name, r.status_code)
    # Nothing reached any simulated host either.
    assert sim.control.host("WMSIM-01")["counters"]["requests"] == odd_before


def raw_http(port, text):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(text.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode("utf-8", "replace")


def test_request_target_and_host_headers_naming_an_address(gw, watch):
    c = watch
    path = inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
    authority = "%s:%d" % (c.address, c.port)
    # Absolute-form request target, as to a forward proxy.
    out = raw_http(gw.port, "GET http://%s%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (authority, path, authority))
    status = int(out.split(" ", 2)[1])
    assert status in (200, 400, 404), out[:300]
    if status == 200:
        assert '"SystemName":"WMSIM-01"' in out
    # CONNECT.
    out = raw_http(gw.port, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (authority, authority))
    assert int(out.split(" ", 2)[1]) >= 400, out[:300]
    # Host and forwarding headers.
    r = gw.get(path, headers={"Host": authority, "X-Forwarded-Host": authority, "Forwarded": "host=" + authority,
                              "X-Forwarded-For": c.address})
    assert r.status_code == 200 and r.json()["SystemName"] == "WMSIM-01"
    assert authority not in r.text


def test_reference_bodies_naming_another_host_or_address(gw, sim, watch):
    c = watch
    coll = list_path("odd", TEST_NS, "Sim_Link")
    # @id of an instance on another configured host: the reference is to an
    # instance on the host of the call (the host part of @id is not kept).
    even_item = inst_path("even", TEST_NS, "Sim_Item", Id=2)
    r = gw.post(coll, {"Left": {"@id": even_item}, "Right": {"@id": inst_path("odd", TEST_NS, "Sim_Item", Id=0)},
                       "Weight": 42})
    assert r.status_code in (201, 400), r.text
    if r.status_code == 201:
        link = r.json()
        assert link["@host"] == "odd"
        assert link["Left"]["@id"] == inst_path("odd", TEST_NS, "Sim_Item", Id=2)
        assert gw.get(r.headers["Location"]).json()["Weight"] == 42
    # Absolute URLs naming the canary: refused or reduced to keys, never fetched.
    for ref in ({"@id": canary_url(c)}, {"@id": "//%s:%d/v1/hosts/odd/namespaces/root%%2Ftest/classes/Sim_Item/"
                                                "instances/Id=1" % (c.address, c.port)},
                {"@id": canary_url(c), "@class": "Sim_Item", "@keys": {"Id": 3}},
                {"@class": "Sim_Item", "@keys": {"Id": 4}, "@host": c.address}):
        r = gw.post(coll, {"Left": ref, "Right": {"@class": "Sim_Item", "@keys": {"Id": 4294967295}}, "Weight": 1})
        assert r.status_code in (201, 400), (ref, r.text)
        if r.status_code == 201:
            assert r.json()["@host"] == "odd" and c.address not in r.text
        else:
            assert_problem(r, 400, host="odd")
    # A reference as a method parameter.
    for ref in ({"@id": even_item}, {"@id": canary_url(c)}):
        r = gw.post(class_path("odd", TEST_NS, "Sim_AllTypes") + "/methods/Echo", {"PRef": ref})
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            assert r.json()["PRef"]["@id"].startswith("/v1/hosts/odd/") and c.address not in r.text


def test_instance_bodies_naming_another_host(gw, sim, watch):
    path = inst_path("odd", TEST_NS, "Sim_Item", Id=1)
    for extra in ({"@host": "even"}, {"@id": inst_path("even", TEST_NS, "Sim_Item", Id=1)},
                  {"@host": watch.address, "@id": canary_url(watch)}):
        body = dict(extra, Label="via odd")
        r = gw.patch(path, body)
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            assert r.json()["@host"] == "odd" and r.json()["Label"] == "via odd"
    assert gw.get(path).json()["@host"] == "odd"
    r = gw.post(list_path("odd", CIMV2, "Win32_Environment"),
                {"Name": "PROXY_TEST", "UserName": "<SYSTEM>", "VariableValue": "x", "@host": "even",
                 "@namespace": "root/cimv2"})
    assert r.status_code in (201, 400), r.text
    if r.status_code == 201:
        assert r.headers["Location"].startswith("/v1/hosts/odd/")
    # The watch fixture checks that WMSIM-02, the host "even", was never asked.


def test_object_paths_with_a_server_part(gw, sim, canary, fresh):
    c = canary
    before = sim.control.host("WMSIM-02")["counters"]["requests"]
    server_path = '\\\\%s\\root\\cimv2:Win32_Service.Name="WinRM"' % c.address
    # In WQL.
    r = gw.post("/v1/hosts/odd/query", {"namespace": CIMV2, "query": "ASSOCIATORS OF {%s}" % server_path})
    assert r.status_code in (200, 400, 404), r.text
    if r.status_code == 200:
        assert all(i["@host"] == "odd" for i in r.json()["items"])
    r = gw.post("/v1/hosts/odd/query", {"namespace": CIMV2, "query": "REFERENCES OF {\\\\%s:%d\\root\\cimv2:"
                                                                   "Win32_Service.Name='WinRM'}" % (c.address, c.port)})
    assert r.status_code in (200, 400, 404), r.text
    # In a reference-valued key.
    dep = ('Antecedent=%s,Dependent=%s' % (
        urllib.parse.quote('\\\\%s\\root\\cimv2:Win32_Service.Name="RpcSs"' % c.address, safe=""),
        urllib.parse.quote('\\\\%s\\root\\cimv2:Win32_Service.Name="WinRM"' % sim.hosts[1].address, safe="")))
    r = gw.get(class_path("odd", CIMV2, "Win32_DependentService") + "/instances/" + dep)
    assert r.status_code in (200, 400, 404), r.text
    if r.status_code == 200:
        assert r.json()["@host"] == "odd"
    assert c.connections == []
    assert sim.control.host("WMSIM-02")["counters"]["requests"] == before


def test_unconfigured_host_names_make_no_connection(gw, sim, canary):
    """404 before any connection, for names that resolve or not."""
    before = {h["name"]: h["counters"]["requests"] for h in sim.control.hosts()}
    for name in ("nope", "localhost", "wmsim-01", canary.address):
        for method, path, body in (("GET", "/v1/hosts/%s" % name, None),
                                   ("GET", list_path(name, CIMV2, "Win32_Service"), None),
                                   ("DELETE", inst_path(name, CIMV2, "Win32_Service", Name="WinRM"), None),
                                   ("POST", inst_path(name, CIMV2, "Win32_Service", Name="WinRM") +
                                    "/methods/StopService", {}),
                                   ("PATCH", inst_path(name, TEST_NS, "Sim_Item", Id=1), {"Label": "x"})):
            r = gw.request(method, path, body=body)
            assert_problem(r, 404, "not-found", host=name)
    assert canary.connections == []
    assert {h["name"]: h["counters"]["requests"] for h in sim.control.hosts()} == before
