"""
test_wmio_impacket.py: our MS-WMIO encoder's output, read by impacket.

impacket (Debian python3-impacket) is the third-party WMI-over-DCOM client
the simulator must satisfy, so every object the encoder writes
(translators/wmi/wmio.h) is parsed here with impacket's own classes
(OBJREF_CUSTOM, ENCODING_UNIT, OBJECT_BLOCK) and every value impacket reads
is compared with what was encoded.  The objects come from the test helper
build/tests/unit/wmio_dump (cases in tests/unit/wmi/wmio_cases.h): its
"case NAME" prints the EncodingUnit, its OBJREF_CUSTOM wrapping and the
object as the CIM model holds it ("expect").

impacket's reader has bugs of its own; the checks step around them and
say so where they do:
  - any real32/real64 scalar crashes ENCODED_VALUE.getValue (it slices the
    heap with the float); a shim returns the float, as the reader meant to;
  - a uint32 of 0xFFFFFFFF reads as None (its NULL-reference test comes
    before the type test);
  - a property left to its class default reads as None or 0 (getValues
    ignores NdTable bit 1), so defaulted properties are not compared here
    (the C unit test checks them);
  - arrays of datetime and reference come back as heap offsets (only type
    8200, string, is resolved): they are resolved here from the heap;
  - UTF-16 strings with a U+xx00 character after a Latin-1 one are cut
    short by its 'u' format (the cases avoid such characters).
Also cross-checked: the captured Windows Win32_UTCTime instance reads the
same through impacket and through our decoder (wmio_dump decode); and the
other direction, what the simulator will receive: objects impacket builds
from our class objects (SpawnInstance + marshalMe, as for PutInstance; the
__PARAMETERS instance of a method call, as for ExecMethod, caught before
it would go on the wire) decode with ours to the values impacket was given.
impacket writes an empty string as NULL-and-default (its marshalMe says
so), which reads as NULL.

PutInstance itself: the "put-*" cases of wmio_dump encode as
translators/wmi/wmi.c does (against the class part the server sent, kept
in a class cache; no Decoration), and test_gateway_put_instance_reads_in_
impacket captures what the gateway really sends for a REST POST and PATCH
(over DCOM at packet integrity, through a relay) and reads it with
impacket's NDR classes and object parser.  What impacket cannot read is
listed above; those values are compared through our decoder only.

    WMIO_DUMP_BIN   the helper (default <repo>/build/tests/unit/wmio_dump)
    WMSIM_BIN, WMGW_BIN  the simulator and the gateway of the wire test
                    (conftest.py, gwclient.py; default <repo>/build/...)
"""
import binascii
import json
import math
import os
import socket
import struct
import subprocess
import threading
from pathlib import Path

import pytest

import gwclient
from conftest import PASSWORD, USER, WMSIM, Relay, SimProcess, free_port

import impacket.dcerpc.v5.dcom.wmi as impacket_wmi
import impacket.dcerpc.v5.dcomrt as dcomrt

REPO = Path(__file__).resolve().parents[2]
DUMP = os.environ.get("WMIO_DUMP_BIN", str(REPO / "build" / "tests" / "unit" / "wmio_dump"))
FIXTURES = REPO / "tests" / "fixtures" / "wmio"

if not os.access(DUMP, os.X_OK):
    pytest.skip("wmio_dump not built (make -C build wmio_dump)", allow_module_level=True)



@pytest.fixture(autouse=True, scope="module")
def real_scalar_shim():
    """impacket bug: real scalars reach getValue as floats and crash its heap
    slicing.  Return the float, for this module only."""
    orig = impacket_wmi.ENCODED_VALUE.__dict__["getValue"]
    plain = orig.__func__

    def get_value(cls, cim_type, entry, heap):
        if isinstance(entry, float):
            return entry
        return plain(cls, cim_type, entry, heap)

    impacket_wmi.ENCODED_VALUE.getValue = classmethod(get_value)
    yield
    impacket_wmi.ENCODED_VALUE.getValue = orig


ARRAY, INHERITED = 0x2000, 0x4000
SINT = {16, 2, 3, 20}
UINT = {17, 18, 19, 21}
REAL = {4, 5}
BOOLEAN, STRING, OBJECT, DATETIME, REFERENCE, CHAR16 = 11, 8, 13, 101, 102, 103


def dump(*args):
    out = subprocess.run([DUMP, *args], check=True, capture_output=True, timeout=60)
    return out.stdout.decode()


