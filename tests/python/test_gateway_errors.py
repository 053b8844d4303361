"""
Every error the gateway answers, over real loopback HTTP in front of the
simulated fleet: each status of openapi/openapi.json, as an RFC 9457 problem
(type urn:wmgw:problem:<slug>, status, detail, requestId, host, position,
backend), with backend failures injected through the simulator's control
interface (faults, HTTP errors, garbage, latency, dropped connections).

Run: /usr/bin/python3 -m pytest tests/python/test_gateway_*.py
"""
import base64
import hashlib
import hmac
import json
import time
import urllib.parse

import pytest

import gwclient
from conftest import PASSWORD, USER
from gwclient import CIMV2, TEST_NS, assert_problem, class_path, inst_path, list_path

WSMAN_INTERNAL_ERROR = 2150858755
WSMAN_RESOURCE_NOT_FOUND = 2150858752


@pytest.fixture(scope="module")
def gw(sim, tmp_path_factory):
    g = gwclient.standard_gateway(tmp_path_factory.mktemp("gw-errors"), sim, USER, PASSWORD)
    yield g
    g.stop()


@pytest.fixture
def clean(sim):
    """Latency and pending failures of every simulated host cleared after the test."""
    sim.control.clear("*")
    yield sim
    sim.control.clear("*")


def requests_to(sim):
    return {h["name"]: h["counters"]["requests"] for h in sim.control.hosts()}


def warm(gw, host, ns, cls):
    """Gets the class schema into the gateway's cache, so that the next call
    is the operation itself."""
    assert gw.get(class_path(host, ns, cls)).status_code == 200


# --- 404 ----------------------------------------------------------------------------------------


def test_404_unknown_host_without_any_connection(gw, sim):
    before = requests_to(sim)
    for path in ["/v1/hosts/nope", class_path("nope", CIMV2, "Win32_Service"),
                 inst_path("nope", CIMV2, "Win32_Service", Name="WinRM"),
                 inst_path(sim.hosts[0].address, CIMV2, "Win32_Service", Name="WinRM")]:
        p = assert_problem(gw.get(path), 404, "not-found")
        assert "backend" not in p
    p = assert_problem(gw.post("/v1/hosts/nope/query", {"namespace": CIMV2, "query": "SELECT * FROM Win32_Service"}),
                       404, "not-found", host="nope")
    assert "nope" in p["detail"]
    assert_problem(gw.delete("/v1/hosts/nope"), 404, "not-found")
    assert requests_to(sim) == before


def test_404_unknown_namespace_class_instance(gw):
    p = assert_problem(gw.get(class_path("odd", "root/nope", "Win32_Service")), 404, "not-found", host="odd")
    assert p["backend"]["wmi"]["cimStatus"] == 3                       # WBEM_E_INVALID_NAMESPACE
    assert p["backend"]["faultSubcode"] == "a:DestinationUnreachable"
    p = assert_problem(gw.get(list_path("odd", CIMV2, "Win32_Nope")), 404, "not-found", host="odd")
    assert p["backend"]["wmi"]["cimStatus"] == 5                       # WBEM_E_INVALID_CLASS
    assert p["backend"]["wsmanCode"] == WSMAN_RESOURCE_NOT_FOUND
    p = assert_problem(gw.get(inst_path("odd", CIMV2, "Win32_Service", Name="NoSuchService")), 404, "not-found",
                       host="odd")
    b = p["backend"]
    assert b["faultCode"] == "s:Sender" and b["faultSubcode"] == "a:DestinationUnreachable"
    assert b["faultDetail"].endswith("/faultDetail/ResourceNotFound")
    assert b["wsmanCode"] == WSMAN_RESOURCE_NOT_FOUND and b["wsmanCodeHex"] == "0x80338000"
    assert p["instance"] == inst_path("odd", CIMV2, "Win32_Service", Name="NoSuchService")
    # No such route, no such method.
    assert_problem(gw.get("/v1/nothing"), 404, "not-found")
    assert_problem(gw.post(inst_path("odd", CIMV2, "Win32_Service", Name="WinRM") + "/methods/Explode"), 404,
                   "not-found", host="odd")


