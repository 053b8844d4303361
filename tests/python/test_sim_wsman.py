"""
test_sim_wsman.py: the simulated Windows fleet (wmsim) as a WinRM client
sees it.  The client is pywinrm (Protocol with its own transport and
send_message); envelopes are built in simclient.py; what the answers must
hold comes from the fixture data (fixturemodel.py), MS-WSMV and
../../shared/protocol-notes.md section 1.
"""
import http.client
import re
import socket
import time
import urllib.error
import urllib.request
from base64 import b64encode

import pytest
import requests
import winrm.protocol
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WinRMTransportError

import fixturemodel
import simclient as sc
from simclient import (NS, EPR, Datetime, Embedded, Interval, as_list, local, prop_names, q, read_props, split,
                       wmi_uri, wql_filter)

CIMV2 = "root/cimv2"
SERVICE = wmi_uri("Win32_Service")
ENVIRONMENT = wmi_uri("Win32_Environment")
PROCESS = wmi_uri("Win32_Process")
OS = wmi_uri("Win32_OperatingSystem")
COMPUTER = wmi_uri("Win32_ComputerSystem")
DISK = wmi_uri("Win32_LogicalDisk")
DEPENDENT = wmi_uri("Win32_DependentService")
ALL_CIMV2 = wmi_uri("*")
ITEM = wmi_uri("Sim_Item", "root/test")
ALLTYPES = wmi_uri("Sim_AllTypes", "root/test")
LINK = wmi_uri("Sim_Link", "root/test")
BENCH = wmi_uri("Sim_Bench", "root/test")
ALL_TEST = wmi_uri("*", "root/test")


def sorted_ci(names):
    return sorted(names, key=str.lower)


def wql_items(client, query, uri=ALL_CIMV2, **kw):
    items, _ = client.enumerate_all(uri, optimize=True, max_elements=kw.pop("max_elements", 100),
                                    filter_xml=wql_filter(query), **kw)
    return items


def wql_names(client, query, prop="Name", uri=ALL_CIMV2):
    return sorted((read_props(i)[prop] for i in wql_items(client, query, uri)), key=str.lower)


def model_names(model, host, cls, pred=lambda i: True, prop="Name", ns=CIMV2):
    return sorted((i[prop] for i in model.instances(ns, cls, host.key) if pred(i)), key=str.lower)


def check_instance_element(elem, class_name, namespace=CIMV2):
    """An instance element as WinRM writes it (protocol-notes 1.8)."""
    uri = wmi_uri(class_name, namespace)
    assert elem.tag == "{%s}%s" % (uri, class_name)
    t = elem.get(sc.XSI_TYPE)
    assert t is not None and t.split(":")[1] == class_name + "_Type"
    names = prop_names(elem)
    # Properties in case-insensitive alphabetical order, repeats adjacent.
    assert names == sorted_ci(names), names
    for c in elem:
        assert split(c.tag)[0] == uri


def check_matches_fixture(model, props, fixture, class_name, namespace=CIMV2):
    cdef = model.cls(namespace, class_name)
    for name, p in cdef.props.items():
        assert fixturemodel.wire_matches(fixture.get(name), props.get(name), p["type"], sc), \
            "%s.%s: fixture %r, wire %r" % (class_name, name, fixture.get(name), props.get(name))


# --- Identify --------------------------------------------------------------------


def test_identify_authenticated(sim, c1):
    r = c1.identify()
    resp = r.body.find("wsmid:IdentifyResponse", NS)
    assert resp is not None
    assert resp.findtext("wsmid:ProtocolVersion", namespaces=NS) == NS["w"]
    assert resp.findtext("wsmid:ProductVendor", namespaces=NS) == "Microsoft Corporation"
    version = resp.findtext("wsmid:ProductVersion", namespaces=NS)
    m = re.fullmatch(r"OS: (\d+\.\d+\.\d+) SP: \d+\.\d+ Stack: (\d\.\d)", version)
    assert m, version
    # The OS version is the host's own Win32_OperatingSystem.Version.
    assert m.group(1) == c1.get_instance(OS)["Version"]
    assert m.group(2) == "3.0"
    profiles = [e.text for e in resp.findall("wsmid:SecurityProfiles/wsmid:SecurityProfileName", NS)]
    assert "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic" in profiles


def test_identify_unauthenticated_through_pywinrm(sim):
    """WSMANIDENTIFY: unauthenticated, sent by pywinrm's own session."""
    p = winrm.protocol.Protocol(sim.hosts[0].endpoint, transport="plaintext", username="nobody", password="x")
    p.transport.build_session()
    p.transport.session.auth = None
    p.transport.session.headers["WSMANIDENTIFY"] = "unauthenticated"
    r = sc.Reply(p.send_message(sc.identify_envelope()))
    assert r.header is not None and len(r.header) == 0  # <s:Header/> as Windows sends it
    resp = r.body.find("wsmid:IdentifyResponse", NS)
    assert resp.findtext("wsmid:ProductVendor", namespaces=NS) == "Microsoft Corporation"
    # An anonymous caller learns nothing about the OS, only the stack
    # (captures: knife 2008 R2 "OS: 0.0.0 SP: 0.0 Stack: 2.0"; this host is WinRM 3.0).
    assert resp.findtext("wsmid:ProductVersion", namespaces=NS) == "OS: 0.0.0 SP: 0.0 Stack: 3.0"
    assert resp.find("wsmid:SecurityProfiles", NS) is None


def raw_post(host, body, headers=None, auth=None):
    """POST /wsman with http.client: (status, headers, body)."""
    conn = http.client.HTTPConnection(host.address, host.port, timeout=10)
    h = {"Content-Type": "application/soap+xml;charset=UTF-8"}
    if auth:
        h["Authorization"] = "Basic " + b64encode(("%s:%s" % auth).encode()).decode()
    h.update(headers or {})
    conn.request("POST", "/wsman", body=body.encode() if isinstance(body, str) else body, headers=h)
    r = conn.getresponse()
    out = (r.status, r.headers, r.read())
    conn.close()
    return out