def cases():
    return dump("list").split()


def heap_string(heap, ref):
    return impacket_wmi.ENCODED_STRING(heap[ref:])["Character"]


def same_real(expected, got):
    if expected == "NaN":
        return isinstance(got, float) and math.isnan(got)
    if expected in ("Infinity", "-Infinity"):
        return got == (math.inf if expected == "Infinity" else -math.inf)
    return got == expected


def check_scalar(base, expected, got, heap, where, element=False):
    """One non-null scalar (or array element): expected as wmio_check.h prints it."""
    if base in SINT or base in UINT:
        if base == 19 and int(expected) == 0xFFFFFFFF and not element:
            assert got is None, where  # impacket reads 0xFFFFFFFF as NULL
        else:
            assert got == int(expected), where
    elif base in REAL:
        assert same_real(expected, got), f"{where}: {got!r} != {expected!r}"
    elif base == BOOLEAN:
        assert got in ("True", "False", 0, 0xFFFF), where
        assert (got in ("True", 0xFFFF)) == expected, where
    elif base == CHAR16:
        assert got == expected, where
    elif base in (STRING, DATETIME, REFERENCE):
        if isinstance(got, int):  # an array element impacket left as a heap offset
            got = heap_string(heap, got)
        assert got == expected, where
    elif base == OBJECT:
        check_object(got, expected, where)
    else:
        raise AssertionError(f"{where}: unknown type {base}")


def check_value(ptype, expected, got, heap, where):
    base = ptype & ~(ARRAY | INHERITED)
    assert expected["type"] == ptype & ~INHERITED, where
    if expected["null"]:
        assert got is None, f"{where}: {got!r} should be NULL"
        return
    if ptype & ARRAY:
        assert isinstance(got, list) and len(got) == len(expected["value"]), f"{where}: {got!r}"
        for i, (e, g) in enumerate(zip(expected["value"], got)):
            check_scalar(base, e, g, heap, f"{where}[{i}]", element=True)
    else:
        check_scalar(base, expected["value"], got, heap, where)


def check_instance_block(ob, expected, where, defaulted=()):
    """An impacket OBJECT_BLOCK holding an instance against its expected JSON."""
    assert ob.isInstance(), where
    ob.parseObject()
    ct = ob.ctCurrent
    assert ct["name"].split(" ")[0] == expected["class"], where
    heap = ob["InstanceType"]["InstanceHeap"]["HeapItem"]
    props = ct["properties"]
    assert set(props) == set(expected["properties"]) | set(defaulted), where
    for name, exp in expected["properties"].items():
        if name in defaulted:
            continue
        check_value(props[name]["type"], exp, props[name]["value"], heap, f"{where}.{name}")


def check_object(unit, expected, where):
    """An embedded object: impacket hands it over as an ENCODING_UNIT."""
    assert isinstance(unit, impacket_wmi.ENCODING_UNIT), f"{where}: {unit!r}"
    check_instance_block(unit["ObjectBlock"], expected, where)


def parse_case(name):
    case = json.loads(dump("case", name))
    unit = binascii.unhexlify(case["unit_hex"])
    objref = binascii.unhexlify(case["objref_hex"])
    # The OBJREF as impacket's DCOM layer unwraps it.
    custom = dcomrt.OBJREF_CUSTOM(objref)
    assert custom["signature"] == 0x574F454D and custom["flags"] == dcomrt.FLAGS_OBJREF_CUSTOM
    assert custom["iid"] == impacket_wmi.IID_IWbemClassObject[:16]
    assert custom["clsid"] == impacket_wmi.CLSID_WbemClassObject
    assert custom["pObjectData"] == unit
    eu = impacket_wmi.ENCODING_UNIT(unit)
    assert eu["Signature"] == 0x12345678
    assert eu["ObjectEncodingLength"] == len(unit) - 8
    return case, eu["ObjectBlock"]


@pytest.mark.parametrize("name", [c for c in cases() if "class" not in c])
def test_instance_reads_in_impacket(name):
    case, ob = parse_case(name)
    assert case["kind"] == "instance"
    check_instance_block(ob, case["expect"], name, case["defaulted"])


