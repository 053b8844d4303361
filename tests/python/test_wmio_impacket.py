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

    WMIO_DUMP_BIN   the helper (default <repo>/build/tests/unit/wmio_dump)
"""
import binascii
import json
import math
import os
import subprocess
from pathlib import Path

import pytest

impacket_wmi = pytest.importorskip("impacket.dcerpc.v5.dcom.wmi")
dcomrt = pytest.importorskip("impacket.dcerpc.v5.dcomrt")

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
