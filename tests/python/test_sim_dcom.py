"""
test_sim_dcom.py: the simulator's DCOM front (tests/sim/dcom_*.c) as a
third-party WMI client sees it: impacket (Debian python3-impacket,
impacket.dcerpc.v5.dcomrt and dcom.wmi), the same calls its wmiquery.py and
wmiexec.py make (protocol-notes section 4.1), at PKT_INTEGRITY and at
PKT_PRIVACY.  Changes made over DCOM are read back over WS-Management with
pywinrm (simclient.py) and the other way round: both fronts share each
host's store.

The fleet of this module: DCOM-01 speaks WS-Management and DCOM (port 135
of its address and a dynamic endpoint), LEGACY-01 DCOM only; both have
2,000 Sim_Bench instances.  Binding port 135 on loopback needs root: the
module is skipped otherwise.

impacket's own limits the tests work around, each where it happens:
 - every alter_context opens a new presentation and security context, and
   the RPC layer (translators/wmi/rpc_conn) keeps at most 32 per
   connection: each test runs its own short session;
 - marshalMe cannot encode a NULL string, datetime or reference property
   (it sets None into an ENCODED_STRING); such properties are set to '',
   which marshalMe sends as NULL;
 - Next(n > 1) raises WBEM_S_FALSE with the last batch inside the
   exception's packet: next_all() takes them from there;
 - method calls through IWbemClassObject attributes log failures and
   return None: error cases call IWbemServices.ExecMethod directly.

Run with Debian's Python: /usr/bin/python3 -m pytest tests/python/test_sim_dcom.py
"""
import contextlib
import os
import random
import re
import socket
import struct
import time
import uuid

import pytest

import impacket.dcerpc.v5.dcomrt as dcomrt
import impacket.dcerpc.v5.dcom.wmi as wmi
from impacket.dcerpc.v5 import transport  # noqa: E402
from impacket.dcerpc.v5.dtypes import NULL  # noqa: E402
from impacket.dcerpc.v5.rpcrt import (DCERPCException, RPC_C_AUTHN_LEVEL_CONNECT,  # noqa: E402
                                      RPC_C_AUTHN_LEVEL_NONE, RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                      RPC_C_AUTHN_LEVEL_PKT_PRIVACY)

import simclient as sc  # noqa: E402
from conftest import PASSWORD, USER, Control, SimProcess, free_port  # noqa: E402

INFINITE = 0xFFFFFFFF
WBEM_S_FALSE = 0x1
WBEM_S_TIMEDOUT = 0x40004
WBEM_E_NOT_FOUND = 0x80041002
WBEM_E_ACCESS_DENIED = 0x80041003
WBEM_E_INVALID_PARAMETER = 0x80041008
WBEM_E_INVALID_NAMESPACE = 0x8004100E
WBEM_E_INVALID_CLASS = 0x80041010
WBEM_E_INVALID_OPERATION = 0x80041016
WBEM_E_INVALID_QUERY = 0x80041017
WBEM_E_ALREADY_EXISTS = 0x80041019
WBEM_E_PROVIDER_NOT_CAPABLE = 0x80041024
WBEM_E_INVALID_METHOD = 0x8004102E
WBEM_E_INVALID_PROPERTY = 0x80041031
WBEM_E_INVALID_OBJECT_PATH = 0x8004103A
WBEM_E_QUOTA_VIOLATION = 0x8004106C
RPC_E_DISCONNECTED = 0x80010108
CREATE_OR_UPDATE, UPDATE_ONLY, CREATE_ONLY = 0, 1, 2
SEMISYNC = 0x30  # WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY
LEVELS = [pytest.param(RPC_C_AUTHN_LEVEL_PKT_INTEGRITY, id="integrity"),
          pytest.param(RPC_C_AUTHN_LEVEL_PKT_PRIVACY, id="privacy")]
BENCH = 2000
SERVICE = sc.wmi_uri("Win32_Service")
ENVIRONMENT = sc.wmi_uri("Win32_Environment")
PROCESS = sc.wmi_uri("Win32_Process")
ALL_CIMV2 = sc.wmi_uri("*")


class Host:
    def __init__(self, name, address, port):
        self.name, self.address, self.port = name, address, port
        self.endpoint = "http://%s:%d/wsman" % (address, port) if port else None