@pytest.mark.parametrize("name", [c for c in cases() if "class" in c])
def test_class_reads_in_impacket(name):
    case, ob = parse_case(name)
    exp = case["expect"]
    assert not ob.isInstance()
    ob.parseObject()
    ct = ob.ctCurrent
    names = ct["name"].split(" : ")
    assert names[0].strip() == exp["name"]
    assert (names[1].strip() if len(names) > 1 else None) == exp["superclass"]
    quals = ct["qualifiers"]
    if exp["description"]:
        assert quals["Description"] == exp["description"]
    props = ct["properties"]
    assert set(props) == {d["name"] for d in exp["properties"]}
    inherited = set()
    if exp["superclass"]:
        parent = ob.ctParent  # the ParentClass block: the superclass's own declarations
        assert parent is not None and parent["name"].split(" ")[0] == exp["superclass"]
        inherited = set(parent["properties"])
    for d in exp["properties"]:
        p = props[d["name"]]
        assert p["type"] & ~INHERITED == d["type"], d["name"]
        assert bool(p["type"] & INHERITED) == (d["name"] in inherited), d["name"]
        q = p["qualifiers"]
        assert "CIMTYPE" in q, d["name"]
        for flag, qname in ((1, "key"), (2, "read"), (4, "write"), (8, "Required")):
            assert (q.get(qname) == "True") == bool(d["flags"] & flag), (d["name"], qname)
        if d["ref_class"]:
            assert q["CIMTYPE"].split(":", 1)[1] == d["ref_class"], d["name"]
        if d["description"]:
            assert q["Description"] == d["description"], d["name"]
        for qn, qv in d["qualifiers"].items():
            got = q[qn]
            if qv["type"] & ARRAY:
                assert got == qv["value"], (d["name"], qn)
            elif qv["type"] in SINT or qv["type"] in UINT:
                assert got == int(qv["value"]), (d["name"], qn)
            else:
                assert got == qv["value"], (d["name"], qn)
        default = d["default"]
        if not default["null"] and default["type"] in {STRING} | SINT | UINT:
            assert p["value"] == str(default["value"]), d["name"]  # impacket formats defaults with "%s"
        if not default["null"] and default["type"] & ARRAY and default["type"] & ~ARRAY in SINT:
            assert p["value"] == str([int(x) for x in default["value"]]), d["name"]
    methods = ct["methods"]
    assert list(methods) == [m["name"] for m in exp["methods"]]
    for m in exp["methods"]:
        got = methods[m["name"]]
        assert (got["qualifiers"].get("Static") == "True") == bool(m["flags"] & 0x10), m["name"]
        ins = [p for p in m["params"] if p["flags"] & 0x20]
        outs = [p for p in m["params"] if p["flags"] & 0x40]
        if not ins:
            assert got["InParams"] is None, m["name"]
        else:
            assert list(got["InParams"]) == [p["name"] for p in ins], m["name"]
            for i, p in enumerate(ins):
                gp = got["InParams"][p["name"]]
                assert gp["type"] == p["type"] and gp["qualifiers"]["in"] == "True"
                assert gp["qualifiers"]["ID"] == m["params"].index(p)
        if not outs and m["return_type"] == 0:
            assert got["OutParams"] is None, m["name"]
        else:
            names = [p["name"] for p in outs] + (["ReturnValue"] if m["return_type"] else [])
            assert list(got["OutParams"]) == names, m["name"]
            for p in outs:
                gp = got["OutParams"][p["name"]]
                assert gp["type"] == p["type"] and gp["qualifiers"]["out"] == "True"
                assert gp["qualifiers"]["ID"] == m["params"].index(p)
            if m["return_type"]:
                assert got["OutParams"]["ReturnValue"]["type"] == m["return_type"]


@pytest.mark.parametrize("name", [c for c in cases() if c.startswith("put-")])
def test_put_path_sends_the_server_class_part(name):
    """The PutInstance path: no Decoration, and the class part is the
    server's own bytes (the cache entry), which impacket reads as the
    instance's class."""
    case, ob = parse_case(name)
    assert ob["ObjectFlags"] == 0x02  # instance, undecorated
    unit, part = binascii.unhexlify(case["unit_hex"]), binascii.unhexlify(case["class_part_hex"])
    # Signature, ObjectEncodingLength, ObjectFlags, then (no Decoration)
    # the instance's CurrentClass: the entry's bytes as they are.
    assert unit.startswith(part, 9)
    ob.parseObject()
    assert ob.ctCurrent["name"].split(" ")[0] == case["expect"]["class"]