# --- 400 -----------------------------------------------------------------------------------------


def test_400_bad_filter_with_position(gw):
    p = assert_problem(gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"filter": "State == 'x'"}), 400,
                       "bad-request", host="odd")
    assert p["position"] == 7                          # "State =" then the second "=" at offset 7
    p = assert_problem(gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"filter": "Name = 'unterminated"}),
                       400, "bad-request")
    assert p["position"] == 7
    p = assert_problem(gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"filter": "Nope = 1"}), 400)
    assert "Nope" in p["detail"]
    p = assert_problem(gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"select": "Name,Nope"}), 400)
    assert "Nope" in p["detail"]
    # A query body: the position is an offset in its "query".
    p = assert_problem(gw.post("/v1/hosts/odd/query", {"namespace": CIMV2, "query": "SELECT Name FROM"}), 400,
                       "bad-request", host="odd")
    assert p["position"] == 16
    p = assert_problem(gw.post("/v1/hosts/odd/query", {"namespace": CIMV2, "query": "SELEKT * FROM Win32_Service"}),
                       400)
    assert p["position"] == 0
    assert_problem(gw.post("/v1/hosts/odd/query", {"namespace": CIMV2}), 400)
    for limit in ("0", "-1", "abc", "10001"):
        p = assert_problem(gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"limit": limit}), 400)
        assert "limit" in p["detail"]


def test_400_bad_keys(gw):
    p = assert_problem(gw.get(inst_path("odd", CIMV2, "Win32_Service", Foo="bar")), 400, "bad-request", host="odd")
    assert "Foo" in p["detail"]
    p = assert_problem(gw.get(inst_path("odd", CIMV2, "Win32_Environment", Name="TEMP")), 400, "bad-request")
    assert "UserName" in p["detail"]
    assert_problem(gw.get(class_path("odd", CIMV2, "Win32_Service") + "/instances/Name=Win%ZZ"), 400)
    assert_problem(gw.get(class_path("odd", CIMV2, "Win32_Service") + "/instances/Name=A,Name=B"), 400)
    assert_problem(gw.get(class_path("odd", TEST_NS, "Sim_Item") + "/instances/Id=notanumber"), 400)
    assert_problem(gw.get(class_path("odd", CIMV2, "Win32$Service")), 400, "bad-request")
    assert_problem(gw.get("/v1/hosts/odd/namespaces/root%2F%2Fcimv2/classes/Win32_Service"), 400, "bad-request")


def test_400_bad_json_bodies(gw, clean):
    coll = list_path("odd", CIMV2, "Win32_Environment")
    p = assert_problem(gw.post(coll, raw=b'{"Name": "X",', headers={"Content-Type": "application/json"}), 400,
                       "bad-request", host="odd")
    assert p["position"] == 13
    p = assert_problem(gw.post(coll, raw=b'["Name"]', headers={"Content-Type": "application/json"}), 400)
    assert "object" in p["detail"]
    p = assert_problem(gw.post(coll, raw=b'{"Name": "a", "Name": "b"}', headers={"Content-Type": "application/json"}),
                       400)
    assert_problem(gw.post(coll, raw=b"", headers={"Content-Type": "application/json"}), 400)
    # Unknown property.
    p = assert_problem(gw.post(coll, {"Name": "X", "UserName": "<SYSTEM>", "Bogus": 1}), 400, "bad-request")
    assert "Bogus" in p["detail"]
    # Wrong type.
    p = assert_problem(gw.patch(inst_path("odd", TEST_NS, "Sim_Item", Id=1), {"Label": 5}), 400)
    assert "Label" in p["detail"]
    # Read-only property in PATCH, and a key.
    env = inst_path("odd", CIMV2, "Win32_Environment", Name="TEMP", UserName="NT AUTHORITY\\SYSTEM")
    before = gw.get(env)
    assert before.status_code == 200, before.text
    p = assert_problem(gw.patch(env, {"SystemVariable": False}), 400, "bad-request", host="odd")
    assert "SystemVariable" in p["detail"] and "read-only" in p["detail"]
    p = assert_problem(gw.patch(env, {"Name": "TMP2"}), 400)
    assert "Name" in p["detail"]
    # Unknown method parameter.
    p = assert_problem(gw.post(class_path("odd", CIMV2, "Win32_Process") + "/methods/Create",
                               {"CommandLine": "x.exe", "Colour": "red"}), 400)
    assert "Colour" in p["detail"]
    # A static method on an instance and the other way round.
    assert_problem(gw.post(class_path("odd", CIMV2, "Win32_Service") + "/methods/StartService"), 400)
    # Nothing was written.
    assert gw.get(env).content == before.content