def can_bind_135(address):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, 135))
        return True
    except OSError:
        return False
    finally:
        s.close()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wmsim-dcom")
    last = None
    for attempt in range(5):
        a, b = random.randint(64, 250), random.randint(1, 250)
        addresses = ["127.%d.%d.%d" % (a, b, i + 1) for i in range(2)]
        if not can_bind_135(addresses[0]):
            pytest.skip("port 135 cannot be bound on loopback (needs root)")
        port, cport = free_port(addresses[:1]), free_port(["127.0.0.1"])
        args = ["--listen", "%s:%d,dcom,name=DCOM-01" % (addresses[0], port),
                "--listen", "%s,dcom,name=LEGACY-01" % addresses[1],
                "--bench-instances", str(BENCH), "--user", "%s:%s" % (USER, PASSWORD),
                "--control", "127.0.0.1:%d" % cport]
        try:
            p = SimProcess(args, str(tmp / ("wmsim-%d.log" % attempt)))
        except RuntimeError as e:
            last = e
            continue
        hosts = [Host("DCOM-01", addresses[0], port), Host("LEGACY-01", addresses[1], None)]
        yield hosts, Control("http://127.0.0.1:%d" % cport), p
        p.stop()
        return
    raise last


@pytest.fixture
def hosts(fleet):
    hs, control, _ = fleet
    control.reset("*")
    yield hs
    control.reset("*")


@pytest.fixture
def control(fleet):
    return fleet[1]


@pytest.fixture
def wsman(hosts):
    return sc.Client(hosts[0].endpoint)


# --- impacket sessions -------------------------------------------------------------


class Session:
    def __init__(self, dcom, iface, login, svc):
        self.dcom, self.iface, self.login, self.svc = dcom, iface, login, svc


def disconnect(dcom):
    try:
        dcom.disconnect()
    except KeyError:  # impacket: nothing was activated on this connection
        pass


@contextlib.contextmanager
def session(host, level=RPC_C_AUTHN_LEVEL_PKT_PRIVACY, namespace="//./root/cimv2", user=USER, password=PASSWORD):
    """DCOMConnection -> CoCreateInstanceEx(CLSID_WbemLevel1Login) -> NTLMLogin, as wmiquery.py."""
    dcom = dcomrt.DCOMConnection(host.address, user, password, "", oxidResolver=True, authLevel=level)
    try:
        iface = dcom.CoCreateInstanceEx(wmi.CLSID_WbemLevel1Login, wmi.IID_IWbemLevel1Login)
        login = wmi.IWbemLevel1Login(iface)
        svc = login.NTLMLogin(namespace, NULL, NULL)
        yield Session(dcom, iface, login, svc)
    finally:
        disconnect(dcom)


def error_code(excinfo):
    return excinfo.value.get_error_code()


def next_all(enum, svc, batch=1):
    """Next until WBEM_S_FALSE; the last batch comes inside impacket's exception."""
    out, calls = [], 0
    while True:
        calls += 1
        try:
            out += enum.Next(INFINITE, batch)
        except wmi.DCERPCSessionError as e:
            if e.get_error_code() != WBEM_S_FALSE:
                raise
            for i in e.get_packet()["apObjects"]:
                out.append(wmi.IWbemClassObject(
                    dcomrt.INTERFACE(enum.get_cinstance(), b"".join(i["abData"]), enum.get_ipidRemUnknown(),
                                     oxid=enum.get_oxid(), target=enum.get_target()), svc))
            return out, calls


def props(obj):
    return {n: p["value"] for n, p in obj.getProperties().items()}


def query(s, text, batch=10):
    return next_all(s.svc.ExecQuery(text), s.svc, batch)[0]


def names(objs, prop="Name"):
    return sorted((props(o)[prop] for o in objs), key=str.lower)


def wsman_names(client, text, prop="Name", uri=ALL_CIMV2):
    items, _ = client.enumerate_all(uri, optimize=True, max_elements=100, filter_xml=sc.wql_filter(text))
    return sorted((sc.read_props(i)[prop] for i in items), key=str.lower)


def marshal(obj):
    """marshalMe, after giving NULL strings the '' impacket can encode (sent as NULL)."""
    for name, p in obj.getProperties().items():
        if p["value"] is None and p["stype"] in ("string", "datetime", "reference"):
            setattr(obj, name, "")
    return obj.marshalMe()


def counters(control, name):
    return control.host(name)["dcom"]