def test_windows_capture_reads_the_same_in_both():
    """The real Win32_UTCTime instance: impacket's reading and ours agree."""
    blob = FIXTURES / "win32-utctime-instance-sevenx64.objref.bin"
    if not blob.exists():
        pytest.skip("fixture missing")
    ours = json.loads(dump("decode", str(blob)))
    assert "error" not in ours
    custom = dcomrt.OBJREF_CUSTOM(blob.read_bytes())
    ob = impacket_wmi.ENCODING_UNIT(custom["pObjectData"])["ObjectBlock"]
    check_instance_block(ob, ours["instance"], "Win32_UTCTime")


def impacket_class(name):
    """Our encoding of a class, as impacket's IWbemClassObject (no network)."""
    case = json.loads(dump("case", name))
    iface = dcomrt.INTERFACE(objRef=binascii.unhexlify(case["objref_hex"]), target="wmgw-test")
    return impacket_wmi.IWbemClassObject(iface, CapturingServices())


class CapturingServices:
    """Stands in for IWbemServices: keeps what ExecMethod would send."""

    def ExecMethod(self, path, method, pInParams=None):
        self.sent = (path, method, pInParams.getData())


def decode_ours(tmp_path, blob):
    f = tmp_path / "blob.bin"
    f.write_bytes(blob)
    d = json.loads(dump("decode", str(f)))
    assert "error" not in d, d
    return d


def test_impacket_instance_decodes_in_ours(tmp_path):
    cls = impacket_class("plain-class")
    inst = cls.SpawnInstance()
    inst.Id, inst.Name, inst.Count, inst.Big, inst.Neg = "p-1", "n\xe9", 7, 2**64 - 1, -(2**63)
    inst.Flag, inst.When, inst.Bytes, inst.Ratio, inst.Small = True, "20240131235959.123456-300", [1, 2, 255], 0.5, -3
    d = decode_ours(tmp_path, inst.marshalMe().getData())
    props = d["instance"]["properties"]
    want = {"Id": "p-1", "Name": "n\xe9", "Count": "7", "Big": str(2**64 - 1), "Neg": str(-(2**63)),
            "Flag": True, "When": "20240131235959.123456-300", "Bytes": ["1", "2", "255"], "Ratio": 0.5,
            "Small": "-3"}
    assert {k: v["value"] for k, v in props.items()} == want
    assert d["instance"]["class"] == "Wmgw_Plain" and d["namespace"] == "root/wmgw"
    # impacket's empty strings: NULL (NdTable 11), and NULLs stay NULL.
    inst.Name, inst.Count = "", None
    props = decode_ours(tmp_path, inst.marshalMe().getData())["instance"]["properties"]
    assert props["Name"]["null"] and props["Count"]["null"]


def test_impacket_method_parameters_decode_in_ours(tmp_path):
    cls = impacket_class("alltypes-class")
    svc = cls._IWbemClassObject__iWbemServices
    cls.Restart("WinRM \u2603", -5)
    path, method, blob = svc.sent
    assert (path, method) == ("Wmgw_AllTypes", "Restart")
    props = decode_ours(tmp_path, blob)["instance"]["properties"]
    assert {k: v["value"] for k, v in props.items()} == {"ServiceName": "WinRM \u2603", "Timeout": "-5"}
    # impacket packs every element of a non-string array as a uint32, so a
    # real64[] cannot go; None leaves heap offset 0, its "no value": NULL.
    cls.Compute(None, 'Win32_Service.Name="WinRM"')
    props = decode_ours(tmp_path, svc.sent[2])["instance"]["properties"]
    assert props["X"]["null"]
    assert props["Target"]["value"] == 'Win32_Service.Name="WinRM"'


# --- what the gateway itself sends: PutInstance captured on the wire ------------------------------------
#
# The cases above encode through wmio_dump; these take the real path: a REST
# POST/PATCH of root/test:Sim_AllTypes through the gateway (WMGW_BIN) to a
# wmsim host (WMSIM_BIN) over DCOM at packet integrity (signed, not sealed,
# so the stub is readable), through a relay that keeps what the gateway
# sent.  The IWbemServices::PutInstance request is reassembled from its
# DCE/RPC fragments, unmarshaled by impacket's own NDR classes, and its
# object read by impacket's parser and by ours (wmio_dump decode); both
# must give the values of the REST body.