def test_identify_unauthenticated_with_urllib(sim):
    req = urllib.request.Request(sim.hosts[1].endpoint, data=sc.identify_envelope().encode(), method="POST",
                                 headers={"WSMANIDENTIFY": "unauthenticated",
                                          "Content-Type": "application/soap+xml;charset=UTF-8"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
        body = sc.Reply(r.read())
    assert body.first.tag == q("wsmid", "IdentifyResponse")


def test_unauthenticated_header_only_opens_identify(sim):
    """WSMANIDENTIFY lets Identify through, nothing else."""
    text, _ = sc.envelope(sc.GET, SERVICE, selectors={"Name": "WinRM"})
    status, headers, _ = raw_post(sim.hosts[0], text, {"WSMANIDENTIFY": "unauthenticated"})
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="WSMAN"'


# --- authentication ------------------------------------------------------------------


@pytest.mark.parametrize("auth", [None, ("alice", "wrong"), ("mallory", "Secret-1"), ("alice", "secret-1")])
def test_bad_credentials_get_401_with_basic_challenge(fresh, auth):
    sim = fresh
    text, _ = sc.envelope(sc.GET, SERVICE, selectors={"Name": "WinRM"})
    status, headers, body = raw_post(sim.hosts[0], text, auth=auth)
    assert status == 401
    assert 'Basic realm="WSMAN"' in headers.get_all("WWW-Authenticate")
    assert b"Envelope" not in body  # no SOAP body on 401
    assert sim.control.host("WMSIM-01")["counters"]["unauthorized"] == 1


@pytest.mark.parametrize("user,password", [("alice", "wrong"), ("nobody", "Secret-1"), ("dave", "not-a-user")])
def test_pywinrm_rejects_bad_credentials(sim, user, password):
    c = sim.client(0, user, password)
    with pytest.raises(InvalidCredentialsError):
        c.get(SERVICE, {"Name": "WinRM"})


@pytest.mark.parametrize("user,password", [("alice", "Secret-1"), ("ALICE", "Secret-1"), (".\\alice", "Secret-1"),
                                           ("WMSIM-01\\alice", "Secret-1"), ("bob", "Pass word-2"),
                                           ("carol", "co:lon")])
def test_users_from_options_and_users_file(sim, user, password):
    """--user and --users accounts; names case-insensitive, local-account
    prefixes accepted, passwords exact (a colon belongs to the password)."""
    c = sim.client(0, user, password)
    assert c.get_instance(SERVICE, {"Name": "WinRM"})["Name"] == "WinRM"


def test_http_answers_like_windows(sim):
    text, _ = sc.envelope(sc.GET, SERVICE, selectors={"Name": "WinRM"})
    status, headers, body = raw_post(sim.hosts[0], text, auth=("alice", "Secret-1"))
    assert status == 200
    assert headers["Content-Type"].replace(" ", "").lower() == "application/soap+xml;charset=utf-8"
    assert headers.get_all("Server") == ["Microsoft-HTTPAPI/2.0"]
    status, _, body = raw_post(sim.hosts[0], text.replace("WinRM", "NoSuchService"), auth=("alice", "Secret-1"))
    assert status == 500 and b"s:Fault" in body  # faults are HTTP 500


# --- Get -----------------------------------------------------------------------------


def test_get_service_with_selectors(sim, c1, model):
    r = c1.get(SERVICE, {"Name": "WinRM"})
    assert r.header_names() == ["Action", "MessageID", "To", "RelatesTo"]
    assert r.hdr("a", "To") == sc.ANONYMOUS
    assert re.fullmatch(r"uuid:[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", r.hdr("a", "MessageID"))
    assert len(r.body) == 1
    elem = r.first
    check_instance_element(elem, "Win32_Service")
    props = read_props(elem)
    check_matches_fixture(model, props, model.find(CIMV2, "Win32_Service", sim.hosts[0].key, Name="WinRM"),
                          "Win32_Service")
    assert props["SystemName"] == "WMSIM-01"


@pytest.mark.parametrize("selectors", [{"name": "WinRM"}, {"NAME": "winrm"}, {"Name": "WINRM"}, {"nAmE": "wInRm"}])
def test_get_selector_names_and_values_are_case_insensitive(c1, selectors):
    assert c1.get_instance(SERVICE, selectors)["Name"] == "WinRM"


@pytest.mark.parametrize("name,user", [("Path", "NT AUTHORITY\\SYSTEM"), ("path", "nt authority\\system"),
                                       ("TEMP", "NT AUTHORITY\\LOCAL SERVICE"), ("ComSpec", "<SYSTEM>"),
                                       ("TMP", "WMSIM-02\\Administrator")])
def test_get_environment_composite_keys(sim, c2, model, name, user):
    props = c2.get_instance(ENVIRONMENT, [("Name", name), ("UserName", user)])
    fixture = model.find(CIMV2, "Win32_Environment", sim.hosts[1].key, Name=name, UserName=user)
    assert fixture is not None
    check_matches_fixture(model, props, fixture, "Win32_Environment")
    assert props["UserName"] == fixture["UserName"]  # backslash unescaped, as in the captures


def test_get_environment_keys_in_either_order(c1):
    a = c1.get_instance(ENVIRONMENT, [("UserName", "<SYSTEM>"), ("Name", "OS")])
    assert a["VariableValue"] == "Windows_NT"


def test_get_singleton_without_selectors(sim, c1, c2, model):
    for client, host in ((c1, sim.hosts[0]), (c2, sim.hosts[1])):
        r = client.get(OS)
        check_instance_element(r.first, "Win32_OperatingSystem")
        props = read_props(r.first)
        assert props["CSName"] == host.name
        fixture = model.instances(CIMV2, "Win32_OperatingSystem", host.key)
        assert len(fixture) == 1
        check_matches_fixture(model, props, fixture[0], "Win32_OperatingSystem")


def test_get_singleton_with_its_key_too(c1):
    name = c1.get_instance(OS)["Name"]
    assert c1.get_instance(OS, {"Name": name})["Name"] == name


@pytest.mark.parametrize("expr", ["State", "state", "State/text()"])
def test_get_fragment_transfer(c1, expr):
    r = c1.get(SERVICE, {"Name": "WinRM"}, fragment=expr)
    frag = r.first
    assert frag.tag == q("w", "XmlFragment")
    assert [(c.tag, c.text) for c in frag] == [("State", "Running")]  # unqualified child


def test_get_fragment_of_a_datetime(c1, model, sim):
    r = c1.get(PROCESS, {"Handle": "4"}, fragment="CreationDate")
    (child,) = list(r.first)
    assert child.tag == "CreationDate"
    v = sc.decode_value(child)
    want = model.find(CIMV2, "Win32_Process", sim.hosts[0].key, Handle="4")["CreationDate"]
    assert isinstance(v, Datetime) and fixturemodel.parse_datetime(v.text) == fixturemodel.parse_datetime(want)


@pytest.mark.parametrize("expr", ["/Win32_Service/State", "NoSuchProperty", "State/../Name"])
def test_get_fragment_rejected(c1, expr):
    f = c1.fault(sc.GET, SERVICE, selectors={"Name": "WinRM"}, fragment=expr)
    assert f.code == "s:Sender"
    # wsman:CannotProcessFilter (MS-WSMV <65>,<66>), not the enumeration one.
    assert f.subcode_qname() == (NS["w"], "CannotProcessFilter")
    assert f.action == "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
    assert f.wsman_code == sc.CODE_CANNOT_PROCESS_FILTER


def test_fragment_transfer_must_be_understood(c1):
    f = c1.fault(sc.GET, SERVICE, selectors={"Name": "WinRM"},
                 extra_headers='<w:FragmentTransfer s:mustUnderstand="false">State</w:FragmentTransfer>')
    assert f.subcode_qname() == (NS["a"], "InvalidMessageInformationHeader")


# --- the data behind every class -----------------------------------------------------------

CLASSES = [("root/cimv2", "Win32_Service"), ("root/cimv2", "Win32_SystemDriver"), ("root/cimv2", "Win32_Process"),
           ("root/cimv2", "Win32_Environment"), ("root/cimv2", "Win32_LogicalDisk"),
           ("root/cimv2", "Win32_OperatingSystem"), ("root/cimv2", "Win32_ComputerSystem"),
           ("root/cimv2", "Win32_DependentService"), ("root/test", "Sim_Item"), ("root/test", "Sim_AllTypes"),
           ("root/test", "Sim_Link")]


@pytest.mark.parametrize("host", [0, 1])
@pytest.mark.parametrize("ns,cls", CLASSES)
def test_enumerate_matches_fixture_data(sim, model, host, ns, cls):
    """Every instance of every class once, with every property as the
    fixture has it (values the fixture builds from unknown host variables
    excepted)."""
    c = sim.client(host)
    items, _ = c.enumerate_all(wmi_uri(cls, ns), optimize=True, max_elements=7, pull_max=5)
    cdef = model.cls(ns, cls)
    keys = cdef.keys

    def key(v):  # a key value, wire or fixture; references by class and keys
        if isinstance(v, sc.Ref):
            return (v.resource_uri.rsplit("/", 1)[1].lower(),
                    tuple(sorted((a.lower(), str(b).lower()) for a, b in v.selectors.items())))
        if isinstance(v, dict):
            return (v["@class"].lower(), tuple(sorted((a.lower(), str(b).lower()) for a, b in v["@keys"].items())))
        return str(v).lower()
    want = {tuple(key(i[k]) for k in keys): i for i in model.instances(ns, cls, sim.hosts[host].key)}
    got = {}
    for e in items:
        check_instance_element(e, local(e.tag), ns)
        props = read_props(e)
        k = tuple(key(props[kk]) for kk in keys)
        assert k not in got, "instance %r twice" % (k,)
        got[k] = props
    assert set(got) == set(want)
    for k, props in got.items():
        check_matches_fixture(model, props, want[k], want[k]["@class"], ns)


def test_references_and_embedded_objects_name_their_namespace(c1):
    """A reference or embedded object of a root/test class is addressed in
    root/test (it is fetched with its own resource URI)."""
    props = c1.get_instance(ALLTYPES, {"Id": "edge"})
    assert props["PRef"].resource_uri == ITEM
    assert all(r.resource_uri == ITEM for r in as_list(props["ARef"]))
    assert props["PObject"].type_uri == ITEM
    # The reference works as an address.
    target = c1.get_instance(props["PRef"].resource_uri, props["PRef"].selectors)
    assert target["Label"] == "alpha"


# --- Put -----------------------------------------------------------------------------------


def service_body(props, **changes):
    p = dict(props)
    p.update(changes)
    return sc.instance_xml("Win32_Service", [(k, v) for k, v in p.items()])


def plain(props):
    """Properties as values instance_xml can write back (arrays as lists)."""
    return {k: list(v) if isinstance(v, list) else v for k, v in props.items()}


def test_put_writable_property(fresh, c1):
    before = c1.get_instance(SERVICE, {"Name": "WinRM"})
    assert before["DesktopInteract"] == "false"
    r = c1.put(SERVICE, {"Name": "WinRM"}, service_body(plain(before), DesktopInteract=True))
    check_instance_element(r.first, "Win32_Service")
    after_put = read_props(r.first)
    assert after_put["DesktopInteract"] == "true"
    after = c1.get_instance(SERVICE, {"Name": "WinRM"})
    assert after["DesktopInteract"] == "true"
    # Nothing else changed.
    assert sorted(after) == sorted(before)
    assert all(after[k] == before[k] for k in before if k not in ("DesktopInteract", "InstallDate"))


def test_put_with_only_the_changed_property(fresh, c1):
    r = c1.put(SERVICE, {"Name": "Spooler"}, sc.instance_xml("Win32_Service", [("DesktopInteract", True)]))
    assert read_props(r.first)["DesktopInteract"] == "true"
    assert read_props(r.first)["State"] == "Running"


def test_put_read_only_property_faults(fresh, c1):
    before = c1.get_instance(SERVICE, {"Name": "WinRM"})
    f = c1.fault(sc.PUT, SERVICE, selectors={"Name": "WinRM"}, body=service_body(plain(before), State="Stopped"))
    assert f.status == 500
    assert f.code == "s:Sender"
    assert "State" in f.message
    assert f.wmi_error is not None
    assert c1.get_instance(SERVICE, {"Name": "WinRM"})["State"] == "Running"


def test_put_cannot_change_a_key(fresh, c1):
    before = c1.get_instance(SERVICE, {"Name": "WinRM"})
    f = c1.fault(sc.PUT, SERVICE, selectors={"Name": "WinRM"}, body=service_body(plain(before), Name="Other"))
    assert f.code == "s:Sender"
    assert c1.get_instance(SERVICE, {"Name": "WinRM"})["Name"] == "WinRM"


def test_put_environment_value(fresh, c1, c2):
    sel = [("Name", "Path"), ("UserName", "NT AUTHORITY\\SYSTEM")]
    r = c1.put(ENVIRONMENT, sel, sc.instance_xml("Win32_Environment", [("Name", "Path"),
                                                                       ("UserName", "NT AUTHORITY\\SYSTEM"),
                                                                       ("VariableValue", "C:\\new;%PATH%")]))
    assert read_props(r.first)["VariableValue"] == "C:\\new;%PATH%"
    assert c1.get_instance(ENVIRONMENT, sel)["VariableValue"] == "C:\\new;%PATH%"
    # The other host is another machine.
    assert c2.get_instance(ENVIRONMENT, sel)["VariableValue"] != "C:\\new;%PATH%"


def test_put_fragment(fresh, c1):
    sel = [("Name", "TEMP"), ("UserName", "<SYSTEM>")]
    r = c1.put(ENVIRONMENT, sel, sc.fragment_xml([("VariableValue", "D:\\Temp")]), fragment="VariableValue")
    assert r.first.tag == q("w", "XmlFragment")
    assert [(c.tag, c.text) for c in r.first] == [("VariableValue", "D:\\Temp")]
    assert c1.get_instance(ENVIRONMENT, sel)["VariableValue"] == "D:\\Temp"


def test_put_leaves_arrays_the_body_does_not_name(fresh, c1):
    """Arrays are repeated elements: one the body leaves out keeps its value
    like any property the body does not name; xsi:nil makes it NULL."""
    r = c1.put(ITEM, {"Id": "1"}, sc.instance_xml("Sim_Item", [("Id", 1), ("Label", "one")], "root/test"))
    assert as_list(read_props(r.first)["Tags"]) == ["red", "green"]
    r = c1.put(ITEM, {"Id": "1"}, sc.instance_xml("Sim_Item", [("Tags", ["x", "y", "z"])], "root/test"))
    assert as_list(read_props(r.first)["Tags"]) == ["x", "y", "z"]
    assert as_list(c1.get_instance(ITEM, {"Id": "1"})["Tags"]) == ["x", "y", "z"]
    c1.put(ITEM, {"Id": "1"}, sc.instance_xml("Sim_Item", [("Tags", None)], "root/test"))
    assert as_list(c1.get_instance(ITEM, {"Id": "1"}).get("Tags")) == []
    assert wql_names(c1, "SELECT * FROM Sim_Item WHERE Tags IS NULL", "Id", ALL_TEST) == ["1", "3"]


def test_put_on_class_without_supportsupdate(fresh, c1):
    f = c1.fault(sc.PUT, PROCESS, selectors={"Handle": "4"},
                 body=sc.instance_xml("Win32_Process", [("Priority", 8)]))
    assert f.code == "s:Sender"
    assert f.wmi_error is not None and f.wmi_error["CIMStatusCode"] == "7"  # CIM_ERR_NOT_SUPPORTED


# --- Create and Delete ---------------------------------------------------------------------


def new_variable(name, user="<SYSTEM>", value="42"):
    return sc.instance_xml("Win32_Environment", [("Name", name), ("UserName", user), ("VariableValue", value)])


def test_create_environment_variable(fresh, sim, c1, model):
    r = c1.create(ENVIRONMENT, new_variable("WMGW_TEST", "NT AUTHORITY\\SYSTEM", "yes"))
    rc = r.first
    assert rc.tag == q("x", "ResourceCreated")
    epr = sc.read_epr(rc)
    assert rc.findtext("a:Address", namespaces=NS) == sc.ANONYMOUS
    assert epr.resource_uri == ENVIRONMENT
    assert {k.lower(): v for k, v in epr.selectors.items()} == {"name": "WMGW_TEST", "username": "NT AUTHORITY\\SYSTEM"}
    # The EPR addresses the new instance.
    got = c1.get_instance(epr.resource_uri, epr.selectors)
    assert got["VariableValue"] == "yes" and got["Name"] == "WMGW_TEST"
    items, _ = c1.enumerate_all(ENVIRONMENT, optimize=True, max_elements=100)
    assert len(items) == len(model.instances(CIMV2, "Win32_Environment", sim.hosts[0].key)) + 1
    # Again: it exists.
    f = c1.fault(sc.CREATE, ENVIRONMENT, body=new_variable("wmgw_test", "nt authority\\system", "no"))
    assert (f.code, f.subcode_qname()) == ("s:Sender", (NS["w"], "AlreadyExists"))
    assert f.wsman_code == sc.CODE_ALREADY_EXISTS
    assert f.wmi_error["CIMStatusCode"] == "11" and int(f.wmi_error["error_Code"]) == 0x80041019
    assert c1.get_instance(ENVIRONMENT, epr.selectors)["VariableValue"] == "yes"


def test_create_existing_fixture_instance_already_exists(c1):
    f = c1.fault(sc.CREATE, ENVIRONMENT, body=new_variable("Path", "NT AUTHORITY\\SYSTEM"))
    assert f.subcode_qname() == (NS["w"], "AlreadyExists")


@pytest.mark.parametrize("uri,body", [
    (DISK, sc.instance_xml("Win32_LogicalDisk", [("DeviceID", "Z:")])),
    (OS, sc.instance_xml("Win32_OperatingSystem", [("Name", "x")])),
])
def test_create_on_class_without_supportscreate(c1, uri, body):
    f = c1.fault(sc.CREATE, uri, body=body)
    assert f.code == "s:Sender"
    assert f.wmi_error is not None and f.wmi_error["CIMStatusCode"] == "7"  # CIM_ERR_NOT_SUPPORTED


def test_create_without_a_key(fresh, c1):
    f = c1.fault(sc.CREATE, ENVIRONMENT,
                 body=sc.instance_xml("Win32_Environment", [("Name", "X"), ("VariableValue", "1")]))
    assert f.code == "s:Sender"
    assert f.wmi_error is not None


def test_delete_environment_variable(fresh, sim, c1, c2):
    sel = [("Name", "JAVA_HOME"), ("UserName", "<SYSTEM>")]
    assert c1.get_instance(ENVIRONMENT, sel)["Name"] == "JAVA_HOME"
    r = c1.delete(ENVIRONMENT, sel)
    assert len(r.body) == 0  # empty body
    f = c1.fault(sc.GET, ENVIRONMENT, selectors=sel)
    assert f.subcode_qname() == (NS["a"], "DestinationUnreachable")
    assert f.fault_detail == sc.FAULT_DETAIL + "ResourceNotFound"
    f = c1.fault(sc.DELETE, ENVIRONMENT, selectors=sel)
    assert f.subcode_qname() == (NS["a"], "DestinationUnreachable")
    assert f.wsman_code == sc.CODE_RESOURCE_NOT_FOUND
    # WMSIM-02 never had it (fixture: hosts 1 and 3).
    f = c2.fault(sc.DELETE, ENVIRONMENT, selectors=sel)
    assert f.subcode_qname() == (NS["a"], "DestinationUnreachable")


def test_delete_then_create_again(fresh, c1):
    sel = [("Name", "OS"), ("UserName", "<SYSTEM>")]
    c1.delete(ENVIRONMENT, sel)
    c1.create(ENVIRONMENT, new_variable("OS", "<SYSTEM>", "Plan9"))
    assert c1.get_instance(ENVIRONMENT, sel)["VariableValue"] == "Plan9"


# --- Enumerate, Pull, Release ------------------------------------------------------------


def items_in(reply, first):
    """The items of an EnumerateResponse (w:Items) or PullResponse (n:Items)."""
    its = reply.first.find("w:Items" if first else "n:Items", NS)
    return [] if its is None else list(its)


def body_shape(reply):
    return [(split(c.tag)[0], local(c.tag)) for c in reply.first]


def test_enumerate_optimized_batches_and_pulls(sim, c2, model):
    items, replies = c2.enumerate_all(SERVICE, optimize=True, max_elements=4, pull_max=3)
    want = model_names(model, sim.hosts[1], "Win32_Service")
    # 19 everywhere, WAS and W3SVC on even hosts, N % 4 extra ones.
    assert len(want) == 19 + 2 + 2
    assert sorted_ci(read_props(i)["Name"] for i in items) == want
    first = replies[0]
    assert first.first.tag == q("n", "EnumerateResponse")
    assert body_shape(first) == [(NS["n"], "EnumerationContext"), (NS["w"], "Items")]
    assert len(items_in(first, True)) == 4
    for r in replies[1:-1]:
        assert r.first.tag == q("n", "PullResponse")
        assert body_shape(r) == [(NS["n"], "EnumerationContext"), (NS["n"], "Items")]
        assert len(items_in(r, False)) == 3
    last = replies[-1]
    # The last PullResponse has no context, only EndOfSequence (captures).
    assert body_shape(last) == [(NS["n"], "Items"), (NS["n"], "EndOfSequence")]
    assert 1 <= len(items_in(last, False)) <= 3
    contexts = [sc.context_of(r) for r in replies[:-1]]
    assert all(re.fullmatch(r"uuid:[0-9A-F-]{36}", c) for c in contexts)
    # Every reply carries a new context (captures: "always use the latest one").
    assert len(set(contexts)) == len(contexts)


def test_enumerate_without_optimization(sim, c1, model):
    r = c1.enumerate(PROCESS)
    assert body_shape(r) == [(NS["n"], "EnumerationContext")]
    items, replies = c1.enumerate_all(PROCESS, pull_max=6)
    assert body_shape(replies[0]) == [(NS["n"], "EnumerationContext")]
    assert len(replies) == 1 + -(-len(items) // 6)
    handles = sorted(read_props(i)["Handle"] for i in items)
    assert handles == sorted(i["Handle"] for i in model.instances(CIMV2, "Win32_Process", sim.hosts[0].key))


def test_enumerate_all_in_the_first_reply(c1):
    r = c1.enumerate(DISK, optimize=True, max_elements=100)
    # Everything fitted: an empty context next to w:EndOfSequence (captures).
    assert body_shape(r) == [(NS["n"], "EnumerationContext"), (NS["w"], "Items"), (NS["w"], "EndOfSequence")]
    assert sc.context_of(r) == ""
    assert [read_props(i)["DeviceID"] for i in items_in(r, True)] == ["C:", "D:", "E:"]


def test_enumerate_default_max_elements_is_one(c1):
    r = c1.enumerate(DISK, optimize=True)
    assert len(items_in(r, True)) == 1


def test_pull_max_elements_default_is_one(c1):
    r = c1.enumerate(DISK)
    p = c1.pull(DISK, sc.context_of(r))
    assert len(items_in(p, False)) == 1


def test_enumerate_epr_mode(sim, c1, model):
    items, _ = c1.enumerate_all(ENVIRONMENT, optimize=True, max_elements=10, mode="EnumerateEPR")
    want = {(i["Name"].lower(), i["UserName"].lower()) for i in model.instances(CIMV2, "Win32_Environment",
                                                                               sim.hosts[0].key)}
    got = set()
    for e in items:
        assert e.tag == q("a", "EndpointReference")
        epr = sc.read_epr(e)
        assert e.findtext("a:Address", namespaces=NS) == sc.ANONYMOUS
        assert epr.resource_uri == ENVIRONMENT
        assert sorted(epr.selectors) == ["Name", "UserName"]
        got.add((epr.selectors["Name"].lower(), epr.selectors["UserName"].lower()))
    assert got == want and len(items) == len(want)
    # An EPR from the enumeration addresses its instance.
    epr = sc.read_epr(items[-1])
    assert c1.get_instance(epr.resource_uri, epr.selectors)["Name"] == epr.selectors["Name"]


def test_enumerate_object_and_epr_mode(c2):
    items, _ = c2.enumerate_all(SERVICE, optimize=True, max_elements=5, mode="EnumerateObjectAndEPR")
    assert len(items) == 23
    for it in items:
        assert it.tag == q("w", "Item")
        inst, epr = list(it)
        check_instance_element(inst, "Win32_Service")
        assert epr.tag == q("a", "EndpointReference")
        ref = sc.read_epr(epr)
        assert ref.resource_uri == SERVICE and ref.selectors == {"Name": read_props(inst)["Name"]}


def test_enumerate_mode_with_projection(c1):
    items = wql_items(c1, "SELECT Name FROM Win32_Service WHERE Name = 'WinRM'", SERVICE,
                      mode="EnumerateObjectAndEPR")
    (it,) = items
    frag, epr = list(it)
    assert frag.tag == q("w", "XmlFragment") and [c.tag for c in frag] == ["Name"]
    assert sc.read_epr(epr).selectors == {"Name": "WinRM"}


def test_unsupported_enumeration_mode(c1):
    f = c1.fault(sc.ENUMERATE, SERVICE, body=sc.enumerate_body(mode="EnumerateEverything"))
    assert f.subcode_qname() == (NS["w"], "UnsupportedFeature")
    assert f.fault_detail == sc.FAULT_DETAIL + "EnumerationMode"


def check_invalid_context(f):
    assert f.status == 500
    assert f.action == NS["n"] + "/fault"
    assert f.code == "s:Receiver"
    assert f.subcode_qname() == (NS["n"], "InvalidEnumerationContext")
    assert f.wsman_code == sc.CODE_INVALID_ENUMERATION_CONTEXT


def test_release_live_context(c1):
    r = c1.enumerate(PROCESS)
    ctx = sc.context_of(r)
    p = c1.pull(PROCESS, ctx, max_elements=2)
    assert len(items_in(p, False)) == 2
    ctx = sc.context_of(p)
    rel = c1.release(PROCESS, ctx)
    assert len(rel.body) == 0
    check_invalid_context(c1.fault(sc.PULL, PROCESS, body=sc.pull_body(ctx)))
    check_invalid_context(c1.fault(sc.RELEASE, PROCESS, body=sc.release_body(ctx)))


def test_pull_with_a_used_context(c1):
    r = c1.enumerate(PROCESS)
    old = sc.context_of(r)
    p = c1.pull(PROCESS, old, max_elements=2)
    new = sc.context_of(p)
    assert new and new != old
    # WinRM: "...or by supplying the same enumeration context twice".
    check_invalid_context(c1.fault(sc.PULL, PROCESS, body=sc.pull_body(old)))
    p = c1.pull(PROCESS, new, max_elements=2)
    assert len(items_in(p, False)) == 2
    c1.release(PROCESS, sc.context_of(p))


def test_pull_after_end_of_sequence(c1):
    items, replies = c1.enumerate_all(DISK, pull_max=2)
    last_ctx = sc.context_of(replies[-2])
    check_invalid_context(c1.fault(sc.PULL, DISK, body=sc.pull_body(last_ctx)))


@pytest.mark.parametrize("ctx", ["uuid:00000000-0000-0000-0000-000000000000", "garbage", ""])
def test_pull_unknown_context(c1, ctx):
    check_invalid_context(c1.fault(sc.PULL, SERVICE, body=sc.pull_body(ctx)))


def test_contexts_are_per_host(c1, c2):
    ctx = sc.context_of(c1.enumerate(PROCESS))
    check_invalid_context(c2.fault(sc.PULL, PROCESS, body=sc.pull_body(ctx)))
    c1.release(PROCESS, ctx)


def test_enumerate_generated_class(sim, c1):
    """1000 generated instances, pages cut by the envelope size."""
    items, replies = c1.enumerate_all(BENCH, optimize=True, max_elements=32000, pull_max=32000)
    ids = [int(read_props(i)["Id"]) for i in items]
    assert sorted(ids) == list(range(1000))
    assert len(replies) > 2
    for r in replies:
        assert sc.utf16_size(r.text) <= 153600
    # Full pages are close to the limit (within one instance or so).
    for r in replies[:-1]:
        assert sc.utf16_size(r.text) > 153600 - 3000


# --- WQL ---------------------------------------------------------------------------


def like(pattern):
    """WQL LIKE as a Python regex (% _ [set] [^set] [a-z]), case-insensitive."""
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            out += ".*"
        elif ch == "_":
            out += "."
        elif ch == "[":
            j = pattern.index("]", i)
            body = pattern[i + 1:j]
            out += "[" + ("^" + re.escape(body[1:]).replace("\\-", "-") if body.startswith("^")
                          else re.escape(body).replace("\\-", "-")) + "]"
            i = j
        else:
            out += re.escape(ch)
        i += 1
    rx = re.compile(out, re.I | re.S)
    return lambda s: s is not None and rx.fullmatch(s) is not None


SERVICE_QUERIES = [
    ("State = 'running'", lambda i: i["State"].lower() == "running"),
    ("State <> 'Running'", lambda i: i["State"] != "Running"),
    ("State != 'Running'", lambda i: i["State"] != "Running"),
    ("'Running' = State", lambda i: i["State"] == "Running"),
    ("StartMode = 'Auto' AND State = 'Running'", lambda i: i["StartMode"] == "Auto" and i["State"] == "Running"),
    ("StartMode = 'Disabled' OR Name = 'bits'", lambda i: i["StartMode"] == "Disabled" or i["Name"] == "BITS"),
    ("NOT (State = 'Running')", lambda i: i["State"] != "Running"),
    ("NOT State = 'Running' AND StartMode = 'Manual'", lambda i: i["State"] != "Running" and i["StartMode"] == "Manual"),
    ("(Name = 'WinRM' OR Name = 'Spooler') AND AcceptStop = TRUE", lambda i: i["Name"] in ("WinRM", "Spooler")),
    ("AcceptPause = true", lambda i: i["AcceptPause"]),
    ("Started = FALSE", lambda i: not i["Started"]),
    ("ProcessId > 1000", lambda i: i["ProcessId"] > 1000),
    ("ProcessId < 700 AND ProcessId <> 0", lambda i: 0 < i["ProcessId"] < 700),
    ("ProcessId >= 1128", lambda i: i["ProcessId"] >= 1128),
    ("ProcessId <= 812", lambda i: i["ProcessId"] <= 812),
    ("1128 <= ProcessId", lambda i: i["ProcessId"] >= 1128),
    ("ProcessId = 0x468", lambda i: i["ProcessId"] == 0x468),
    ("Name LIKE 'Lanman%'", lambda i: like("Lanman%")(i["Name"])),
    ("Name LIKE '%svc'", lambda i: like("%svc")(i["Name"])),
    ("Name LIKE 'W_S%'", lambda i: like("W_S%")(i["Name"])),
    ("Name LIKE '[a-d]%'", lambda i: like("[a-d]%")(i["Name"])),
    ("Name LIKE '[^a-r]%'", lambda i: like("[^a-r]%")(i["Name"])),
    ("Name LIKE '%[0-9]%'", lambda i: like("%[0-9]%")(i["Name"])),
    ("Name LIKE '[ws]%' AND NOT Name LIKE '%e%'", lambda i: like("[ws]%")(i["Name"]) and not like("%e%")(i["Name"])),
    ("Name NOT LIKE '%s%'", lambda i: not like("%s%")(i["Name"])),
    ("InstallDate IS NULL", lambda i: i["InstallDate"] is None),
    ("InstallDate IS NOT NULL OR Name = 'WinRM'", lambda i: i["InstallDate"] is not None or i["Name"] == "WinRM"),
]


@pytest.mark.parametrize("where,pred", SERVICE_QUERIES, ids=[w for w, _ in SERVICE_QUERIES])
@pytest.mark.parametrize("uri", [ALL_CIMV2, SERVICE])
def test_wql_where(sim, c2, model, where, pred, uri):
    got = wql_names(c2, "SELECT * FROM Win32_Service WHERE " + where, uri=uri)
    want = model_names(model, sim.hosts[1], "Win32_Service", pred)
    assert got == want
    assert 0 < len(want) < 23 or where.startswith("InstallDate")  # every query selects something, not all


def test_wql_select_star_items_are_instances(c1):
    items = wql_items(c1, "select * from win32_service where name = 'winrm'")
    (e,) = items
    check_instance_element(e, "Win32_Service")


def test_wql_string_literals(sim, c1, model):
    # WQL escapes: \\ for a backslash, \' inside single quotes, or double quotes.
    got = wql_names(c1, r"SELECT * FROM Win32_Environment WHERE UserName = 'NT AUTHORITY\\SYSTEM'")
    assert got == model_names(model, sim.hosts[0], "Win32_Environment",
                              lambda i: i["UserName"] == "NT AUTHORITY\\SYSTEM")
    got = wql_names(c1, 'SELECT * FROM Win32_Environment WHERE UserName = "<SYSTEM>" AND Name LIKE "P%"')
    assert got == model_names(model, sim.hosts[0], "Win32_Environment",
                              lambda i: i["UserName"] == "<SYSTEM>" and i["Name"].upper().startswith("P"))
    got = wql_names(c1, "SELECT * FROM Sim_Item WHERE Label = '\u0394elta <&>'", "Id", ALL_TEST)
    assert got == ["4"]


def test_wql_null_and_empty_arrays(sim, c1, model):
    assert wql_names(c1, "SELECT * FROM Sim_Item WHERE Tags IS NULL", "Id", ALL_TEST) == ["3"]
    assert wql_names(c1, "SELECT * FROM Sim_Item WHERE Tags IS NOT NULL", "Id", ALL_TEST) == \
        ["0", "1", "2", "4", "4294967295"]
    assert wql_names(c1, "SELECT * FROM Win32_LogicalDisk WHERE FileSystem IS NULL", "DeviceID") == ["E:"]
    assert wql_names(c1, "SELECT * FROM Win32_LogicalDisk WHERE NOT FileSystem IS NOT NULL", "DeviceID") == ["E:"]
    assert wql_names(c1, "SELECT * FROM Win32_Process WHERE CreationDate IS NULL", "Handle") == ["0"]
    assert wql_names(c1, "SELECT * FROM Win32_Process WHERE CreationDate IS NOT NULL", "Handle") == \
        model_names(model, sim.hosts[0], "Win32_Process", lambda i: i["CreationDate"] is not None, "Handle")


def test_wql_projection(sim, c2, model):
    items = wql_items(c2, "SELECT State, Name, ProcessId FROM Win32_Service WHERE StartMode = 'Manual'")
    want = model.instances(CIMV2, "Win32_Service", sim.hosts[1].key)
    want = {i["Name"]: i for i in want if i["StartMode"] == "Manual"}
    assert len(items) == len(want)
    for e in items:
        assert e.tag == q("w", "XmlFragment")
        # Unqualified children in alphabetical order, whatever the query's order.
        assert [c.tag for c in e] == ["Name", "ProcessId", "State"]
        p = read_props(e)
        i = want[p["Name"]]
        assert p["State"] == i["State"] and int(p["ProcessId"]) == i["ProcessId"]


def test_wql_projection_spells_names_as_the_schema(c1):
    (e,) = wql_items(c1, "SELECT name, STATE FROM Win32_Service WHERE Name = 'WinRM'")
    assert [c.tag for c in e] == ["Name", "State"]


def test_wql_projection_of_null_and_datetime(sim, c1, model):
    items = wql_items(c1, "SELECT CreationDate, Handle FROM Win32_Process WHERE ProcessId < 5")
    got = {read_props(e)["Handle"]: e for e in items}
    assert sorted(got) == ["0", "4"]
    assert sc.is_nil(got["0"].find("CreationDate"))
    v = sc.decode_value(got["4"].find("CreationDate"))
    want = model.find(CIMV2, "Win32_Process", sim.hosts[0].key, Handle="4")["CreationDate"]
    assert fixturemodel.parse_datetime(v.text) == fixturemodel.parse_datetime(want)


def test_wql_projection_datetime_wrapper_is_unqualified(c1):
    """In a w:XmlFragment the datetime wrapper is an unqualified <Datetime>
    (capture server2012/Win32_OperatingSystem_all_000.xml)."""
    (e,) = wql_items(c1, "SELECT LastBootUpTime FROM Win32_OperatingSystem")
    (prop,) = list(e)
    (wrapper,) = list(prop)
    assert wrapper.tag == "Datetime"


def test_wql_isa_on_the_all_classes_uri(sim, c1, model):
    items = wql_items(c1, "SELECT * FROM CIM_Service")
    want = model.instances(CIMV2, "CIM_Service", sim.hosts[0].key)
    assert sorted((local(e.tag), read_props(e)["Name"]) for e in items) == \
        sorted((i["@class"], i["Name"]) for i in want)
    assert {local(e.tag) for e in items} == {"Win32_Service", "Win32_SystemDriver"}
    for e in items:
        check_instance_element(e, local(e.tag))  # each in its own class, not as CIM_Service
    got = wql_names(c1, "SELECT * FROM CIM_Service WHERE __this ISA 'Win32_Service'")
    assert got == model_names(model, sim.hosts[0], "Win32_Service")
    got = wql_names(c1, "SELECT * FROM Win32_BaseService WHERE __CLASS = 'Win32_SystemDriver'")
    assert got == ["HTTP"]
    got = wql_names(c1, "SELECT * FROM CIM_ManagedSystemElement WHERE __this ISA 'Win32_LogicalDisk'")
    assert got == ["C:", "D:", "E:"]


def test_wql_isa_on_embedded_objects_and_references(c1):
    assert wql_names(c1, "SELECT * FROM Sim_AllTypes WHERE PObject ISA 'Sim_Item'", "Id", ALL_TEST) == \
        ["edge", "empty"]
    assert wql_names(c1, "SELECT * FROM Sim_AllTypes WHERE PRef ISA 'Sim_Item'", "Id", ALL_TEST) == ["edge"]
    assert wql_names(c1, "SELECT * FROM Sim_AllTypes WHERE PObject.Label = 'embedded <&> \"one\"'", "Id",
                     ALL_TEST) == ["edge"]


def test_wql_64_bit_comparisons(sim, c1, c2):
    """Win32_LogicalDisk D: is above 2^53 on odd hosts; a double cannot
    tell S from S - 1 there, WQL must."""
    size = int(c1.get_instance(DISK, {"DeviceID": "D:"})["Size"])
    assert size > 2 ** 53 and size % 2 == 1
    c_size = int(c1.get_instance(DISK, {"DeviceID": "C:"})["Size"])
    cases = [("Size = %d" % size, ["D:"]), ("Size = %d" % (size - 1), []), ("Size = %d" % (size + 1), []),
             ("Size > %d" % (size - 1), ["D:"]), ("Size >= %d" % size, ["D:"]), ("Size > %d" % size, []),
             ("Size < %d" % size, ["C:"]), ("Size <= %d" % (size - 1), ["C:"]), ("Size <> %d" % size, ["C:"]),
             ("Size > 9007199254740992", ["D:"]), ("Size = %d" % c_size, ["C:"])]
    for where, want in cases:
        assert wql_names(c1, "SELECT * FROM Win32_LogicalDisk WHERE " + where, "DeviceID") == want, where
    # The even host's D: is a few TiB, below 2^53.
    d2 = int(c2.get_instance(DISK, {"DeviceID": "D:"})["Size"])
    assert 2 ** 40 < d2 < 2 ** 53
    assert wql_names(c2, "SELECT * FROM Win32_LogicalDisk WHERE Size > 9007199254740992", "DeviceID") == []


@pytest.mark.parametrize("where,want", [
    ("PUint64 = 18446744073709551615", ["edge"]),
    ("PUint64 > 9007199254740992", ["big", "edge"]),
    ("PUint64 = 9007199254740993", ["big"]),
    ("PUint64 = 9007199254740992", []),
    ("PSint64 = -9223372036854775808", ["edge"]),
    ("PSint64 < -9007199254740992", ["big", "edge"]),
    ("PSint64 = -9007199254740993", ["big"]),
    ("PSint64 = -9007199254740992", []),
    ("PUint32 > 3999999999", ["big", "edge"]),
])
def test_wql_64_bit_test_class(c1, where, want):
    assert wql_names(c1, "SELECT * FROM Sim_AllTypes WHERE " + where, "Id", ALL_TEST) == want


@pytest.mark.parametrize("where,pred", [
    ("CreationDate > '20250114050000.000000+000'", lambda d: d > "2025-01-14T05:00:00+00:00"),
    ("CreationDate > '20250114000000.000000-300'", lambda d: d > "2025-01-14T05:00:00+00:00"),
    ("CreationDate < '20250114030455.000000+000'", lambda d: d < "2025-01-14T03:04:55+00:00"),
    ("CreationDate >= '20250113220458.898201-300'", lambda d: d >= "2025-01-14T03:04:58.898201+00:00"),
    ("CreationDate = '20250114030458.898201+000'", lambda d: d == "2025-01-14T03:04:58.898201+00:00"),
])
def test_wql_datetime_comparisons(sim, c1, model, where, pred):
    def p(i):
        if i["CreationDate"] is None:
            return False
        d = fixturemodel.parse_datetime(i["CreationDate"])
        return pred(d.astimezone(fixturemodel.datetime.timezone.utc).isoformat())
    got = wql_names(c1, "SELECT Name, Handle FROM Win32_Process WHERE " + where, "Handle")
    want = model_names(model, sim.hosts[0], "Win32_Process", p, prop="Handle")
    assert got == want and want


# --- the selector filter ------------------------------------------------------------


def test_selector_filter_as_in_ms_wsmv_4_9(sim, c1, model):
    items, _ = c1.enumerate_all(SERVICE, filter_xml=sc.selector_filter([("StartMode", "Auto"),
                                                                         ("State", "Stopped")]))
    assert [read_props(i)["Name"] for i in items] == model_names(
        model, sim.hosts[0], "Win32_Service", lambda i: i["StartMode"] == "Auto" and i["State"] == "Stopped")


@pytest.mark.parametrize("sels", [[("StartMode", "Manual"), ("State", "Stopped")],
                                  [("startmode", "MANUAL"), ("STATE", "stopped")]])
def test_selector_filter(sim, c1, model, sels):
    items, _ = c1.enumerate_all(SERVICE, optimize=True, max_elements=3, filter_xml=sc.selector_filter(sels))
    got = sorted_ci(read_props(i)["Name"] for i in items)
    want = model_names(model, sim.hosts[0], "Win32_Service",
                       lambda i: i["StartMode"] == "Manual" and i["State"] == "Stopped")
    assert got == want and len(want) >= 4


def test_selector_filter_on_numbers_and_booleans(sim, c1, model):
    items, _ = c1.enumerate_all(SERVICE, optimize=True, max_elements=50,
                                filter_xml=sc.selector_filter([("ProcessId", "1128"), ("AcceptStop", "true")]))
    want = model_names(model, sim.hosts[0], "Win32_Service", lambda i: i["ProcessId"] == 1128 and i["AcceptStop"])
    assert sorted_ci(read_props(i)["Name"] for i in items) == want and "WinRM" in want


@pytest.mark.parametrize("uri,sels", [
    (SERVICE, [("State", "Running"), ("State", "Stopped")]),           # duplicate names
    (ITEM, [("Tags", "red")]),                                           # array property
    (PROCESS, [("CreationDate", "20250113220452.398201-300")]),          # datetime property
    (DEPENDENT, [("Antecedent", "x")]),                                   # reference property
    (SERVICE, [("Name", "Win'RM")]),                                      # quote in a value
    (SERVICE, [("Name", 'Win"RM')]),
    (SERVICE, [("NoSuchProperty", "x")]),
    (ALL_CIMV2, [("Name", "WinRM")]),                                     # class URIs only
])
def test_selector_filter_rejections(c1, uri, sels):
    f = c1.fault(sc.ENUMERATE, uri, body=sc.enumerate_body(filter_xml=sc.selector_filter(sels)))
    assert f.code == "s:Sender"
    assert f.subcode_qname() == (NS["n"], "CannotProcessFilter")
    assert f.action == NS["n"] + "/fault"
    assert f.wsman_code == sc.CODE_CANNOT_PROCESS_FILTER


# --- association filters and ASSOCIATORS OF / REFERENCES OF --------------------------------


def ref_names(model, ns, ref, cls, keys):
    if not (model.isa(ns, ref["@class"], cls) or model.isa(ns, cls, ref["@class"])):
        return False
    return {k.lower(): str(v).lower() for k, v in ref["@keys"].items()} == \
        {k.lower(): str(v).lower() for k, v in keys.items()}


def expected_associations(model, host, ns, assoc_base, cls, keys, role=None, result_role=None, result_class=None,
                          assoc_class=None, references=False):
    """Associators (as (class, keys) pairs) or references (association
    instances) of an object, from the fixture data (DSP0227 8.2)."""
    out = []
    for a in model.instances(ns, assoc_base, host.key):
        if assoc_class and not model.isa(ns, a["@class"], assoc_class):
            continue
        if references and result_class and not model.isa(ns, a["@class"], result_class):
            continue
        refs = [n for n, p in model.cls(ns, a["@class"]).props.items() if p["type"].startswith("ref:")]
        for pn in refs:
            if role and pn.lower() != role.lower():
                continue
            if a[pn] is None or not ref_names(model, ns, a[pn], cls, keys):
                continue
            if references:
                out.append(("ref", tuple(sorted((k, str(a[k]["@keys"])) for k in refs))))
                continue
            for on in refs:
                if on == pn or (result_role and on.lower() != result_role.lower()):
                    continue
                t = a[on]
                if result_class and not model.isa(ns, t["@class"], result_class):
                    continue
                out.append((t["@class"], tuple(sorted((k, str(v).lower()) for k, v in t["@keys"].items()))))
    return sorted(set(out))


def got_associations(items, keys_of):
    out = []
    for e in items:
        p = read_props(e)
        out.append((local(e.tag), tuple(sorted((k, str(p[k]).lower()) for k in keys_of(local(e.tag))))))
    return sorted(set(out))


SERVICE_KEYS = lambda cls: ["Name"]  # noqa: E731


@pytest.mark.parametrize("kw", [{}, {"association_class": "Win32_DependentService"},
                                {"association_class": "CIM_Dependency", "role": "Antecedent"},
                                {"role": "Dependent", "result_role": "Antecedent"},
                                {"result_class": "Win32_Service"}])
@pytest.mark.parametrize("name", ["RpcSs", "WinRM", "Spooler"])
def test_associated_instances_filter(sim, c2, model, kw, name):
    obj = EPR(SERVICE, {"Name": name})
    items, _ = c2.enumerate_all(ALL_CIMV2, optimize=True, max_elements=4,
                                filter_xml=sc.association_filter(obj, "AssociatedInstances", **kw))
    for e in items:
        check_instance_element(e, local(e.tag))
    got = got_associations(items, SERVICE_KEYS)
    want = expected_associations(model, sim.hosts[1], CIMV2, "CIM_Dependency", "Win32_Service", {"Name": name},
                                 role=kw.get("role"), result_role=kw.get("result_role"),
                                 result_class=kw.get("result_class"), assoc_class=kw.get("association_class"))
    assert got == [(c, tuple((k, v.lower()) for k, v in keys)) for c, keys in want]
    assert len(items) == len(got)  # each once
    if name == "WinRM" and not kw.get("result_class") and kw.get("role") != "Antecedent":
        assert ("Win32_SystemDriver", (("Name", "http"),)) in got


def test_association_instances_filter(sim, c2, model):
    obj = EPR(SERVICE, {"Name": "RpcSs"})
    items, _ = c2.enumerate_all(ALL_CIMV2, optimize=True, max_elements=50,
                                filter_xml=sc.association_filter(obj, "AssociationInstances"))
    assert {local(e.tag) for e in items} == {"Win32_DependentService"}
    for e in items:
        check_instance_element(e, "Win32_DependentService")
        p = read_props(e)
        assert "RpcSs" in (p["Antecedent"].selectors["Name"], p["Dependent"].selectors["Name"])
    want = expected_associations(model, sim.hosts[1], CIMV2, "CIM_Dependency", "Win32_Service", {"Name": "RpcSs"},
                                 references=True)
    assert len(items) == len(want)


def test_association_filter_on_test_links(sim, c1, model):
    obj = EPR(ITEM, {"Id": "2"})
    for kw in ({}, {"role": "Left"}, {"role": "Right"}, {"result_role": "Left"}):
        items, _ = c1.enumerate_all(ALL_TEST, optimize=True, max_elements=10,
                                    filter_xml=sc.association_filter(obj, "AssociatedInstances", **kw))
        got = sorted(int(read_props(e)["Id"]) for e in items)
        want = expected_associations(model, sim.hosts[0], "root/test", "Sim_Link", "Sim_Item", {"Id": 2},
                                     role=kw.get("role"), result_role=kw.get("result_role"))
        assert got == sorted(int(dict(k)["Id"]) for _, k in want), kw
    items, _ = c1.enumerate_all(ALL_TEST, optimize=True, max_elements=10,
                                filter_xml=sc.association_filter(obj, "AssociationInstances"))
    weights = sorted(int(read_props(e)["Weight"]) for e in items)
    want = sorted(l["Weight"] for l in model.instances("root/test", "Sim_Link", sim.hosts[0].key)
                  if 2 in (l["Left"]["@keys"]["Id"], l["Right"]["@keys"]["Id"]))
    assert weights == want == [5, 7, 10]  # the self link (2, 2) once


def test_association_filter_of_missing_object(c1):
    obj = EPR(SERVICE, {"Name": "NoSuchService"})
    f = c1.fault(sc.ENUMERATE, ALL_CIMV2,
                 body=sc.enumerate_body(filter_xml=sc.association_filter(obj, "AssociatedInstances")))
    assert f.subcode_qname() == (NS["a"], "DestinationUnreachable")


@pytest.mark.parametrize("query,prop,want", [
    ('ASSOCIATORS OF {Win32_Service.Name="RpcSs"} WHERE AssocClass = Win32_DependentService Role = Antecedent',
     "Name", None),
    ("ASSOCIATORS OF {Win32_Service.Name='WinRM'} WHERE ResultClass = Win32_SystemDriver", "Name", ["HTTP"]),
    ("ASSOCIATORS OF {Win32_Service.Name='WinRM'} WHERE ResultRole = Antecedent", "Name", ["HTTP", "RpcSs"]),
    ("ASSOCIATORS OF {Win32_Service.Name='WinRM'} WHERE Role = Antecedent", "Name", []),
])
def test_wql_associators_of(sim, c1, model, query, prop, want):
    got = wql_names(c1, query, prop)
    if want is None:
        want = sorted_ci(dict(k)["Name"] for _, k in expected_associations(
            model, sim.hosts[0], CIMV2, "CIM_Dependency", "Win32_Service", {"Name": "RpcSs"}, role="Antecedent",
            assoc_class="Win32_DependentService"))
        want = [model.find(CIMV2, "Win32_BaseService", sim.hosts[0].key, Name=n)["Name"] for n in want]
        want = sorted_ci(want)
        assert len(want) >= 8
    assert got == want


def test_wql_references_of(sim, c1, model):
    items = wql_items(c1, "REFERENCES OF {Sim_Item.Id=2}", ALL_TEST)
    assert sorted(int(read_props(e)["Weight"]) for e in items) == [5, 7, 10]
    items = wql_items(c1, "REFERENCES OF {Sim_Item.Id=2} WHERE Role = Left", ALL_TEST)
    assert sorted(int(read_props(e)["Weight"]) for e in items) == [5, 7]
    items = wql_items(c1, 'REFERENCES OF {Win32_Service.Name="WinRM"}')
    assert {local(e.tag) for e in items} == {"Win32_DependentService"}
    assert len(items) == len(expected_associations(model, sim.hosts[0], CIMV2, "CIM_Dependency", "Win32_Service",
                                                   {"Name": "WinRM"}, references=True)) == 2


def test_get_association_instance_by_reference_selectors(c1):
    """An association's keys are references: selectors hold EPRs."""
    sels = [("Left", EPR(ITEM, {"Id": "1"})), ("Right", EPR(ITEM, {"Id": "2"}))]
    assert c1.get_instance(LINK, sels)["Weight"] == "10"
    sels = [("Antecedent", EPR(SERVICE, {"Name": "RpcSs"})), ("Dependent", EPR(SERVICE, {"Name": "WinRM"}))]
    p = c1.get_instance(DEPENDENT, sels)
    assert p["Dependent"].selectors == {"Name": "WinRM"}


# --- WQL and filter errors ------------------------------------------------------------


@pytest.mark.parametrize("query,uri", [
    ("SELECT * FROM", ALL_CIMV2),
    ("SELEC * FROM Win32_Service", ALL_CIMV2),
    ("SELECT * FROM Win32_Service WHERE", ALL_CIMV2),
    ("SELECT * FROM Win32_Service WHERE Name = 'unterminated", ALL_CIMV2),
    ("SELECT * FROM Win32_Service WHERE Name ==", ALL_CIMV2),
    ("SELECT * FROM Win32_Service WHERE (Name = 'a'", ALL_CIMV2),
    ("SELECT * FROM Win32_Processa WHERE name=\"sshd.exe\"", ALL_CIMV2),   # unknown class
    ("SELECT NoSuchProperty FROM Win32_Service", ALL_CIMV2),
    ("SELECT * FROM Win32_Service WHERE NoSuchProperty = 1", ALL_CIMV2),
    ("SELECT * FROM Win32_Service WHERE ProcessId = 'text'", ALL_CIMV2),   # type mismatch
    ("SELECT * FROM Win32_Service WHERE ProcessId = 99999999999", ALL_CIMV2),
    ("SELECT * FROM Sim_Item WHERE Tags = 'red'", ALL_TEST),                # arrays: IS NULL only
    ("", ALL_CIMV2),
])
def test_wql_errors(c1, query, uri):
    f = c1.fault(sc.ENUMERATE, uri, body=sc.enumerate_body(filter_xml=wql_filter(query)))
    assert f.status == 500
    assert f.action == NS["n"] + "/fault"
    assert (f.code, f.subcode_qname()) == ("s:Sender", (NS["n"], "CannotProcessFilter"))
    assert f.wsman_code == sc.CODE_CANNOT_PROCESS_FILTER
    assert f.provider_fault is not None
    assert f.wmi_error is not None and f.wmi_error["CIMStatusCode"] == "15"  # CIM_ERR_INVALID_QUERY
    if "Processa" in query:
        assert "The specified class does not exist in the given namespace." in f.message


def test_unknown_filter_dialect(c1):
    body = sc.enumerate_body(filter_xml='<w:Filter Dialect="http://example.com/NoSuchDialect">x</w:Filter>')
    f = c1.fault(sc.ENUMERATE, SERVICE, body=body)
    assert f.subcode_qname() == (NS["n"], "FilterDialectRequestedUnavailable")


def test_all_classes_uri_needs_a_filter(c1):
    f = c1.fault(sc.ENUMERATE, ALL_CIMV2, body=sc.enumerate_body())
    assert f.code == "s:Sender"
    f = c1.fault(sc.GET, ALL_CIMV2, selectors={"Name": "x"})
    assert f.code == "s:Sender"


# --- Invoke ------------------------------------------------------------------------------


def call(client, uri, method, params=(), selectors=None):
    out, r = client.invoke(uri, method, params, selectors)
    return out


def test_start_and_stop_service(fresh, c1, c2):
    sel = {"Name": "BITS"}
    assert c1.get_instance(SERVICE, sel)["State"] == "Stopped"
    out, r = c1.invoke(SERVICE, "StartService", selectors=sel)
    assert prop_names(r.first) == ["ReturnValue"] and out["ReturnValue"] == "0"
    s = c1.get_instance(SERVICE, sel)
    assert (s["State"], s["Started"]) == ("Running", "true") and int(s["ProcessId"]) > 0
    assert call(c1, SERVICE, "StartService", selectors=sel)["ReturnValue"] == "10"   # already running
    assert call(c1, SERVICE, "StopService", selectors=sel)["ReturnValue"] == "0"
    s = c1.get_instance(SERVICE, sel)
    assert (s["State"], s["Started"], s["ProcessId"]) == ("Stopped", "false", "0")
    assert call(c1, SERVICE, "StopService", selectors=sel)["ReturnValue"] == "5"     # cannot accept control
    assert call(c1, SERVICE, "StartService", selectors={"name": "bits"})["ReturnValue"] == "0"
    # The change is the host's: the other host's BITS never started.
    assert c2.get_instance(SERVICE, sel)["State"] == "Stopped"


def test_start_disabled_service(fresh, c1):
    assert call(c1, SERVICE, "StartService", selectors={"Name": "RemoteRegistry"})["ReturnValue"] == "14"
    assert c1.get_instance(SERVICE, {"Name": "RemoteRegistry"})["State"] == "Stopped"


def test_stop_service_with_running_dependents(fresh, c1):
    # RpcSs: WinRM, Schedule, ... depend on it (Win32_DependentService).
    assert call(c1, SERVICE, "StopService", selectors={"Name": "RpcSs"})["ReturnValue"] == "3"
    assert c1.get_instance(SERVICE, {"Name": "RpcSs"})["State"] == "Running"
    # LanmanWorkstation's only dependent (Netlogon) is stopped.
    assert call(c1, SERVICE, "StopService", selectors={"Name": "LanmanWorkstation"})["ReturnValue"] == "0"


def test_change_start_mode(fresh, c1):
    sel = {"Name": "BITS"}
    assert call(c1, SERVICE, "ChangeStartMode", [("StartMode", "Sometimes")], sel)["ReturnValue"] == "21"
    assert call(c1, SERVICE, "ChangeStartMode", [("StartMode", "Disabled")], sel)["ReturnValue"] == "0"
    assert c1.get_instance(SERVICE, sel)["StartMode"] == "Disabled"
    assert call(c1, SERVICE, "StartService", selectors=sel)["ReturnValue"] == "14"


def test_process_create_and_terminate(fresh, sim, c1, model):
    before = {read_props(i)["Handle"] for i in c1.enumerate_all(PROCESS, optimize=True, max_elements=100)[0]}
    out, r = c1.invoke(PROCESS, "Create", [("CommandLine", "C:\\Windows\\System32\\notepad.exe C:\\x.txt"),
                                           ("CurrentDirectory", "C:\\")])
    assert prop_names(r.first) == ["ProcessId", "ReturnValue"]
    assert out["ReturnValue"] == "0"
    pid = out["ProcessId"]
    assert pid not in before and int(pid) > 0
    p = c1.get_instance(PROCESS, {"Handle": pid})
    assert (p["Name"], p["ProcessId"], p["CSName"]) == ("notepad.exe", pid, "WMSIM-01")
    assert p["CommandLine"] == "C:\\Windows\\System32\\notepad.exe C:\\x.txt"
    after = {read_props(i)["Handle"] for i in c1.enumerate_all(PROCESS, optimize=True, max_elements=100)[0]}
    assert after == before | {pid}
    # A second process gets another id.
    pid2 = call(c1, PROCESS, "Create", [("CommandLine", "cmd.exe /c exit")])["ProcessId"]
    assert pid2 not in (pid,) and pid2 not in before
    assert call(c1, PROCESS, "Terminate", [("Reason", 0)], {"Handle": pid})["ReturnValue"] == "0"
    f = c1.fault(sc.GET, PROCESS, selectors={"Handle": pid})
    assert f.subcode_qname() == (NS["a"], "DestinationUnreachable")
    final = {read_props(i)["Handle"] for i in c1.enumerate_all(PROCESS, optimize=True, max_elements=100)[0]}
    assert final == before | {pid2}


def test_process_create_without_command_line(fresh, c1):
    assert call(c1, PROCESS, "Create", [("CommandLine", "")])["ReturnValue"] == "21"


ECHO = [
    ("PBool", True), ("PSint8", -128), ("PUint64", "18446744073709551615"), ("PSint64", "-9223372036854775808"),
    ("PReal32", "1.5"), ("PReal64", "-1.7976931348623157e+308"), ("PChar16", "\u03a9"),
    ("PString", "<&>\"' \u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c\u8a9e \U0001F600 C:\\Windows %PATH%"),
    ("PDatetime", Datetime("2024-02-29T23:59:59.123456Z")), ("PInterval", Interval("P1DT2H3M4.5S")),
    ("PRef", EPR(ITEM, {"Id": "4294967295"})),
    ("PObject", Embedded("Sim_Item", [("Id", 7), ("Label", "seven <7>"), ("Tags", ["a", "b"])], "root/test")),
    ("AString", ["", "x y", "<&>", "\u20ac"]), ("AUint64", ["0", "9007199254740993", "18446744073709551615"]),
    ("AObject", [Embedded("Sim_Item", [("Id", 1), ("Label", "one")], "root/test"),
                 Embedded("Sim_Item", [("Id", 2), ("Tags", ["t"])], "root/test")]),
]


def test_echo_round_trips_every_type(c1):
    out, r = c1.invoke(ALLTYPES, "Echo", ECHO)
    names = prop_names(r.first)
    assert names == sorted_ci(names)
    assert set(out) == {n for n, _ in ECHO} | {"ReturnValue"}
    assert out["ReturnValue"] == "0"
    assert out["PBool"] == "true" and out["PSint8"] == "-128"
    assert out["PUint64"] == "18446744073709551615" and out["PSint64"] == "-9223372036854775808"
    assert float(out["PReal32"]) == 1.5 and float(out["PReal64"]) == -1.7976931348623157e+308
    assert out["PChar16"] == "\u03a9"
    assert out["PString"] == dict(ECHO)["PString"]
    assert fixturemodel.parse_datetime(out["PDatetime"].text) == \
        fixturemodel.parse_datetime("2024-02-29T23:59:59.123456Z")
    assert fixturemodel.parse_interval(out["PInterval"].text) == fixturemodel.parse_interval("P1DT2H3M4.5S")
    assert out["PRef"].resource_uri == ITEM and out["PRef"].selectors == {"Id": "4294967295"}
    obj = out["PObject"]
    assert obj.type_name == "Sim_Item" and obj.type_uri == ITEM
    assert obj.props["Id"] == "7" and obj.props["Label"] == "seven <7>" and as_list(obj.props["Tags"]) == ["a", "b"]
    assert as_list(out["AString"]) == ["", "x y", "<&>", "\u20ac"]
    assert as_list(out["AUint64"]) == ["0", "9007199254740993", "18446744073709551615"]
    objs = as_list(out["AObject"])
    assert [o.props["Id"] for o in objs] == ["1", "2"] and objs[0].props["Label"] == "one"
    assert as_list(objs[1].props["Tags"]) == ["t"]


def test_echo_datetime_with_offset(c1):
    out = call(c1, ALLTYPES, "Echo", [("PDatetime", Datetime("2024-01-31T23:59:59.5-05:00"))])
    assert fixturemodel.parse_datetime(out["PDatetime"].text) == \
        fixturemodel.parse_datetime("2024-02-01T04:59:59.5Z")


@pytest.mark.parametrize("params", [[("PUint64", "abc")], [("PUint64", "18446744073709551616")],
                                    [("PSint8", "128")], [("PBool", "maybe")], [("NoSuchParam", "1")],
                                    [("PDatetime", Datetime("yesterday"))]])
def test_invoke_bad_parameters(c1, params):
    f = c1.fault(ALLTYPES + "/Echo", ALLTYPES, body=sc.method_input_xml("Echo", ALLTYPES, params))
    assert f.code == "s:Sender"
    assert f.subcode_qname() == (NS["w"], "InvalidParameter")


def test_invoke_unknown_method(c1):
    f = c1.fault(DISK + "/StartService", DISK, selectors={"DeviceID": "C:"},
                 body=sc.method_input_xml("StartService", DISK, []))
    assert f.subcode_qname() == (NS["a"], "ActionNotSupported")


def test_invoke_instance_method_without_selectors(c1):
    f = c1.fault(SERVICE + "/StartService", SERVICE, body=sc.method_input_xml("StartService", SERVICE, []))
    assert f.subcode_qname() == (NS["w"], "InvalidSelectors")
    assert f.fault_detail == sc.FAULT_DETAIL + "InsufficientSelectors"


def test_invoke_on_missing_instance(c1):
    f = c1.fault(SERVICE + "/StartService", SERVICE, selectors={"Name": "Nope"},
                 body=sc.method_input_xml("StartService", SERVICE, []))
    assert f.subcode_qname() == (NS["a"], "DestinationUnreachable")


# --- MaxEnvelopeSize and OperationTimeout ---------------------------------------------------


def test_small_max_envelope_makes_smaller_batches(sim, c1, model):
    big_items, big = c1.enumerate_all(PROCESS, optimize=True, max_elements=32000, pull_max=32000)
    assert len(big) == 1  # everything in the EnumerateResponse at 150 KiB
    items, small = c1.enumerate_all(PROCESS, optimize=True, max_elements=32000, pull_max=32000, max_envelope=8192)
    assert len(small) > 4
    for r in small:
        assert sc.utf16_size(r.text) <= 8192  # WinRM counts the envelope in UTF-16
        assert len(items_in(r, r is small[0])) >= 1
    assert sorted(read_props(i)["Handle"] for i in items) == sorted(read_props(i)["Handle"] for i in big_items)
    assert len(items) == len(model.instances(CIMV2, "Win32_Process", sim.hosts[0].key))


@pytest.mark.parametrize("size", [8191, 4096, 1, 0])
def test_max_envelope_below_8192(c1, size):
    f = c1.fault(sc.GET, SERVICE, selectors={"Name": "WinRM"}, max_envelope=size)
    assert (f.code, f.subcode_qname()) == ("s:Sender", (NS["w"], "EncodingLimit"))
    assert f.fault_detail == sc.FAULT_DETAIL + "MaxEnvelopeSize"
    assert f.wsman_code == sc.CODE_ENCODING_LIMIT


def test_max_envelope_8192_is_enough_for_a_service(c1):
    r = c1.get(SERVICE, {"Name": "WinRM"}, max_envelope=8192)
    assert sc.utf16_size(r.text) <= 8192


def test_instance_larger_than_max_envelope(c1):
    # Sim_AllTypes "big" holds two 1200-character strings and more.
    f = c1.fault(sc.GET, ALLTYPES, selectors={"Id": "big"}, max_envelope=8192)
    assert f.subcode_qname() == (NS["w"], "EncodingLimit")
    r = c1.get(ALLTYPES, {"Id": "big"}, max_envelope=65536)
    assert read_props(r.first)["PString"].endswith("|END")
    f = c1.fault(sc.ENUMERATE, ALLTYPES, max_envelope=8192,
                 body=sc.enumerate_body(optimize=True, max_elements=10,
                                        filter_xml=wql_filter("SELECT * FROM Sim_AllTypes WHERE Id = 'big'")))
    assert f.subcode_qname() == (NS["w"], "EncodingLimit")


def padded_enumerate(size):
    """An Enumerate request of about `size` octets (an XML comment pads it)."""
    text, _ = sc.envelope(sc.ENUMERATE, DISK, body=sc.enumerate_body(optimize=True, max_elements=5))
    pad = size - len(text.encode()) - 7
    return text.replace("<s:Body>", "<s:Body><!--%s-->" % ("x" * pad))


def test_request_above_max_envelope_kb_is_413(small_sim):
    c = small_sim.client(0)
    ok = padded_enumerate(16 * 1024 - 10)
    assert len(ok.encode()) <= 16 * 1024
    r = sc.Reply(c.send_raw(ok))
    assert len(items_in(r, True)) == 3
    with pytest.raises(WinRMTransportError) as e:
        c.send_raw(padded_enumerate(16 * 1024 + 1))
    assert e.value.code == 413
    # Plain HTTP, no SOAP processing.
    assert "Envelope" not in (e.value.response_text or b"").decode("utf-8", "replace")


def test_second_simulator_is_another_machine(small_sim, sim, model):
    """A --listen host with a name: its identity and data are its own."""
    host = small_sim.hosts[0]
    c = small_sim.client(0)
    assert c.get_instance(COMPUTER)["Name"] == "SMALL-HOST"
    assert c.get_instance(OS)["CSName"] == "SMALL-HOST"
    env = c.get_instance(ENVIRONMENT, [("Name", "TMP"), ("UserName", "SMALL-HOST\\Administrator")])
    assert env["Name"] == "TMP"
    items, _ = c.enumerate_all(SERVICE, optimize=True, max_elements=100)
    assert len(items) == len(model.instances(CIMV2, "Win32_Service", host.key))
    assert small_sim.control.hosts()[0]["name"] == "SMALL-HOST"
    # The two simulators share nothing.
    assert sim.client(0).get_instance(COMPUTER)["Name"] == "WMSIM-01"


def test_default_host_limit_is_500_kb(sim, c1):
    assert len(items_in(sc.Reply(c1.send_raw(padded_enumerate(400 * 1024))), True)) == 3
    with pytest.raises(WinRMTransportError) as e:
        c1.send_raw(padded_enumerate(500 * 1024 + 1))
    assert e.value.code == 413


def test_operation_timeout_is_honoured(fresh, sim, c1):
    sim.control.latency("WMSIM-01", 1500)
    t0 = time.monotonic()
    with pytest.raises(WinRMOperationTimeoutError) as e:
        c1.get(SERVICE, {"Name": "WinRM"}, timeout="PT1.000S")
    elapsed = time.monotonic() - t0
    assert 0.9 <= elapsed < 1.45  # answered when the operation timed out, not when it finished
    f = sc.fault_from(e.value)
    assert f.action == "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
    assert (f.code, f.subcode_qname()) == ("s:Receiver", (NS["w"], "TimedOut"))
    assert f.wsman_code == sc.CODE_TIMED_OUT == 2150858793
    assert f.wmi_error is None and f.provider_fault is None  # a WinRM error, not WMI's


def test_latency_within_operation_timeout(fresh, sim, c1):
    sim.control.latency("WMSIM-01", 300)
    t0 = time.monotonic()
    assert c1.get_instance(SERVICE, {"Name": "WinRM"}, timeout="PT5S")["Name"] == "WinRM"
    assert time.monotonic() - t0 >= 0.3
    # No OperationTimeout: the host's MaxTimeoutms (60 s) applies.
    assert c1.get_instance(SERVICE, {"Name": "WinRM"}, timeout=None)["Name"] == "WinRM"


def test_timed_out_pull_can_be_retried(fresh, sim, c1, model):
    """A Pull that times out leaves its context valid and loses no items:
    the client pulls again with the same context."""
    r = c1.enumerate(PROCESS)
    ctx = sc.context_of(r)
    sim.control.latency("WMSIM-01", 800)
    with pytest.raises(WinRMOperationTimeoutError):
        c1.pull(PROCESS, ctx, max_elements=3, timeout="PT0.5S")
    sim.control.latency("WMSIM-01", 0)
    items = []
    while ctx:
        p = c1.pull(PROCESS, ctx, max_elements=30)
        items += items_in(p, False)
        ctx = sc.context_of(p)
    assert len(items) == len(model.instances(CIMV2, "Win32_Process", sim.hosts[0].key))


@pytest.mark.parametrize("value", ["soon", "PT-1S", "P", "60"])
def test_malformed_operation_timeout(c1, value):
    f = c1.fault(sc.GET, SERVICE, selectors={"Name": "WinRM"}, timeout=value)
    assert f.subcode_qname() == (NS["a"], "InvalidMessageInformationHeader")


# --- every fault, as a client decodes it ---------------------------------------------------

WSMAN_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
WSA_FAULT = NS["a"] + "/fault"
ENUM_FAULT = NS["n"] + "/fault"


def enum_wql(query, uri=ALL_CIMV2):
    return dict(action=sc.ENUMERATE, uri=uri, body=sc.enumerate_body(filter_xml=wql_filter(query)))


FAULTS = {
    # name: (request, action, code, (ns, subcode), FaultDetail, WSManFault Code, CIMStatusCode, error_Code)
    "no such instance": (dict(action=sc.GET, uri=SERVICE, selectors={"Name": "NoSuchService"}),
                         WSA_FAULT, "s:Sender", (NS["a"], "DestinationUnreachable"), "ResourceNotFound",
                         2150858752, 6, 0x80338000),
    "no such class": (dict(action=sc.GET, uri=wmi_uri("Win32_NoSuchClass"), selectors={"Name": "x"}),
                      WSA_FAULT, "s:Sender", (NS["a"], "DestinationUnreachable"), "ResourceNotFound",
                      2150858752, 5, 0x80041010),
    "no such namespace": (dict(action=sc.GET, uri=wmi_uri("Win32_Service", "root/nosuch"),
                               selectors={"Name": "WinRM"}),
                          WSA_FAULT, "s:Sender", (NS["a"], "DestinationUnreachable"), "ResourceNotFound",
                          2150858752, 3, 0x8004100E),
    "insufficient selectors": (dict(action=sc.GET, uri=ENVIRONMENT, selectors={"Name": "Path"}),
                               WSMAN_FAULT, "s:Sender", (NS["w"], "InvalidSelectors"), "InsufficientSelectors",
                               2150858842, None, None),
    "insufficient selectors (none)": (dict(action=sc.GET, uri=SERVICE),
                                      WSMAN_FAULT, "s:Sender", (NS["w"], "InvalidSelectors"),
                                      "InsufficientSelectors", 2150858842, None, None),
    "unexpected selectors": (dict(action=sc.GET, uri=SERVICE, selectors=[("Name", "WinRM"), ("State", "Running")]),
                             WSMAN_FAULT, "s:Sender", (NS["w"], "InvalidSelectors"), "UnexpectedSelectors",
                             2150858843, None, None),
    "invalid selector value": (dict(action=sc.GET, uri=ITEM, selectors={"Id": "seven"}),
                               WSMAN_FAULT, "s:Sender", (NS["w"], "InvalidSelectors"), "InvalidValue",
                               2150858845, None, None),
    "duplicate selectors": (dict(action=sc.GET, uri=SERVICE, selectors=[("Name", "WinRM"), ("name", "WinRM")]),
                            WSMAN_FAULT, "s:Sender", (NS["w"], "InvalidSelectors"), "DuplicateSelectors",
                            2150858844, None, None),
    "bad filter": (dict(action=sc.ENUMERATE, uri=SERVICE,
                        body=sc.enumerate_body(filter_xml=sc.selector_filter([("Tags", "x")]))),
                   ENUM_FAULT, "s:Sender", (NS["n"], "CannotProcessFilter"), None, 2150858778, 15, 0x80041017),
    "WQL syntax": (enum_wql("SELECT * FROM WHERE"), ENUM_FAULT, "s:Sender", (NS["n"], "CannotProcessFilter"), None,
                   2150858778, 15, 0x80041017),
    "invalid enumeration context": (dict(action=sc.PULL, uri=SERVICE, body=sc.pull_body("uuid:nope")),
                                    ENUM_FAULT, "s:Receiver", (NS["n"], "InvalidEnumerationContext"), None,
                                    2150858779, None, None),
    "encoding limit": (dict(action=sc.GET, uri=SERVICE, selectors={"Name": "WinRM"}, max_envelope=100),
                       WSMAN_FAULT, "s:Sender", (NS["w"], "EncodingLimit"), "MaxEnvelopeSize", 2150858805, None,
                       None),
    "already exists": (dict(action=sc.CREATE, uri=ENVIRONMENT, body=new_variable("OS")),
                       WSMAN_FAULT, "s:Sender", (NS["w"], "AlreadyExists"), None, 2150858795, 11, 0x80041019),
}


def send_fault(client, req):
    req = dict(req)
    return client.fault(req.pop("action"), req.pop("uri"), **req)


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault(sim, c1, name):
    req, action, code, subcode, detail, wsman_code, cim_status, hresult = FAULTS[name]
    f = send_fault(c1, req)
    check_fault(f, sim.hosts[0], action, code, subcode, detail, wsman_code, cim_status, hresult)


def check_fault(f, host, action, code, subcode, detail, wsman_code, cim_status, hresult):
    assert f.status == 500
    assert f.reply.root.tag == q("s", "Envelope") and f.fault.tag == q("s", "Fault")
    assert f.reply.header_names() == ["Action", "MessageID", "To", "RelatesTo"]
    assert f.action == action
    assert f.code == code
    assert f.subcode_qname() == subcode
    assert f.reason and f.reason.endswith(" ")  # WinRM's texts end in a space
    assert f.fault.find("s:Reason/s:Text", NS).get("{http://www.w3.org/XML/1998/namespace}lang") == "en-US"
    assert f.fault_detail == (sc.FAULT_DETAIL + detail if detail else None)
    assert f.wsman_code == wsman_code
    assert f.machine == host.address
    assert f.message
    if cim_status is None:
        assert f.wmi_error is None and f.provider_fault is None
        return
    # WMI's errors: a ProviderFault from the WMI plugin and an MSFT_WmiError.
    assert f.provider_fault is not None and f.provider_fault.get("path").endswith("WsmWmiPl.dll")
    inner = f.provider_fault.find("f:WSManFault", NS)
    assert int(inner.get("Code")) == wsman_code and inner.get("Machine") == host.name
    e = f.wmi_error_elem
    assert split(e.tag) == (sc.DMTF_PREFIX + "MSFT_WmiError", "MSFT_WmiError")
    assert e.get("{%s}IsCIM_Error" % NS["b"]) == "true"
    assert e.get(sc.XSI_TYPE) == "p:MSFT_WmiError_Type"
    for p in e:
        assert p.get(sc.XSI_TYPE, "").startswith("cim:cim")  # every property typed (WinRM 3.0+)
    assert int(f.wmi_error["CIMStatusCode"]) == cim_status
    assert int(f.wmi_error["error_Code"]) == hresult
    assert f.wmi_error["MessageID"] == "HRESULT 0x%08x" % hresult
    assert f.wmi_error["error_Type"] == "HRESULT"
    names = prop_names(e)
    assert names == sorted(names)  # upper case first, as the capture orders them


@pytest.mark.parametrize("fault,action,code,subcode,wsman_code,cim_status,hresult", [
    ("AccessDenied", WSMAN_FAULT, "s:Sender", (NS["w"], "AccessDenied"), 5, 2, 0x80041003),
    ("TimedOut", WSMAN_FAULT, "s:Receiver", (NS["w"], "TimedOut"), 2150858793, None, None),
    ("QuotaLimit", WSMAN_FAULT, "s:Receiver", (NS["w"], "InternalError"), 2150859174, None, None),
    ("NoInstance", WSA_FAULT, "s:Sender", (NS["a"], "DestinationUnreachable"), 2150858752, 6, 0x80338000),
])
def test_injected_faults(fresh, sim, c1, fault, action, code, subcode, wsman_code, cim_status, hresult):
    sim.control.fail("WMSIM-01", 2, fault=fault)
    for _ in range(2):
        f = c1.fault(sc.GET, SERVICE, selectors={"Name": "WinRM"})
        check_fault(f, sim.hosts[0], action, code, subcode, "ResourceNotFound" if fault == "NoInstance" else None,
                    wsman_code, cim_status, hresult)
    # The third request goes through.
    assert c1.get_instance(SERVICE, {"Name": "WinRM"})["Name"] == "WinRM"
    counters = sim.control.host("WMSIM-01")["counters"]
    assert counters["faults"] == 2 and counters["requests"] == 3


def test_mustunderstand_header_not_understood(c1):
    f = c1.fault(sc.GET, SERVICE, selectors={"Name": "WinRM"},
                 extra_headers='<x:Unknown xmlns:x="urn:example" s:mustUnderstand="true">1</x:Unknown>')
    assert f.code == "s:MustUnderstand"


@pytest.mark.parametrize("kw,subcode", [
    (dict(reply_to=None), (NS["a"], "MessageInformationHeaderRequired")),
    (dict(action=None), (NS["a"], "MessageInformationHeaderRequired")),
    (dict(reply_to="http://example.com/elsewhere"), (NS["w"], "UnsupportedFeature")),
    (dict(message_id=""), (NS["a"], "InvalidMessageInformationHeader")),
    (dict(message_id=False), (NS["a"], "InvalidMessageInformationHeader")),
    (dict(message_id="uuid:" + "A" * 2100), (NS["a"], "InvalidMessageInformationHeader")),
])
def test_addressing_header_faults(c1, kw, subcode):
    text, _ = sc.envelope(kw.pop("action", sc.GET), SERVICE, selectors={"Name": "WinRM"}, to=c1.endpoint, **kw)
    f = c1.fault_raw(text)
    assert f.subcode_qname() == subcode


def test_any_message_id_up_to_2_kib(c1):
    """Windows accepts any MessageID string up to 2 KiB, not only uuid:."""
    r = c1.get(SERVICE, {"Name": "WinRM"}, message_id="my-own-id <1>")
    assert r.relates_to == "my-own-id <1>"


def test_locale_must_not_be_must_understand(c1):
    text, mid = sc.envelope(sc.GET, SERVICE, selectors={"Name": "WinRM"}, to=c1.endpoint, locale=False,
                            extra_headers='<w:Locale xml:lang="en-US" s:mustUnderstand="true"/>')
    f = c1.fault_raw(text, mid)
    assert f.subcode_qname() == (NS["w"], "UnsupportedFeature")
    assert f.fault_detail == sc.FAULT_DETAIL + "Locale"


# --- the fleet ---------------------------------------------------------------------------------


def test_identity_follows_the_address(sim, model):
    for host in sim.hosts:
        c = sim.client(host.number - 1)
        assert c.get_instance(COMPUTER)["Name"] == host.name
        assert c.get_instance(OS)["CSName"] == host.name
        services, _ = c.enumerate_all(SERVICE, optimize=True, max_elements=100)
        assert {read_props(s)["SystemName"] for s in services} == {host.name}
        assert len(services) == len(model.instances(CIMV2, "Win32_Service", host.key)) == \
            19 + (2 if host.number % 2 == 0 else 0) + host.number % 4
        names = {read_props(s)["Name"] for s in services}
        assert ({"W3SVC", "WAS"} <= names) == (host.number % 2 == 0)


def test_data_follows_the_address(sim, c1, c2):
    d1 = int(c1.get_instance(DISK, {"DeviceID": "D:"})["Size"])
    d2 = int(c2.get_instance(DISK, {"DeviceID": "D:"})["Size"])
    assert d1 > 2 ** 53 > d2
    c_sizes = [int(c.get_instance(DISK, {"DeviceID": "C:"})["Size"]) for c in (c1, c2)]
    assert c_sizes[0] != c_sizes[1]
    assert int(c1.get_instance(COMPUTER)["TotalPhysicalMemory"]) != int(c2.get_instance(COMPUTER)["TotalPhysicalMemory"])
    # JAVA_HOME is on hosts 1 and 3 only.
    assert c1.get_instance(ENVIRONMENT, [("Name", "JAVA_HOME"), ("UserName", "<SYSTEM>")])["Name"] == "JAVA_HOME"
    f = c2.fault(sc.GET, ENVIRONMENT, selectors=[("Name", "JAVA_HOME"), ("UserName", "<SYSTEM>")])
    assert f.subcode_qname() == (NS["a"], "DestinationUnreachable")
    assert f.machine == sim.hosts[1].address


def test_control_lists_the_fleet(sim):
    hosts = sim.control.hosts()
    assert [(h["name"], h["address"], h["port"], h["number"]) for h in hosts] == \
        [(h.name, h.address, h.port, h.number) for h in sim.hosts]
    assert all(h["dialect"] == "wsmv" for h in hosts)


def test_the_port_answers_only_on_its_addresses(sim):
    """127.A.B.3 is no host of this fleet: nothing listens there."""
    addr = sim.hosts[0].address.rsplit(".", 1)[0] + ".3"
    with pytest.raises(OSError):
        socket.create_connection((addr, sim.hosts[0].port), timeout=2).close()


# --- the control interface ------------------------------------------------------------------


def test_control_fail_with_http_status(fresh, sim, c1, c2):
    sim.control.fail("WMSIM-01", 1, status=503)
    with pytest.raises(WinRMTransportError) as e:
        c1.get(SERVICE, {"Name": "WinRM"})
    assert e.value.code == 503
    assert c1.get_instance(SERVICE, {"Name": "WinRM"})["Name"] == "WinRM"


def test_control_fail_applies_to_one_host(fresh, sim, c1, c2):
    sim.control.fail("WMSIM-02", 1, fault="AccessDenied")
    assert c1.get_instance(SERVICE, {"Name": "WinRM"})["Name"] == "WinRM"
    f = c2.fault(sc.GET, SERVICE, selectors={"Name": "WinRM"})
    assert f.subcode_qname() == (NS["w"], "AccessDenied")


def test_control_fail_every_host(fresh, sim, c1, c2):
    sim.control.fail("*", 1, fault="AccessDenied")
    for c in (c1, c2):
        assert c.fault(sc.GET, SERVICE, selectors={"Name": "WinRM"}).subcode_qname() == (NS["w"], "AccessDenied")


def test_control_drop_cuts_the_reply(fresh, sim, c1):
    sim.control.drop("WMSIM-01", 1)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
                        sc.ET.ParseError)):
        r = c1.send_raw(sc.envelope(sc.ENUMERATE, SERVICE, to=c1.endpoint,
                                    body=sc.enumerate_body(optimize=True, max_elements=50))[0])
        sc.Reply(r)  # a short body that happens to arrive is not a whole envelope
    assert c1.get_instance(SERVICE, {"Name": "WinRM"})["Name"] == "WinRM"


def test_control_garbage_is_not_xml(fresh, sim, c1):
    sim.control.garbage("WMSIM-01", 1)
    raw = c1.send_raw(sc.envelope(sc.GET, SERVICE, to=c1.endpoint, selectors={"Name": "WinRM"})[0])
    with pytest.raises(sc.ET.ParseError):
        sc.ET.fromstring(raw)
    assert c1.get_instance(SERVICE, {"Name": "WinRM"})["Name"] == "WinRM"


def test_control_reset_restores_the_store(sim, c1):
    sim.control.reset("*")
    sel = [("Name", "OS"), ("UserName", "<SYSTEM>")]
    c1.delete(ENVIRONMENT, sel)
    c1.invoke(SERVICE, "StartService", selectors={"Name": "BITS"})
    ctx = sc.context_of(c1.enumerate(PROCESS))
    sim.control.reset("WMSIM-01")
    assert c1.get_instance(ENVIRONMENT, sel)["VariableValue"] == "Windows_NT"
    assert c1.get_instance(SERVICE, {"Name": "BITS"})["State"] == "Stopped"
    check_invalid_context(c1.fault(sc.PULL, PROCESS, body=sc.pull_body(ctx)))  # contexts are gone too
    sim.control.reset("*")


def test_control_latency_and_clear(fresh, sim, c1):
    sim.control.latency("WMSIM-01", 400)
    assert sim.control.host("WMSIM-01")["plan"]["latency_ms"] == 400
    t0 = time.monotonic()
    c1.get(SERVICE, {"Name": "WinRM"})
    assert time.monotonic() - t0 >= 0.4
    sim.control.fail("WMSIM-01", 5, fault="AccessDenied")
    sim.control.clear("WMSIM-01")
    plan = sim.control.host("WMSIM-01")["plan"]
    assert plan["latency_ms"] == 0 and plan["fail_count"] == 0
    t0 = time.monotonic()
    c1.get(SERVICE, {"Name": "WinRM"})
    assert time.monotonic() - t0 < 0.3


def test_control_counters(fresh, sim, c1):
    c1.identify()
    c1.get(SERVICE, {"Name": "WinRM"})
    c1.get(OS)
    items, replies = c1.enumerate_all(PROCESS, pull_max=10)
    c1.invoke(SERVICE, "InterrogateService", selectors={"Name": "WinRM"})
    c1.fault(sc.GET, SERVICE, selectors={"Name": "Nope"})
    raw_post(sim.hosts[0], "<x/>")  # 401
    h = sim.control.host("WMSIM-01")
    by = h["counters"]["by_action"]
    assert by["Identify"] == 1 and by["Get"] == 3 and by["Enumerate"] == 1 and by["Pull"] == len(replies) - 1
    assert by["Invoke"] == 1
    assert h["counters"]["faults"] == 1 and h["counters"]["unauthorized"] == 1
    assert h["counters"]["requests"] == 1 + 3 + len(replies) + 1 + 1
    assert sim.control.host("WMSIM-02")["counters"]["requests"] == 0


def test_control_fault_names(sim):
    status, names = sim.control.call("GET", "/faults")
    assert status == 200
    assert {"AccessDenied", "TimedOut", "NoInstance", "InvalidEnumerationContext", "EncodingLimit",
            "AlreadyExists"} <= set(names)


@pytest.mark.parametrize("method,path,body,status", [
    ("POST", "/hosts/WMSIM-01/fail", {"count": 1, "fault": "NoSuchFault"}, 400),
    ("POST", "/hosts/WMSIM-01/fail", {"count": 1}, 400),
    ("POST", "/hosts/WMSIM-01/fail", {"count": 1, "status": 200}, 400),
    ("POST", "/hosts/WMSIM-01/latency", {"ms": -1}, 400),
    ("POST", "/hosts/WMSIM-99/latency", {"ms": 1}, 404),
    ("POST", "/hosts/WMSIM-01/explode", {}, 404),
    ("GET", "/nothing", None, 404),
])
def test_control_rejects_bad_requests(sim, method, path, body, status):
    got, j = sim.control.call(method, path, body)
    assert got == status and "error" in j
    assert sim.control.host("WMSIM-01")["plan"]["fail_count"] == 0