# --- 405, 406, 409, 413, 415 -----------------------------------------------------------------


def test_405_with_allow(gw):
    r = gw.delete("/v1/hosts")
    assert_problem(r, 405, "method-not-allowed")
    assert sorted(m.strip() for m in r.headers["Allow"].split(",")) == ["GET", "POST"]
    r = gw.patch(class_path("odd", CIMV2, "Win32_Service"), {})
    assert_problem(r, 405, "method-not-allowed")
    assert [m.strip() for m in r.headers["Allow"].split(",")] == ["GET"]
    r = gw.request("PATCH", "/v1/hosts/odd", body={})
    assert_problem(r, 405)
    assert sorted(m.strip() for m in r.headers["Allow"].split(",")) == ["DELETE", "GET", "PUT"]
    r = gw.put("/healthz", {})
    assert_problem(r, 405)
    assert r.headers["Allow"] == "GET"


def test_405_when_the_provider_cannot(gw):
    """Win32_LogicalDisk has no SupportsCreate: WMI's NOT_SUPPORTED is 405."""
    r = gw.post(list_path("odd", CIMV2, "Win32_LogicalDisk"), {"DeviceID": "Z:"})
    p = assert_problem(r, 405, "method-not-allowed", host="odd")
    assert p["backend"]["wmi"]["cimStatus"] == 7
    assert r.headers.get("Allow") == "GET"          # RFC 9110: a 405 says what can be done
    # Win32_LogicalDisk has no SupportsDelete either: the instance stays.
    r = gw.delete(inst_path("odd", CIMV2, "Win32_LogicalDisk", DeviceID="C:"))
    p = assert_problem(r, 405, "method-not-allowed", host="odd")
    assert sorted(m.strip() for m in r.headers["Allow"].split(",")) == ["GET", "PATCH", "PUT"]
    assert gw.get(inst_path("odd", CIMV2, "Win32_LogicalDisk", DeviceID="C:")).status_code == 200


@pytest.mark.parametrize("path", ["/v1/hosts", "/v1/hosts/odd", class_path("odd", CIMV2, "Win32_Service"),
                                  list_path("odd", CIMV2, "Win32_Service"),
                                  inst_path("odd", CIMV2, "Win32_Service", Name="WinRM"),
                                  inst_path("odd", CIMV2, "Win32_Service", Name="WinRM") + "/associators"])
def test_406_not_acceptable(gw, sim, path):
    before = requests_to(sim)
    r = gw.get(path, headers={"Accept": "text/html"})
    assert_problem(r, 406, "not-acceptable")
    assert requests_to(sim) == before, "a 406 must not cost a backend call"
    assert gw.get(path, headers={"Accept": "text/html, application/json;q=0.5"}).status_code == 200
    assert gw.get(path, headers={"Accept": "*/*"}).status_code == 200


def test_409_conflicts(gw, sim):
    assert_problem(gw.post(list_path("odd", CIMV2, "Win32_Environment"),
                           {"Name": "ComSpec", "UserName": "<SYSTEM>", "VariableValue": "x"}), 409, "already-exists",
                   host="odd")
    assert gw.get(inst_path("odd", CIMV2, "Win32_Environment", Name="ComSpec",
                            UserName="<SYSTEM>")).json()["VariableValue"] == "%SystemRoot%\\system32\\cmd.exe"
    assert_problem(gw.post("/v1/hosts", {"name": "odd", "address": sim.hosts[0].address}), 409, "already-exists")