SIM_ADDR, RELAY_ADDR = "127.0.0.1", "127.0.0.7"
PUT_INSTANCE = 14  # IWbemServices opnum: no other interface DCOM uses here has one


class RecordingRelay:
    """Forwards RELAY_ADDR:port to SIM_ADDR:port for each port and keeps the
    bytes of every connection's gateway -> host direction, one stream per
    connection (conftest.Relay listens on one random port and joins its
    connections: the exporter needs the sim's own port number)."""

    def __init__(self, ports):
        self.streams, self.lock, self.socks = [], threading.Lock(), []
        for port in ports:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((RELAY_ADDR, port))
            s.listen(16)
            self.socks.append(s)
            threading.Thread(target=self._accept, args=(s, port), daemon=True).start()

    def _accept(self, lsock, port):
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            b = socket.create_connection((SIM_ADDR, port))
            sent = bytearray()
            with self.lock:
                self.streams.append(sent)
            # conftest.Relay's pump; the replies are kept too, unused.
            threading.Thread(target=Relay.pump, args=(c, b, sent, self.lock), daemon=True).start()
            threading.Thread(target=Relay.pump, args=(b, c, bytearray(), self.lock), daemon=True).start()

    def sent(self):
        with self.lock:
            return [bytes(s) for s in self.streams]

    def close(self):
        for s in self.socks:
            s.close()


def rpc_requests(stream):
    """(opnum, auth_level, stub, fragments) of each request in one client
    stream of DCE/RPC connection-oriented PDUs, fragments joined (C706 12.6)."""
    pos, partial, out = 0, {}, []
    while pos + 16 <= len(stream):
        ptype, flags = stream[pos + 2], stream[pos + 3]
        frag_len, auth_len, call_id = struct.unpack_from("<HHI", stream, pos + 8)
        assert frag_len >= 16, "PDU of %d bytes at %d" % (frag_len, pos)
        if pos + frag_len > len(stream):
            break  # a PDU still on its way: not one the tests look at
        pdu = stream[pos:pos + frag_len]
        pos += frag_len
        if ptype != 0:  # only requests
            continue
        opnum = struct.unpack_from("<H", pdu, 22)[0]
        start = 24 + (16 if flags & 0x80 else 0)  # PFC_OBJECT_UUID: the IPID
        end, level = frag_len, None
        if auth_len:
            trailer = frag_len - auth_len - 8
            level, pad = pdu[trailer + 1], pdu[trailer + 2]
            end = trailer - pad
        stub, n = partial.pop(call_id, (b"", 0))
        stub, n = stub + pdu[start:end], n + 1
        if flags & 0x02:  # PFC_LAST_FRAG
            out.append((opnum, level, stub, n))
        else:
            partial[call_id] = (stub, n)
    return out


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    """wmsim (WS-Man and DCOM on SIM_ADDR), the relay, and a gateway that
    reaches the host over DCOM at integrity through the relay."""
    if not (os.access(WMSIM, os.X_OK) and os.access(gwclient.WMGW, os.X_OK)):
        pytest.skip("wmsim or wmgw not built (WMSIM_BIN, WMGW_BIN)")
    tmp = tmp_path_factory.mktemp("wire")
    ports = set()
    while len(ports) < 3:
        ports.add(free_port([SIM_ADDR, RELAY_ADDR]))
    ws, act, exp = sorted(ports)
    sim = SimProcess(["--listen", "%s:%d,name=WIRE-01,dcom=%d,dcom-endpoint=%d" % (SIM_ADDR, ws, act, exp),
                      "--user", "%s:%s" % (USER, PASSWORD)], str(tmp / "wmsim.log"))
    relay, gw = None, None
    try:
        relay = RecordingRelay([act, exp])
        gw = gwclient.Gateway(tmp, "gw-wire", [("workers", "1"), ("access-log", "off")], {
            "wire": [("address", RELAY_ADDR), ("port", act), ("protocol", "dcom"), ("user", USER),
                     ("password", PASSWORD), ("dcom-auth-level", "integrity")]})
        gw.start()
        yield gw, relay
    finally:
        if gw is not None:
            gw.stop()
        if relay is not None:
            relay.close()
        sim.stop()