# --- activation, login, levels --------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_activation_login_and_a_query_at_each_level(hosts, control, wsman, level):
    before = counters(control, "DCOM-01")
    with session(hosts[0], level) as s:
        # authnHint is the level of the activation: impacket calls the objects at it
        assert s.iface.get_cinstance().get_auth_level() == level
        assert s.login.EstablishPosition() == 1
        os_ = query(s, "SELECT * FROM Win32_OperatingSystem")
        assert len(os_) == 1
        ws = wsman.get_instance(sc.wmi_uri("Win32_OperatingSystem"))
        p = props(os_[0])
        assert p["Caption"] == ws["Caption"] and p["CSName"] == ws["CSName"] == "DCOM-01"
        assert str(p["Version"]) == ws["Version"]
    after = counters(control, "DCOM-01")
    assert after["connections"] >= before["connections"] + 2  # port 135 and the endpoint
    for call in ("RemoteCreateInstance", "EstablishPosition", "NTLMLogin", "ExecQuery", "Next"):
        assert after["by_call"][call] > before["by_call"][call], call
    assert after["port"] == 135 and after["endpoint"] > 0


def test_wmiquery_style_level_change_after_login(hosts):
    """wmiquery.py -rpc-auth-level: the level set on the IWbemServices
    connection after NTLMLogin applies to every later alter_context."""
    with session(hosts[0], RPC_C_AUTHN_LEVEL_PKT_PRIVACY) as s:
        s.svc.get_dce_rpc().set_auth_level(RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
        assert len(query(s, "SELECT Name FROM Win32_Service WHERE Name = 'WinRM'")) == 1


def test_activation_below_integrity_and_bad_password_are_refused(hosts, control):
    before = counters(control, "DCOM-01")["unauthorized"]
    dcom = dcomrt.DCOMConnection(hosts[0].address, USER, PASSWORD, "", authLevel=RPC_C_AUTHN_LEVEL_CONNECT)
    try:
        with pytest.raises(DCERPCException, match="rpc_s_access_denied"):
            dcom.CoCreateInstanceEx(wmi.CLSID_WbemLevel1Login, wmi.IID_IWbemLevel1Login)
    finally:
        disconnect(dcom)
    with pytest.raises(DCERPCException, match="access_denied"):
        with session(hosts[0], password="not-the-password"):
            pass
    assert counters(control, "DCOM-01")["unauthorized"] >= before + 2


@pytest.mark.parametrize("resource", ["//./root/cimv2", "\\\\.\\root\\cimv2", "root/cimv2", "//DCOM-01/ROOT/CIMV2",
                                      "root\\test"])
def test_namespace_spellings(hosts, resource):
    with session(hosts[0], namespace=resource) as s:
        cls = "Sim_Item" if "test" in resource else "Win32_ComputerSystem"
        assert query(s, "SELECT * FROM %s" % cls)


def test_unknown_namespace(hosts):
    with session(hosts[0]) as s:
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.login.NTLMLogin("//./root/nosuch", NULL, NULL)
        assert error_code(e) == WBEM_E_INVALID_NAMESPACE


def test_object_exporter_on_port_135(hosts, control):
    """ServerAlive2 (unauthenticated), ResolveOxid/ResolveOxid2 and the pings
    impacket's keep-alive thread sends, through impacket's IObjectExporter."""
    def dce(level):
        t = transport.DCERPCTransportFactory("ncacn_ip_tcp:%s" % hosts[0].address)
        if level > RPC_C_AUTHN_LEVEL_NONE:
            t.set_credentials(USER, PASSWORD, "", "", "")
        d = t.get_dce_rpc()
        d.set_auth_level(level)
        return d
    alive = dcomrt.IObjectExporter(dce(RPC_C_AUTHN_LEVEL_NONE)).ServerAlive2()
    assert [b["aNetworkAddr"].rstrip("\x00") for b in alive] == ["DCOM-01[135]", "%s[135]" % hosts[0].address]
    ex = dcomrt.IObjectExporter(dce(RPC_C_AUTHN_LEVEL_PKT_INTEGRITY))
    with session(hosts[0]) as s:
        bindings = [b["aNetworkAddr"].rstrip("\x00") for b in ex.ResolveOxid(s.iface.get_oxid(), (7,))]
        assert bindings[1].startswith(hosts[0].address + "[") and bindings[0].startswith("DCOM-01[")
        assert [b["aNetworkAddr"] for b in ex.ResolveOxid2(s.iface.get_oxid(), (7,))] == \
            [b["aNetworkAddr"] for b in ex.ResolveOxid(s.iface.get_oxid(), (7,))]
        r = ex.ComplexPing(0, 0, [s.iface.get_oid()], [])
        assert r["ErrorCode"] == 0 and 0 < r["pSetId"] < 65536
        assert ex.SimplePing(r["pSetId"])["ErrorCode"] == 0
        with pytest.raises(DCERPCException):
            ex.ResolveOxid(s.iface.get_oxid() ^ 1, (7,))
        # impacket's own keep-alive round, now rather than in 120 s (it only logs errors: count them)
        before = counters(control, "DCOM-01")["by_call"]
        dcomrt.DCOMConnection.PINGTIMER.cancel()
        dcomrt.DCOMConnection.pingServer()
        after = counters(control, "DCOM-01")["by_call"]
        assert after["ComplexPing"] + after["SimplePing"] > before["ComplexPing"] + before["SimplePing"]


# --- queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_queries_match_wsman(hosts, wsman, level):
    queries = ["SELECT * FROM Win32_Service",
               "SELECT * FROM Win32_BaseService WHERE State = 'Running' AND StartMode <> 'Disabled'",
               "SELECT Name, State FROM Win32_Service WHERE Name LIKE 'W%'",
               'ASSOCIATORS OF {Win32_Service.Name="LanmanServer"}',
               'ASSOCIATORS OF {Win32_Service.Name="RpcSs"} WHERE AssocClass = Win32_DependentService Role = Antecedent']
    with session(hosts[0], level) as s:
        for q in queries:
            assert names(query(s, q)) == wsman_names(wsman, q), q
        # references: WMI object paths over DCOM, EPRs over WS-Management
        q = 'REFERENCES OF {Win32_Service.Name="RpcSs"}'
        refs = query(s, q)
        assert refs and all(o.getClassName() == "Win32_DependentService" for o in refs)
        key = re.compile(r'Name="([^"]*)"')
        dcom_pairs = sorted((key.search(props(o)["Antecedent"]).group(1), key.search(props(o)["Dependent"]).group(1))
                            for o in refs)
        items, _ = wsman.enumerate_all(ALL_CIMV2, optimize=True, max_elements=100, filter_xml=sc.wql_filter(q))
        ws_pairs = sorted((sc.read_props(i)["Antecedent"].selectors["Name"], sc.read_props(i)["Dependent"].selectors["Name"])
                          for i in items)
        assert dcom_pairs == ws_pairs


def test_projection_carries_the_selected_properties_only(hosts):
    with session(hosts[0]) as s:
        objs = query(s, "SELECT Name, State FROM Win32_Service")
        assert objs and all(set(o.getProperties()) == {"Name", "State"} for o in objs)
        assert objs[0].getClassName() == "Win32_Service"


def raw_next(enum, count):
    """One Next, its objects left unparsed (impacket's parser costs ~10 ms an
    object); returns (MInterfacePointers, HRESULT)."""
    req = wmi.IEnumWbemClassObject_Next()
    req["lTimeout"], req["uCount"] = INFINITE, count
    try:
        return enum.request(req, iid=wmi.IID_IEnumWbemClassObject, uuid=enum.get_iPid())["apObjects"], 0
    except wmi.DCERPCSessionError as e:
        return e.get_packet()["apObjects"], e.get_error_code()


def parse(enum, svc, mip):
    return wmi.IWbemClassObject(dcomrt.INTERFACE(enum.get_cinstance(), b"".join(mip["abData"]),
                                                 enum.get_ipidRemUnknown(), oxid=enum.get_oxid(),
                                                 target=enum.get_target()), svc)


def test_sim_bench_2000_streams_in_batches(hosts):
    """2,000 generated instances (made one by one from the store's cursor)
    in batches of 256: seven WBEM_S_NO_ERROR replies, then the last 208 with
    WBEM_S_FALSE (the first and last of each batch parsed: Ids in order);
    then a semisynchronous forward-only query, one by one, as wmiquery.py
    reads."""
    with session(hosts[0], namespace="//./root/test") as s:
        enum = s.svc.ExecQuery("SELECT * FROM Sim_Bench")
        total, hrs = 0, []
        while not hrs or hrs[-1] == 0:
            objs, hr = raw_next(enum, 256)
            hrs.append(hr)
            if objs:
                assert props(parse(enum, s.svc, objs[0]))["Id"] == total
                assert props(parse(enum, s.svc, objs[-1]))["Id"] == total + len(objs) - 1
            total += len(objs)
        assert total == BENCH and hrs == [0] * (BENCH // 256) + [WBEM_S_FALSE]
        enum = s.svc.ExecQuery("SELECT Id FROM Sim_Bench WHERE Id < 120", SEMISYNC)
        objs, calls = next_all(enum, s.svc, batch=1)
        assert sorted(props(o)["Id"] for o in objs) == list(range(120)) and calls == 121


def test_enumerator_skip_reset_and_forward_only(hosts):
    with session(hosts[0], namespace="//./root/test") as s:
        enum = s.svc.ExecQuery("SELECT * FROM Sim_Bench")
        enum.Skip(INFINITE, 1990)
        objs, _ = next_all(enum, s.svc, batch=100)
        assert [props(o)["Id"] for o in objs] == list(range(1990, 2000))
        enum.Reset()
        objs, hr = raw_next(enum, 5000)
        assert len(objs) == BENCH and hr == WBEM_S_FALSE
        fwd = s.svc.ExecQuery("SELECT * FROM Sim_Item", SEMISYNC)
        with pytest.raises(wmi.DCERPCSessionError) as e:
            fwd.Reset()
        assert error_code(e) == WBEM_E_INVALID_OPERATION


def test_query_errors(hosts):
    with session(hosts[0]) as s:
        for q, hr in (("SELEKT * FROM Win32_Service", WBEM_E_INVALID_QUERY),
                      ("SELECT NoSuchProperty FROM Win32_Service", WBEM_E_INVALID_QUERY),
                      ("SELECT * FROM NoSuchClass", WBEM_E_INVALID_CLASS),
                      ('ASSOCIATORS OF {Win32_Service.Name="nosuch"}', WBEM_E_NOT_FOUND)):
            with pytest.raises(wmi.DCERPCSessionError) as e:
                s.svc.ExecQuery(q)
            assert error_code(e) == hr, q
        # semisynchronous: the error comes with the first Next, as on Windows
        enum = s.svc.ExecQuery("SELECT * FROM NoSuchClass", SEMISYNC)
        with pytest.raises(wmi.DCERPCSessionError) as e:
            enum.Next(INFINITE, 1)
        assert error_code(e) == WBEM_E_INVALID_CLASS


def test_notification_query_waits_and_yields_nothing(hosts):
    """Events are a later issue: the enumerator takes the query and its Next
    answers WBEM_S_TIMEDOUT after lTimeout."""
    q = "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Win32_Process'"
    with session(hosts[0]) as s:
        enum = s.svc.ExecNotificationQuery(q, SEMISYNC)
        t0 = time.monotonic()
        with pytest.raises(wmi.DCERPCSessionError) as e:
            enum.Next(700, 1)
        assert error_code(e) == WBEM_S_TIMEDOUT and time.monotonic() - t0 >= 0.6
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.ExecNotificationQuery(q)  # MS-WMI: only semisynchronous and forward-only
        assert error_code(e) == WBEM_E_INVALID_PARAMETER


# --- GetObject ---------------------------------------------------------------------------------------


def test_get_object_of_a_class_and_of_instances(hosts, wsman):
    with session(hosts[0]) as s:
        cls, _ = s.svc.GetObject("Win32_Service")
        assert cls.getClassName() == "Win32_Service"
        assert {"StartService", "StopService", "ChangeStartMode"} <= set(cls.getMethods())
        assert {"Name", "State", "StartMode", "ProcessId"} <= set(cls.getProperties())
        assert "key" in cls.getProperties()["Name"]["qualifiers"]
        for path, uri, sel in (('Win32_Service.Name="WinRM"', SERVICE, {"Name": "WinRM"}),
                               ('\\\\.\\root\\cimv2:Win32_Service.Name="winrm"', SERVICE, {"Name": "WinRM"}),
                               ('Win32_ComputerSystem.Name="DCOM-01"', sc.wmi_uri("Win32_ComputerSystem"), None),
                               ("Win32_OperatingSystem=@", sc.wmi_uri("Win32_OperatingSystem"), None)):
            inst, _ = s.svc.GetObject(path)
            ws = wsman.get_instance(uri, sel)
            p = props(inst)
            for name in ("Name", "Caption", "State", "StartMode", "Status"):
                if name in ws and ws[name] is not None:
                    assert str(p[name]) == ws[name], (path, name)
        dep, _ = s.svc.GetObject('Win32_DependentService.Antecedent="Win32_Service.Name=\\"RpcEptMapper\\"",'
                                 'Dependent="Win32_Service.Name=\\"RpcSs\\""')
        assert dep.getClassName() == "Win32_DependentService"


def test_get_object_errors(hosts):
    with session(hosts[0]) as s:
        for path, hr in (('Win32_Service.Name="nosuch"', WBEM_E_NOT_FOUND),
                         ("NoSuchClass", WBEM_E_NOT_FOUND),
                         ('NoSuchClass.Name="x"', WBEM_E_INVALID_CLASS),
                         ('Win32_Service.NoSuchKey="x"', WBEM_E_INVALID_OBJECT_PATH),
                         ('Win32_Service.Name="x', WBEM_E_INVALID_OBJECT_PATH),
                         ('\\\\.\\root\\nosuch:Win32_Service.Name="x"', WBEM_E_INVALID_NAMESPACE)):
            with pytest.raises(wmi.DCERPCSessionError) as e:
                s.svc.GetObject(path)
            assert error_code(e) == hr, path


# --- PutInstance, DeleteInstance, and the other front ----------------------------------------------------


def env_path(name, user="<SYSTEM>"):
    return 'Win32_Environment.Name="%s",UserName="%s"' % (name, user)


ENV_SEL = lambda name: {"Name": name, "UserName": "<SYSTEM>"}  # noqa: E731


@pytest.mark.parametrize("level", LEVELS)
def test_put_instance_create_update_delete_seen_over_wsman(hosts, wsman, level):
    with session(hosts[0], level) as s:
        cls, _ = s.svc.GetObject("Win32_Environment")
        new = cls.SpawnInstance()
        new.Name, new.UserName, new.VariableValue = "WMSIM_DCOM", "<SYSTEM>", "made-over-dcom"
        blob = marshal(new)
        result = s.svc.PutInstance(blob, CREATE_ONLY)
        assert result.GetCallStatus(0) == 0  # the IWbemCallResult impacket insists on
        ws = wsman.get_instance(ENVIRONMENT, ENV_SEL("WMSIM_DCOM"))
        assert ws["VariableValue"] == "made-over-dcom"
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.PutInstance(blob, CREATE_ONLY)
        assert error_code(e) == WBEM_E_ALREADY_EXISTS

        got, _ = s.svc.GetObject(env_path("WMSIM_DCOM"))
        got.VariableValue = "changed-over-dcom"
        s.svc.PutInstance(marshal(got), UPDATE_ONLY)
        assert wsman.get_instance(ENVIRONMENT, ENV_SEL("WMSIM_DCOM"))["VariableValue"] == "changed-over-dcom"

        # WS-Management changes it; DCOM reads the change
        body = sc.instance_xml("Win32_Environment", [("VariableValue", "changed-over-wsman")])
        wsman.put(ENVIRONMENT, ENV_SEL("WMSIM_DCOM"), body)
        got, _ = s.svc.GetObject(env_path("WMSIM_DCOM"))
        assert props(got)["VariableValue"] == "changed-over-wsman"

        s.svc.DeleteInstance(env_path("WMSIM_DCOM"))
        f = wsman.fault(sc.GET, ENVIRONMENT, selectors=ENV_SEL("WMSIM_DCOM"))
        assert f.subcode.endswith("DestinationUnreachable")
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.DeleteInstance(env_path("WMSIM_DCOM"))
        assert error_code(e) == WBEM_E_NOT_FOUND


def test_created_over_wsman_is_seen_and_deleted_over_dcom(hosts, wsman):
    body = sc.instance_xml("Win32_Environment", [("Name", "FROM_WSMAN"), ("UserName", "<SYSTEM>"),
                                                 ("VariableValue", "w")])
    wsman.create(ENVIRONMENT, body)
    with session(hosts[0]) as s:
        assert "FROM_WSMAN" in names(query(s, "SELECT * FROM Win32_Environment"))
        s.svc.DeleteInstance(env_path("FROM_WSMAN"))
    assert "FROM_WSMAN" not in wsman_names(wsman, "SELECT * FROM Win32_Environment")


def test_put_instance_flags_and_errors(hosts, wsman):
    with session(hosts[0]) as s:
        cls, _ = s.svc.GetObject("Win32_Environment")
        new = cls.SpawnInstance()
        new.Name, new.UserName, new.VariableValue = "UPSERT", "<SYSTEM>", "1"
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.PutInstance(marshal(new), UPDATE_ONLY)
        assert error_code(e) == WBEM_E_NOT_FOUND
        s.svc.PutInstance(marshal(new), CREATE_OR_UPDATE)  # creates
        new.VariableValue = "2"
        s.svc.PutInstance(marshal(new), CREATE_OR_UPDATE)  # updates
        assert wsman.get_instance(ENVIRONMENT, ENV_SEL("UPSERT"))["VariableValue"] == "2"

        # a read-only property may not change (as the WS-Man front's Put)
        got, _ = s.svc.GetObject(env_path("ComSpec"))
        got.SystemVariable = False
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.PutInstance(marshal(got), UPDATE_ONLY)
        assert error_code(e) == WBEM_E_INVALID_PROPERTY
        f = wsman.fault(sc.PUT, ENVIRONMENT, selectors=ENV_SEL("ComSpec"),
                        body=sc.instance_xml("Win32_Environment", [("SystemVariable", "false")]))
        assert f.subcode.endswith("InvalidParameter")

        # a class whose provider cannot create
        disk, _ = s.svc.GetObject("Win32_LogicalDisk")
        d = disk.SpawnInstance()
        d.DeviceID = "Q:"
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.PutInstance(marshal(d), CREATE_ONLY)
        assert error_code(e) == WBEM_E_PROVIDER_NOT_CAPABLE
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.DeleteInstance('Win32_LogicalDisk.DeviceID="C:"')
        assert error_code(e) == WBEM_E_PROVIDER_NOT_CAPABLE


# --- ExecMethod ---------------------------------------------------------------------------------------------


def test_process_create_is_seen_over_wsman_and_terminate_over_dcom(hosts, wsman):
    with session(hosts[0]) as s:
        cls, _ = s.svc.GetObject("Win32_Process")
        out = cls.Create("C:\\Windows\\notepad.exe C:\\a.txt", "C:\\", None)
        assert out.ReturnValue == 0 and out.ProcessId > 0
        pid = out.ProcessId
        ws = wsman.get_instance(PROCESS, {"Handle": str(pid)})
        assert ws["Name"] == "notepad.exe" and ws["ProcessId"] == str(pid)
        proc, _ = s.svc.GetObject('Win32_Process.Handle="%d"' % pid)
        assert proc.Terminate(0).ReturnValue == 0
        f = wsman.fault(sc.GET, PROCESS, selectors={"Handle": str(pid)})
        assert f.subcode.endswith("DestinationUnreachable")
        # an empty command line: Windows' ReturnValue 21, no process
        out = cls.Create("", "C:\\", None)
        assert out.ReturnValue == 21


def test_service_methods_return_windows_codes_on_both_fronts(hosts, wsman):
    with session(hosts[0]) as s:
        bits, _ = s.svc.GetObject('Win32_Service.Name="BITS"')
        assert bits.State == "Stopped"
        assert bits.StartService().ReturnValue == 0
        assert wsman.get_instance(SERVICE, {"Name": "BITS"})["State"] == "Running"
        assert bits.StartService().ReturnValue == 10  # already running
        assert bits.StopService().ReturnValue == 0
        assert bits.StopService().ReturnValue == 5  # cannot accept control
        # started over WS-Management, seen (and refused a second start) over DCOM
        out, _ = wsman.invoke(SERVICE, "StartService", selectors={"Name": "BITS"})
        assert out["ReturnValue"] == "0"
        bits, _ = s.svc.GetObject('Win32_Service.Name="BITS"')
        assert bits.State == "Running" and bits.StartService().ReturnValue == 10


def test_exec_method_errors(hosts):
    with session(hosts[0]) as s:
        for path, method, hr in (('Win32_Service.Name="BITS"', "NoSuchMethod", WBEM_E_INVALID_METHOD),
                                 ('Win32_Service.Name="nosuch"', "StartService", WBEM_E_NOT_FOUND),
                                 ("NoSuchClass", "Create", WBEM_E_INVALID_CLASS)):
            with pytest.raises(wmi.DCERPCSessionError) as e:
                s.svc.ExecMethod(path, method)
            assert error_code(e) == hr, (path, method)


# --- the control plan, counters, the DCOM-only host ----------------------------------------------------------


def test_injected_faults_latency_and_drops_apply_to_dcom(hosts, control):
    with session(hosts[0]) as s:
        control.fail("DCOM-01", 1, fault="AccessDenied")
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.GetObject('Win32_Service.Name="WinRM"')
        assert error_code(e) == WBEM_E_ACCESS_DENIED
        s.svc.GetObject('Win32_Service.Name="WinRM"')  # only the next one
        control.post("DCOM-01", "fail", {"count": 1, "hresult": "WBEM_E_QUOTA_VIOLATION"})
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.ExecQuery("SELECT * FROM Win32_Service")
        assert error_code(e) == WBEM_E_QUOTA_VIOLATION
        control.fail("DCOM-01", 1, fault="NoInstance")
        with pytest.raises(wmi.DCERPCSessionError) as e:
            s.svc.GetObject('Win32_Service.Name="WinRM"')
        assert error_code(e) == WBEM_E_NOT_FOUND
        control.latency("DCOM-01", 400)
        t0 = time.monotonic()
        s.svc.GetObject('Win32_Service.Name="WinRM"')
        assert time.monotonic() - t0 >= 0.38
        control.clear("DCOM-01")
        control.garbage("DCOM-01", 1)
        with pytest.raises(Exception):
            s.svc.GetObject('Win32_Service.Name="WinRM"')
    c = counters(control, "DCOM-01")
    assert c["faults"] >= 3 and c["by_call"]["GetObject"] >= 5
    assert control.host("DCOM-01")["plan"]["garbage_count"] == 0


def rpc_bind(iid, call_id=1):
    """A bind PDU without authentication (C706 12.6.4.3), for raw-socket tests."""
    ndr = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860").bytes_le + struct.pack("<I", 2)
    body = struct.pack("<HHIB3x", 5840, 5840, 0, 1) + struct.pack("<HBx", 0, 1)
    body += uuid.UUID(iid).bytes_le + struct.pack("<I", 0) + ndr
    return struct.pack("<BBBBIHHI", 5, 0, 11, 3, 0x10, 16 + len(body), 0, call_id) + body


def rpc_request(opnum, stub=b"", call_id=2):
    return struct.pack("<BBBBIHHIIHH", 5, 0, 0, 3, 0x10, 24 + len(stub), 0, call_id, len(stub), 0, opnum) + stub


def read_pdu(sock):
    """One PDU, or what came before the connection closed."""
    data = b""
    while len(data) < 10 or len(data) < struct.unpack("<H", data[8:10])[0]:
        chunk = sock.recv(65536)
        if not chunk:
            return data, True
        data += chunk
    return data, False


def test_dropped_reply_is_cut_and_the_connection_closed(hosts, control):
    """impacket's TCP transport spins on a closed socket, so a raw client:
    IObjectExporter::ServerAlive2, which anyone may call on port 135."""
    with socket.create_connection((hosts[0].address, 135), timeout=5) as sock:
        sock.sendall(rpc_bind("99fcfec4-5260-101b-bbcb-00aa0021347a"))
        ack, closed = read_pdu(sock)
        assert ack[2] == 12 and not closed  # bind_ack
        sock.sendall(rpc_request(5))
        whole, closed = read_pdu(sock)
        assert whole[2] == 2 and not closed and struct.unpack("<H", whole[8:10])[0] == len(whole)
        control.drop("DCOM-01", 1)
        sock.sendall(rpc_request(5, call_id=3))
        part, closed = read_pdu(sock)
        assert closed and 0 < len(part) < len(whole)
    assert control.host("DCOM-01")["plan"]["drop_count"] == 0


def test_dcom_only_host(hosts, control):
    legacy = hosts[1]
    h = control.host("LEGACY-01")
    assert h["port"] == 0 and h["dcom"]["port"] == 135
    s = socket.socket()
    s.settimeout(2)
    with pytest.raises(OSError):  # nothing but DCOM listens there
        s.connect((legacy.address, 5985))
    s.close()
    with session(legacy) as sess:
        cs = query(sess, "SELECT * FROM Win32_ComputerSystem")
        assert props(cs[0])["Name"] == "LEGACY-01"
        assert len(query(sess, "SELECT * FROM Win32_Service")) > 10


def test_reset_drops_open_enumerators(hosts, control):
    with session(hosts[0], namespace="//./root/test") as s:
        enum = s.svc.ExecQuery("SELECT * FROM Sim_Bench")
        assert len(enum.Next(INFINITE, 5)) == 5
        control.reset("DCOM-01")  # reloads the store the enumerator's cursor pointed into
        with pytest.raises(DCERPCException, match="RPC_E_DISCONNECTED"):
            enum.Next(INFINITE, 5)
        assert len(query(s, "SELECT * FROM Sim_Item")) > 0  # the IWbemServices lives on