def test_413_body_over_max_request_body(gw, sim):
    before = requests_to(sim)
    big = {"Name": "BIG", "UserName": "<SYSTEM>", "VariableValue": "x" * (70 * 1024)}
    r = gw.post(list_path("odd", CIMV2, "Win32_Environment"), big)
    assert r.status_code == 413
    assert requests_to(sim) == before
    assert_problem(r, 413, "too-large")


def test_415_unsupported_media_type(gw, sim):
    before = requests_to(sim)
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        r = gw.post(list_path("odd", CIMV2, "Win32_Environment"), raw=b'{"Name":"X","UserName":"<SYSTEM>"}',
                    headers={"Content-Type": ctype})
        assert_problem(r, 415, "unsupported-media-type", host="odd")
    assert_problem(gw.post("/v1/hosts", raw=b'{"name":"x","address":"127.0.0.1"}',
                           headers={"Content-Type": "text/plain"}), 415)
    assert requests_to(sim) == before


# --- the backend failing: 403, 502, 504 ----------------------------------------------------------------


def test_502_backend_fault_keeps_the_backend_error(gw, clean):
    path = inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
    warm(gw, "odd", CIMV2, "Win32_Service")
    clean.control.fail("WMSIM-01", 1, fault="InternalError")
    r = gw.get(path, headers={"X-Request-Id": "fault-test-1"})
    p = assert_problem(r, 502, "backend-error", host="odd", request_id="fault-test-1")
    b = p["backend"]
    assert b["faultCode"] == "s:Receiver"
    assert b["faultSubcode"] == "w:InternalError"
    assert b["wsmanCode"] == WSMAN_INTERNAL_ERROR and b["wsmanCodeHex"] == "0x80338003"
    assert b["wmi"] == {"cimStatus": 1, "hresult": 0x80041001, "hresultHex": "0x80041001"}
    assert "internal error" in p["detail"]
    assert p["instance"] == path
    # The next call is fine again: the failure was the host's, not the gateway's.
    assert gw.get(path).status_code == 200
    # Other operations too.
    clean.control.fail("WMSIM-01", 1, fault="InternalError")
    p = assert_problem(gw.get(list_path("odd", CIMV2, "Win32_Service")), 502, "backend-error", host="odd")
    assert p["backend"]["faultSubcode"] == "w:InternalError"
    clean.control.fail("WMSIM-01", 1, fault="InternalError")
    p = assert_problem(gw.post(path + "/methods/StartService"), 502, host="odd")
    assert p["backend"]["wsmanCode"] == WSMAN_INTERNAL_ERROR


def test_403_access_denied(gw, clean):
    warm(gw, "even", CIMV2, "Win32_Service")
    clean.control.fail("WMSIM-02", 1, fault="AccessDenied")
    p = assert_problem(gw.get(inst_path("even", CIMV2, "Win32_Service", Name="WinRM")), 403, "forbidden", host="even")
    assert p["backend"]["faultSubcode"] == "w:AccessDenied" and p["backend"]["wsmanCode"] == 5


def test_502_http_error_and_garbage(gw, clean):
    path = inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")
    warm(gw, "odd", CIMV2, "Win32_Service")
    clean.control.fail("WMSIM-01", 1, status=503)
    p = assert_problem(gw.get(path), 502, host="odd")
    assert p["backend"]["httpStatus"] == 503
    clean.control.garbage("WMSIM-01", 1)
    p = assert_problem(gw.get(path), 502, "protocol-error", host="odd")
    assert "faultSubcode" not in p.get("backend", {})
    assert gw.get(path).status_code == 200
    # Garbage in the middle of a paged listing.
    first = gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"limit": 3}).json()
    clean.control.garbage("WMSIM-01", 1)
    assert_problem(gw.get(first["next"]), 502, "protocol-error", host="odd")


def test_502_host_unreachable(gw):
    p = assert_problem(gw.get(inst_path("dead", CIMV2, "Win32_Service", Name="WinRM")), 502, "connection-error",
                       host="dead")
    assert p["detail"]