def put_instances(relay):
    """Every PutInstance the gateway sent: (OBJREF bytes, lFlags, fragments)."""
    objs = []
    for stream in relay.sent():
        for opnum, level, stub, frags in rpc_requests(stream):
            if opnum != PUT_INSTANCE:
                continue
            assert level == 5, "PKT_INTEGRITY expected, got %s" % level
            req = impacket_wmi.IWbemServices_PutInstance()
            req.fromString(stub)  # impacket's NDR reads the whole request
            objs.append((b"".join(req["pInst"]["abData"]), req["lFlags"], frags))
    return objs


# The REST body, and each value as MS-WMIO carries it (DMTF datetimes and
# intervals, 64-bit integers exact, UTF-16 strings).  Strings avoid a
# U+xx00 character after a Latin-1 one (impacket's 'u' format cuts there).
ALLTYPES_BODY = {
    "Id": "wire-\u00e9",
    "PSint8": -128, "PUint8": 255, "PSint16": -32768, "PUint16": 65535, "PSint32": -2147483648,
    "PUint32": 4000000000, "PSint64": "-9223372036854775808", "PUint64": "18446744073709551615",
    "PReal32": 1.5, "PReal64": -0.1, "PBool": True, "PChar16": "\u03a9",
    "PString": "caf\u00e9 \u2603 \u042f \u65e5\u672c\u8a9e \U0001f600",
    "PDatetime": "2024-02-01T04:59:59.123456Z", "PInterval": "P1DT2H3M4.5S",
    "PObject": {"@class": "Sim_Item", "Id": 7, "Label": "emb \u00fc \u2603", "Tags": ["x", "\u00ff"]},
    "PRef": {"@class": "Sim_Item", "@namespace": "root/test", "@keys": {"Id": 1}},
    "ASint8": [-128, 0, 127], "AUint8": [0, 255], "ASint16": [-32768, 32767], "AUint16": [0, 65535],
    "ASint32": [-2147483648, 2147483647], "AUint32": [0, 4294967295],
    "ASint64": ["-9223372036854775808", "9007199254740993"], "AUint64": ["0", "18446744073709551615"],
    "AReal32": [0.5, -2.0, "Infinity"], "AReal64": [0.1, "-Infinity", "NaN"], "ABool": [True, False],
    "AChar16": ["A", "\u00e9", "\u20ac"], "AString": ["", "plain", "\u00fcn\u00efc\u00f8d\u00e9 \u2713"],
    "ADatetime": ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"],
    "AInterval": ["PT0S", "P99999999DT23H59M59.999999S"],
    "AObject": [{"@class": "Sim_Item", "Id": 201, "Label": "first", "Tags": None}],
    "ARef": [{"@class": "Sim_Item", "@namespace": "root/test", "@keys": {"Id": 0}},
             {"@class": "Sim_Item", "@namespace": "root/test", "@keys": {"Id": 4294967295}}],
}
WIRE_VALUES = {
    "Id": "wire-\u00e9",
    "PSint8": "-128", "PUint8": "255", "PSint16": "-32768", "PUint16": "65535", "PSint32": "-2147483648",
    "PUint32": "4000000000", "PSint64": "-9223372036854775808", "PUint64": "18446744073709551615",
    "PReal32": 1.5, "PReal64": -0.1, "PBool": True, "PChar16": 0x3A9,
    "PString": "caf\u00e9 \u2603 \u042f \u65e5\u672c\u8a9e \U0001f600",
    "PDatetime": "20240201045959.123456+000", "PInterval": "00000001020304.500000:000",
    "ASint8": ["-128", "0", "127"], "AUint8": ["0", "255"], "ASint16": ["-32768", "32767"],
    "AUint16": ["0", "65535"], "ASint32": ["-2147483648", "2147483647"], "AUint32": ["0", "4294967295"],
    "ASint64": ["-9223372036854775808", "9007199254740993"], "AUint64": ["0", "18446744073709551615"],
    "AReal32": [0.5, -2.0, "Infinity"], "AReal64": [0.1, "-Infinity", "NaN"], "ABool": [True, False],
    "AChar16": [0x41, 0xE9, 0x20AC], "AString": ["", "plain", "\u00fcn\u00efc\u00f8d\u00e9 \u2713"],
    "ADatetime": ["19700101000000.000000+000", "99991231235959.999999+000"],
    "AInterval": ["00000000000000.000000:000", "99999999235959.999999:000"],
}


def check_wire_object(tmp_path, objref, values, where):
    """One captured PutInstance object: impacket and our decoder read the
    same, and that is `values` (WIRE_VALUES' form)."""
    custom = dcomrt.OBJREF_CUSTOM(objref)
    assert custom["signature"] == 0x574F454D and custom["clsid"] == impacket_wmi.CLSID_WbemClassObject
    eu = impacket_wmi.ENCODING_UNIT(custom["pObjectData"])
    assert eu["Signature"] == 0x12345678
    ob = eu["ObjectBlock"]
    assert ob["ObjectFlags"] == 0x02, where  # an instance, undecorated, as PutInstance sends it
    ours = decode_ours(tmp_path, objref)["instance"]
    check_instance_block(ob, ours, where)  # impacket == ours, property by property
    props = ours["properties"]
    for name, want in values.items():
        got = props[name]
        assert not got["null"], (where, name)
        assert got["value"] == want, (where, name, got["value"])
    return ob, props


def test_gateway_put_instance_reads_in_impacket(wire, tmp_path):
    """POST (PutInstance, create only) and PATCH (update) of an instance
    with every CIM type: what the gateway put on the wire parses in impacket
    with the REST body's values."""
    gw, relay = wire
    coll = gwclient.list_path("wire", gwclient.TEST_NS, "Sim_AllTypes")
    before = len(put_instances(relay))
    r = gw.post(coll, ALLTYPES_BODY)
    assert r.status_code == 201, r.text
    sent = put_instances(relay)[before:]
    assert len(sent) == 1
    objref, flags, _ = sent[0]
    assert flags & 0x3 == 0x2  # WBEM_FLAG_CREATE_ONLY
    ob, props = check_wire_object(tmp_path, objref, WIRE_VALUES, "POST")
    # Embedded objects and references, as impacket reads them.
    ct = ob.ctCurrent
    heap = ob["InstanceType"]["InstanceHeap"]["HeapItem"]
    emb = ct["properties"]["PObject"]["value"]
    emb_ob = emb["ObjectBlock"]
    emb_ob.parseObject()
    ep = emb_ob.ctCurrent["properties"]
    assert emb_ob.ctCurrent["name"].split(" ")[0] == "Sim_Item"
    assert ep["Id"]["value"] == 7 and ep["Label"]["value"] == "emb \u00fc \u2603"
    assert [heap_string(emb_ob["InstanceType"]["InstanceHeap"]["HeapItem"], x) if isinstance(x, int) else x
            for x in ep["Tags"]["value"]] == ["x", "\u00ff"]
    aobj = ct["properties"]["AObject"]["value"]
    assert len(aobj) == 1 and isinstance(aobj[0], impacket_wmi.ENCODING_UNIT)
    ref = ct["properties"]["PRef"]["value"]
    assert ref == props["PRef"]["value"] and "Sim_Item.Id=1" in ref, ref
    refs = [heap_string(heap, x) if isinstance(x, int) else x for x in ct["properties"]["ARef"]["value"]]
    assert refs == props["ARef"]["value"] and refs[1].endswith("Sim_Item.Id=4294967295"), refs

    # PATCH one property: the update carries it, and every other value as it was.
    path = gwclient.inst_path("wire", gwclient.TEST_NS, "Sim_AllTypes", Id=ALLTYPES_BODY["Id"])
    before = len(put_instances(relay))
    r = gw.patch(path, {"PString": "patched \u00e9 \u2603", "AUint64": ["9007199254740993"]})
    assert r.status_code == 200, r.text
    sent = put_instances(relay)[before:]
    assert len(sent) == 1
    objref, flags, _ = sent[0]
    assert flags & 0x3 == 0x1  # WBEM_FLAG_UPDATE_ONLY
    patched = dict(WIRE_VALUES, PString="patched \u00e9 \u2603", AUint64=["9007199254740993"])
    check_wire_object(tmp_path, objref, patched, "PATCH")
    # And the host holds it: read back over DCOM.
    got = gw.get(path).json()
    assert got["PString"] == "patched \u00e9 \u2603" and got["AUint64"] == ["9007199254740993"]

    # An object larger than one fragment: the request goes out in several.
    big = "\u00e9\u2603" * 20000 + " \U0001f600"
    before = len(put_instances(relay))
    r = gw.patch(path, {"PString": big})
    assert r.status_code == 200, r.text
    sent = put_instances(relay)[before:]
    assert len(sent) == 1 and sent[0][2] > 1, [s[2] for s in sent]
    check_wire_object(tmp_path, sent[0][0], dict(patched, PString=big), "PATCH (fragmented)")