def test_504_backend_slower_than_operation_timeout(gw, clean):
    path = inst_path("slow", CIMV2, "Win32_Service", Name="WinRM")
    assert gw.get(path).status_code == 200        # class cached, host known
    clean.control.latency("WMSIM-02", 2500)
    t0 = time.monotonic()
    p = assert_problem(gw.get(path), 504, "backend-timeout", host="slow")
    elapsed = time.monotonic() - t0
    assert 0.8 < elapsed < 2.4, elapsed
    assert p["detail"]
    # A listing too.
    t0 = time.monotonic()
    assert_problem(gw.get(list_path("slow", CIMV2, "Win32_Service")), 504, "backend-timeout", host="slow")
    assert time.monotonic() - t0 < 2.4
    clean.control.latency("WMSIM-02", 0)
    assert gw.get(path).status_code == 200


def test_504_fault_timed_out(gw, clean):
    warm(gw, "odd", CIMV2, "Win32_Service")
    clean.control.fail("WMSIM-01", 1, fault="TimedOut")
    p = assert_problem(gw.get(inst_path("odd", CIMV2, "Win32_Service", Name="WinRM")), 504, "backend-timeout",
                       host="odd")
    assert p["backend"]["faultSubcode"] == "w:TimedOut"


# --- dropped connections mid-enumeration -----------------------------------------------------------------


def test_connection_dropped_between_pages(gw, clean):
    first = gw.get(list_path("odd", TEST_NS, "Sim_Bench"), params={"limit": 100})
    assert first.status_code == 200 and len(first.json()["items"]) == 100
    clean.control.drop("WMSIM-01", 1)
    p = assert_problem(gw.get(first.json()["next"]), 502, "connection-error", host="odd")
    assert p["detail"]
    assert clean.control.host("WMSIM-01")["plan"]["drop_count"] == 0


def slow_stream(gw, clean, accept, params=None):
    """Starts a many-batch listing (host "batch": 100 a Pull, 1000 rows) with
    150 ms per reply, reads the first item, then has the simulator cut the
    next reply mid-body.  Returns (response, raw bytes read, exception)."""
    clean.control.latency("WMSIM-01", 150)
    r = gw.get(list_path("batch", TEST_NS, "Sim_Bench"), headers={"Accept": accept}, params=params, stream=True)
    assert r.status_code == 200
    chunks = r.raw.stream(1024, decode_content=True)
    got = next(chunks)
    clean.control.drop("WMSIM-01", 1)
    error = None
    try:
        for c in chunks:
            got += c
    except Exception as e:  # the connection or the chunked encoding broke off
        error = e
    r.close()
    return r, got, error


def test_connection_dropped_mid_ndjson_stream(gw, clean):
    r, got, error = slow_stream(gw, clean, "application/x-ndjson")
    assert error is None, error
    lines = got.decode().split("\n")
    assert lines[-1] == ""
    items = [json.loads(x) for x in lines[:-2]]
    assert 0 < len(items) < 1000
    assert all(set(i) >= {"@id", "Id"} for i in items)
    last = json.loads(lines[-2])
    assert set(last) == {"@error"}, last
    p = last["@error"]
    assert p["type"] == "urn:wmgw:problem:connection-error" and p["status"] == 502
    assert p["host"] == "batch" and p["requestId"] == r.headers["X-Request-Id"]


def test_connection_dropped_mid_json_page_is_never_a_short_page(gw, clean):
    r, got, error = slow_stream(gw, clean, "application/json", params={"limit": 1000})
    assert error is not None, "the page ended cleanly: %r" % got[-200:]
    with pytest.raises(ValueError):
        json.loads(got)


# --- cursors: 410 and 400 ----------------------------------------------------------------------------


def cursor_of(url):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return q["cursor"][0]


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def resign(token, **changes):
    """A cursor with its payload changed and signed with the configured
    cursor-secret (server.c: key = SHA-256 of the secret's text; cursor.c:
    base64url(payload) "." base64url(first 16 bytes of HMAC-SHA256))."""
    payload = json.loads(b64d(token.split(".")[0]))
    payload.update(changes)
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    key = hashlib.sha256(gwclient.CURSOR_SECRET.encode()).digest()
    return b64e(text) + "." + b64e(hmac.new(key, text, hashlib.sha256).digest()[:16])


def with_cursor(url, token):
    parts = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qs(parts.query)
    q["cursor"] = [token]
    return parts.path + "?" + urllib.parse.urlencode(q, doseq=True)


def test_410_expired_cursor(gw):
    first = gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"limit": 5}).json()
    token = cursor_of(first["next"])
    payload = json.loads(b64d(token.split(".")[0]))
    assert payload["h"] == "odd" and payload["e"] > time.time()
    # Signed right and still valid: the page comes (the signing is right).
    r = gw.get(with_cursor(first["next"], resign(token, e=int(time.time()) + 60)))
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 5
    # The same, expired.
    expired = with_cursor(first["next"], resign(token, e=int(time.time()) - 1))
    p = assert_problem(gw.get(expired), 410, "gone")
    assert "cursor" in p["detail"]


def test_410_enumeration_gone_at_the_host(gw, fresh):
    first = gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"limit": 5}).json()
    fresh.control.reset("WMSIM-01")           # the host forgets every enumeration context
    p = assert_problem(gw.get(first["next"]), 410, "gone", host="odd")
    assert p["backend"]["faultSubcode"] == "n:InvalidEnumerationContext"
    # Injected as a fault too.
    first = gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"limit": 5}).json()
    fresh.control.fail("WMSIM-01", 1, fault="InvalidEnumerationContext")
    assert_problem(gw.get(first["next"]), 410, "gone", host="odd")


def test_400_forged_or_foreign_cursor(gw):
    first = gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"limit": 5}).json()
    token = cursor_of(first["next"])
    body, mac = token.split(".")
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    assert_problem(gw.get(with_cursor(first["next"], body + "." + flipped)), 400, "bad-request", host="odd")
    # The payload changed without the key: another host, a later expiry.
    payload = json.loads(b64d(body))
    payload["h"] = "even"
    forged = b64e(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()) + "." + mac
    assert_problem(gw.get(with_cursor(first["next"], forged)), 400, "bad-request")
    assert_problem(gw.get(with_cursor(first["next"], "garbage")), 400, "bad-request")
    assert_problem(gw.get(with_cursor(first["next"], "")), 400, "bad-request")
    # A real cursor, of another listing (another class, another host).
    assert_problem(gw.get(list_path("odd", CIMV2, "Win32_Process") + "?cursor=" + token), 400, "bad-request")
    assert_problem(gw.get(list_path("even", CIMV2, "Win32_Service") + "?cursor=" + token), 400, "bad-request")
    # A query's cursor is bound to its body.
    body = {"namespace": CIMV2, "query": "SELECT * FROM Win32_Service"}
    q = gw.post("/v1/hosts/odd/query", body, params={"limit": 5}).json()
    other = {"namespace": CIMV2, "query": "SELECT * FROM Win32_Service WHERE State = 'Running'"}
    assert_problem(gw.post(q["next"], other), 400, "bad-request")
    assert gw.post(q["next"], body).status_code == 200


# --- problem shape ---------------------------------------------------------------------------------------


def test_problem_shape_and_request_ids(gw, clean):
    r = gw.get("/v1/hosts/nope")
    p = assert_problem(r, 404)
    assert set(p) <= {"type", "title", "status", "detail", "instance", "requestId", "host", "position", "backend"}
    assert p["title"] == "Not Found"
    assert r.headers["X-Request-Id"] == p["requestId"]
    assert len(p["requestId"]) >= 16
    # Every problem names the request: a given id is kept.
    r = gw.get(list_path("odd", CIMV2, "Win32_Service"), params={"filter": "("}, headers={"X-Request-Id": "abc-123"})
    p = assert_problem(r, 400, request_id="abc-123", host="odd")
    assert p["position"] == 1
    assert p["instance"].startswith(list_path("odd", CIMV2, "Win32_Service"))
    # Problems never carry the host's credential.
    warm(gw, "odd", CIMV2, "Win32_Service")
    clean.control.fail("WMSIM-01", 1, fault="AccessDenied")
    r = gw.get(inst_path("odd", CIMV2, "Win32_Service", Name="WinRM"))
    assert PASSWORD not in r.text and USER not in r.text
