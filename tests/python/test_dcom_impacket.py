"""
test_dcom_impacket.py: our DCOM layer's stubs (translators/wmi/dcom_*.c,
wmi_calls*.c) against a third party's, impacket's (Debian python3-impacket:
impacket/dcerpc/v5/dcomrt.py and dcom/wmi.py).

Our side runs in dcom_tool (tests/unit/wmi/dcom_tool.c; one JSON request per
line on stdin, one JSON answer per line back, bytes in hex).  For every stub
we check three things with the same inputs on both sides:

- impacket's structures encode what we encode.  Referent ids are set alike
  (impacket draws them at random; we use Windows' 0x20000, +4 in wire
  order); NDR alignment gaps may differ in value (impacket fills them with
  marker bytes such as 0xaa or 0xbf, we with zeros); anything else that
  differs is named where it happens, with the reason (see ACTIVATION and
  the GetObject/PutInstance/DeleteInstance and RemQueryInterface notes);
- our decoders accept impacket's bytes and give back the inputs;
- impacket's parsers read our bytes and find the inputs.

Activation is compared as impacket's IRemoteSCMActivator.RemoteCreateInstance
builds it (the same steps, without the socket), and its response handling
is replayed on our reply.

    DCOM_TOOL  the tool (default <repo>/build/tests/unit/dcom_tool)

Run with Debian's Python: /usr/bin/python3 -m pytest tests/python/test_dcom_impacket.py
"""
import os
import struct
from pathlib import Path

import pytest

import impacket.dcerpc.v5.dcomrt as dcomrt
import impacket.dcerpc.v5.dcom.wmi as wmi
import impacket.dcerpc.v5.ndr as ndr
from impacket.dcerpc.v5.dtypes import DWORD, NULL  # noqa: E402
from impacket.uuid import bin_to_string, string_to_bin  # noqa: E402

from conftest import LineTool  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CAPTURES = Path(os.environ.get("WMGW_CAPTURES", str(REPO.parent / "shared" / "captures")))

CLSID_WBEM_LEVEL1_LOGIN = "8bc3f05e-d86b-11d0-a075-00c04fb68820"
IID = {
    "IWbemLevel1Login": "f309ad18-d86a-11d0-a075-00c04fb68820",
    "IWbemLoginClientID": "d4781cd6-e5d3-44df-ad94-930efe48a887",
    "IWbemServices": "9556dc99-828c-11cf-a37e-00aa003240c7",
    "IEnumWbemClassObject": "027947e1-d731-11ce-a357-000000000001",
    "IWbemCallResult": "44aca675-e8fc-11d0-a07c-00c04fb68820",
    "IWbemClassObject": "dc12a681-737f-11cf-884d-00aa004b2e24",
}
CID = "8e2416fe-0a3f-42be-a9b0-f30624c94619"       # MS-WMI 4.1.1
IPID_LOGIN = "0001a407-06c4-0000-a6e3-c870b6019c76"  # ditto
IPID_REMUNK = "00009801-0d2c-0000-8e1f-61a1c9e6b9d7"
IPID_ENUM = "0002e41c-06c4-0000-1f17-07bcf2eeb3f8"
OXID = 0x5E4C3F2A1B0C9D8E


@pytest.fixture(scope="module")
def tool():
    t = LineTool("dcom_tool")
    yield t.json
    t.close()


def encode(tool, stub, v):
    ans = tool(op=stub + "_encode", v=v)
    assert "error" not in ans, ans
    return bytes.fromhex(ans["hex"])


def decode(tool, stub, data):
    ans = tool(op=stub + "_decode", hex=data.hex())
    assert "error" not in ans, ans
    return ans["v"]


def wire_refids(obj, serialize):
    """Gives obj's pointers the referent ids Windows (and we) use: 0x20000,
    then +4, in the order they go on the wire.  Returns serialize()."""
    seen = []
    orig = ndr.NDRPOINTER.getData

    def record(self, soFar=0):
        if self.fields.get("ReferentID", 0) != 0 and not any(s is self for s in seen):
            seen.append(self)
        return orig(self, soFar)

    ndr.NDRPOINTER.getData = record
    try:
        serialize()
    finally:
        ndr.NDRPOINTER.getData = orig
    for i, p in enumerate(seen):
        p.fields["ReferentID"] = 0x20000 + 4 * i
    return serialize()


def equal_but_padding(ours, theirs):
    """Equal, except alignment gaps: short runs where we wrote zeros and
    impacket a marker byte, each run ending on an even offset."""
    assert len(ours) == len(theirs), (ours.hex(), theirs.hex())
    i = 0
    while i < len(ours):
        if ours[i] == theirs[i]:
            i += 1
            continue
        j = i
        while j < len(ours) and ours[j] != theirs[j]:
            assert ours[j] == 0 and theirs[j] >= 0xaa, f"byte {j}: ours {ours[j]:02x}, impacket {theirs[j]:02x}"
            j += 1
        assert j - i < 8 and j % 2 == 0, f"gap {i}..{j} is not alignment padding"
        i = j


def u32(b, off):
    return struct.unpack_from("<L", b, off)[0]


def orpcthis(flags=0, cid=CID):
    o = dcomrt.ORPCTHIS()
    o["version"]["MajorVersion"], o["version"]["MinorVersion"] = 5, 7
    o["flags"], o["reserved1"] = flags, 0
    o["cid"] = string_to_bin(cid)
    o["extensions"] = NULL
    return o


def orpcthat():
    o = dcomrt.ORPCTHAT()
    o["flags"] = 0
    o["extensions"] = NULL
    return o


ORPC = {"cid": CID, "flags": 0, "version": [5, 7]}


def mip(data):
    p = dcomrt.PMInterfacePointer()
    p["ulCntData"] = len(data)
    p["abData"] = list(data)
    return p


def class_object():
    """An IWbemClassObject OBJREF_CUSTOM from Windows (captured by impacket),
    or one impacket builds around a small EncodingUnit."""
    f = CAPTURES / "wmio" / "impacket" / "win32-utctime-instance-sevenx64.objref.bin"
    if f.exists():
        return f.read_bytes()
    unit = b"\x78\x56\x34\x12\x0e\x00\x00\x00\x02instance!\x00\x00\x00\x00"
    o = dcomrt.OBJREF_CUSTOM()
    o["iid"] = string_to_bin(IID["IWbemClassObject"])
    o["clsid"] = string_to_bin("4590f812-1d3a-11d0-891f-00aa004b2e24")
    o["cbExtension"] = 0
    o["ObjectReferenceSize"] = len(unit)
    o["pObjectData"] = unit
    return o.getData()


def objref_std(tool, iid, ipid, oxid=OXID):
    return encode(tool, "objref_std", {
        "iid": IID[iid], "std": {"flags": 0, "public_refs": 5, "oxid": oxid, "oid": 0x77, "ipid": ipid},
        "resolver": {"strings": [[7, "WMSIM-01[135]"]], "security": [[10, ""]]}})


# ---- activation ----
#
# What differs between impacket's activation BLOBs and ours, and why:
#  - the private header of each type serialization: impacket writes its
#    Filler as 0xcccccccc, MS-RPCE 2.2.6.2 says 0 (we);
#  - its ObjectBufferLength: impacket leaves out the padding to 8 that
#    follows the structure, 2.2.6.2 says it MUST include it (we);
#  - the padding itself: impacket's RemoteCreateInstance pads with 0xfa, we
#    with zeros (its value is not specified);
#  - InstantiationInfoData.thisSize: impacket's RemoteCreateInstance sets it
#    after marshaling, so 0 goes out; we send the size (MS-DCOM 2.2.22.2.1:
#    "SHOULD be ignored on receipt");
#  - the OBJREF_CUSTOM reserved field: impacket writes the BLOB size + 8,
#    we the BLOB size as WMI does for its objects (MS-DCOM 2.2.18.6: any
#    value, ignored on receipt).
# canon() puts the first three in one form; the byte comparison gives
# impacket the same thisSize and reserved value as inputs, and the replay
# of impacket's own RemoteCreateInstance keeps all its choices for our
# decoder to accept.

def ts1_segments(blob):
    """(offset, size) of the CustomHeader and of each property of a BLOB."""
    hsize, n = u32(blob, 8 + 16 + 4), u32(blob, 8 + 16 + 16)
    sizes = [u32(blob, 8 + 16 + 48 + 4 + 16 * n + 4 + 4 * i) for i in range(n)]
    segs, off = [(8, hsize)], 8 + hsize
    for s in sizes:
        segs.append((off, s))
        off += s
    return segs


def canon(blob):
    b = bytearray(blob)
    for off, size in ts1_segments(blob):
        obl = u32(b, off + 8)
        b[off + 16 + obl:off + size] = bytes(size - 16 - obl)
        struct.pack_into("<LL", b, off + 8, size - 16, 0)
    return bytes(b)


def ts1(obj):
    return wire_refids(obj, lambda: obj.getData() + obj.getDataReferents())


def blob_of(clsids, props, pad):
    """ACTIVATION_BLOB around serialized properties, as RemoteCreateInstance does."""
    blob = dcomrt.ACTIVATION_BLOB()
    hdr = blob["CustomHeader"]
    hdr["destCtx"] = 2
    hdr["pdwReserved"] = NULL
    data = b""
    for c, p in zip(clsids, props):
        x = dcomrt.CLSID()
        x["Data"] = c
        hdr["pclsid"].append(x)
        n = (8 - len(p) % 8) % 8
        d = DWORD()
        d["Data"] = len(p) + n
        hdr["pSizes"].append(d)
        data += p + pad * n
    blob["Property"] = data
    wire_refids(hdr, lambda: hdr.getData() + hdr.getDataReferents())
    return blob.getData()


def impacket_act_in(this_size=None, pad=b"\xfa"):
    """ActivationPropertiesIn as dcomrt.IRemoteSCMActivator.RemoteCreateInstance builds it."""
    inst = dcomrt.InstantiationInfoData()
    inst["classId"] = string_to_bin(CLSID_WBEM_LEVEL1_LOGIN)
    inst["cIID"] = 1
    x = dcomrt.IID()
    x["Data"] = string_to_bin(IID["IWbemLevel1Login"])
    inst["pIID"].append(x)
    if this_size is not None:
        inst["thisSize"] = this_size
    ctx = dcomrt.ActivationContextInfoData()
    ctx["pIFDClientCtx"] = NULL
    ctx["pIFDPrototypeCtx"] = NULL
    loc = dcomrt.LocationInfoData()
    loc["machineName"] = NULL
    scm = dcomrt.ScmRequestInfoData()
    scm["pdwReserved"] = NULL
    scm["remoteRequest"]["cRequestedProtseqs"] = 1
    scm["remoteRequest"]["pRequestedProtseqs"].append(7)
    return blob_of([dcomrt.CLSID_InstantiationInfo, dcomrt.CLSID_ActivationContextInfo,
                    dcomrt.CLSID_ServerLocationInfo, dcomrt.CLSID_ScmRequestInfo],
                   [ts1(inst), ts1(ctx), ts1(loc), ts1(scm)], pad)


def impacket_activate_req(blob, reserved):
    o = dcomrt.OBJREF_CUSTOM()
    o["iid"] = dcomrt.IID_IActivationPropertiesIn[:-4]
    o["clsid"] = dcomrt.CLSID_ActivationPropertiesIn
    o["pObjectData"] = blob
    o["ObjectReferenceSize"] = reserved
    req = dcomrt.RemoteCreateInstance()
    req["ORPCthis"] = orpcthis(flags=1)
    req["pUnkOuter"] = NULL
    req["pActProperties"]["ulCntData"] = len(o.getData())
    req["pActProperties"]["abData"] = list(o.getData())
    return wire_refids(req, req.getData)


# impacket's defaults: classCtx 0, ClientImpLevel 0 (it leaves the 2 of Windows commented out)
ACT_IN = {"clsid": CLSID_WBEM_LEVEL1_LOGIN, "iids": [IID["IWbemLevel1Login"]], "class_ctx": 0, "actvflags": 0,
          "version": [5, 7], "dest_ctx": 2, "imp_level": 0, "protseqs": [7]}


def test_activation_request_matches_impacket(tool):
    ours = encode(tool, "activate_req", {"orpc": dict(ORPC, flags=1), "act": ACT_IN})
    blob = ours[96:]
    assert u32(ours, 92) == len(blob)
    theirs = impacket_activate_req(impacket_act_in(this_size=88, pad=b"\0"), len(blob))
    assert theirs[:96] == ours[:96]  # ORPCTHIS, pUnkOuter NULL, MInterfacePointer, OBJREF_CUSTOM header
    assert canon(theirs[96:]) != theirs[96:]  # impacket does write its own conventions
    assert canon(blob) == blob                # ours are MS-RPCE 2.2.6's
    equal_but_padding(canon(blob), canon(theirs[96:]))


def test_impacket_activation_request_decoded(tool):
    blob = impacket_act_in()  # thisSize 0, 0xfa padding, 0xcccccccc fillers, unpadded lengths
    theirs = impacket_activate_req(blob, len(blob) + 8)
    got = decode(tool, "activate_req", theirs)
    assert got["orpc"] == dict(ORPC, flags=1)
    act = got["act"]
    assert act["clsid"] == CLSID_WBEM_LEVEL1_LOGIN and act["iids"] == [IID["IWbemLevel1Login"]]
    assert act["protseqs"] == [7] and act["version"] == [5, 7] and act["dest_ctx"] == 2
    assert act["props"] == 0x1 | 0x10 | 0x20 | 0x8  # instantiation, context, location, SCM request
    assert decode(tool, "act_in", blob)["clsid"] == CLSID_WBEM_LEVEL1_LOGIN


def bindings_raw(strings, security):
    raw = b""
    for tower, addr in strings:
        raw += struct.pack("<H", tower) + (addr + "\0").encode("utf-16-le")
    raw += b"\0\0" if strings else b"\0\0\0\0"
    sec = len(raw) // 2
    for svc, princ in security:
        raw += struct.pack("<HH", svc, 0xFFFF) + (princ + "\0").encode("utf-16-le")
    raw += b"\0\0" if security else b"\0\0\0\0"
    return raw, sec


BINDINGS = {"strings": [[7, "WMSIM-01[49667]"], [7, "127.0.0.2[49667]"]],
            "security": [[10, ""], [16, "host/wmsim-01.example.test"]]}


def impacket_act_out(objref, pad=b"\0"):
    props = dcomrt.PropsOutInfo()
    props["cIfs"] = 1
    x = dcomrt.IID()
    x["Data"] = string_to_bin(IID["IWbemLevel1Login"])
    props["piid"].append(x)
    hr = dcomrt.HRESULT()
    hr["Data"] = 0
    props["phresults"].append(hr)
    props["ppIntfData"].append(mip(objref))
    scm = dcomrt.ScmReplyInfoData()
    scm["pdwReserved"] = 0
    reply = scm["remoteReply"]
    reply["Oxid"] = OXID
    raw, sec = bindings_raw(BINDINGS["strings"], BINDINGS["security"])
    reply["pdsaOxidBindings"]["wNumEntries"] = len(raw) // 2
    reply["pdsaOxidBindings"]["wSecurityOffset"] = sec
    reply["pdsaOxidBindings"]["aStringArray"] = list(struct.unpack(f"<{len(raw) // 2}H", raw))
    reply["ipidRemUnknown"] = string_to_bin(IPID_REMUNK)
    reply["authnHint"] = 6
    return blob_of([dcomrt.CLSID_PropsOutInfo, dcomrt.CLSID_ScmReplyInfo], [ts1(props), ts1(scm)], pad)


def act_out(objref):
    return {"ifaces": [{"iid": IID["IWbemLevel1Login"], "hr": 0, "objref": objref.hex()}], "oxid": OXID,
            "bindings": BINDINGS, "ipid_rem_unknown": IPID_REMUNK, "authn_hint": 6, "version": [5, 7],
            "dest_ctx": 2}


def test_activation_response_matches_impacket(tool):
    objref = objref_std(tool, "IWbemLevel1Login", IPID_LOGIN)
    ours = encode(tool, "activate_resp", {"orpc": {"flags": 0}, "act": act_out(objref), "hr": 0})
    blob = ours[68:-4]  # ORPCTHAT, referent id, max_count, ulCntData, OBJREF_CUSTOM header; the HRESULT
    theirs_blob = impacket_act_out(objref)
    o = dcomrt.OBJREF_CUSTOM()
    o["iid"] = dcomrt.IID_IActivationPropertiesOut[:-4]
    o["clsid"] = dcomrt.CLSID_ActivationPropertiesOut
    o["pObjectData"] = theirs_blob
    o["ObjectReferenceSize"] = len(theirs_blob)
    resp = dcomrt.RemoteCreateInstanceResponse()
    resp["ORPCthat"] = orpcthat()
    resp["ppActProperties"]["ulCntData"] = len(o.getData())
    resp["ppActProperties"]["abData"] = list(o.getData())
    resp["ErrorCode"] = 0
    theirs = wire_refids(resp, resp.getData)
    assert theirs[:68] == ours[:68] and theirs[-4:] == ours[-4:]
    equal_but_padding(canon(blob), canon(theirs[68:-4]))
    # our decoder on impacket's bytes
    got = decode(tool, "activate_resp", theirs)
    assert got["hr"] == 0 and got["act"]["bindings"] == BINDINGS
    assert got["act"]["ipid_rem_unknown"] == IPID_REMUNK and got["act"]["oxid"] == OXID
    assert got["act"]["ifaces"][0]["objref"] == objref.hex()


def test_impacket_reads_our_activation_response(tool):
    """The response handling of dcomrt.RemoteCreateInstance, on our bytes."""
    objref = objref_std(tool, "IWbemLevel1Login", IPID_LOGIN)
    ours = encode(tool, "activate_resp", {"orpc": {"flags": 0}, "act": act_out(objref), "hr": 0})
    resp = dcomrt.RemoteCreateInstanceResponse(ours)
    assert resp["ErrorCode"] == 0
    objRef = dcomrt.OBJREF_CUSTOM(b"".join(resp["ppActProperties"]["abData"]))
    assert objRef["flags"] == dcomrt.FLAGS_OBJREF_CUSTOM and objRef["clsid"] == dcomrt.CLSID_ActivationPropertiesOut
    blob = dcomrt.ACTIVATION_BLOB(objRef["pObjectData"])
    s0 = blob["CustomHeader"]["pSizes"][0]["Data"]
    s1 = blob["CustomHeader"]["pSizes"][1]["Data"]
    propOutput, scmReply = blob["Property"][:s0], blob["Property"][s0:s0 + s1]
    scmr = dcomrt.ScmReplyInfoData()
    size = scmr.fromString(scmReply)
    scmr.fromStringReferents(scmReply[size:])
    assert bin_to_string(scmr["remoteReply"]["ipidRemUnknown"]).lower() == IPID_REMUNK
    assert scmr["remoteReply"]["authnHint"] == 6 and scmr["remoteReply"]["Oxid"] == OXID
    oxids = b"".join(struct.pack("<H", x) for x in scmr["remoteReply"]["pdsaOxidBindings"]["aStringArray"])
    str_bindings = oxids[:scmr["remoteReply"]["pdsaOxidBindings"]["wSecurityOffset"] * 2]
    found = []
    while str_bindings[:2] != b"\0\0":
        b = dcomrt.STRINGBINDING(str_bindings)
        found.append([b["wTowerId"], b["aNetworkAddr"].rstrip("\x00")])
        str_bindings = str_bindings[len(b):]
    assert found == BINDINGS["strings"]
    props = dcomrt.PropsOutInfo()
    size = props.fromString(propOutput)
    props.fromStringReferents(propOutput[size:])
    std = dcomrt.OBJREF_STANDARD(b"".join(props["ppIntfData"][0]["abData"]))
    assert bin_to_string(std["std"]["ipid"]).lower() == IPID_LOGIN and std["std"]["oxid"] == OXID


# ---- IRemUnknown ----

def test_remqueryinterface_matches_impacket(tool):
    req = dcomrt.RemQueryInterface()
    req["ORPCthis"] = orpcthis()
    req["ripid"] = string_to_bin(IPID_LOGIN)
    req["cRefs"] = 5
    req["cIids"] = 1
    x = dcomrt.IID()
    x["Data"] = string_to_bin(IID["IWbemLoginClientID"])
    req["iids"].append(x)
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "ipid": IPID_LOGIN, "refs": 5, "iids": [IID["IWbemLoginClientID"]]}
    equal_but_padding(encode(tool, "remqi_req", v), theirs)
    assert decode(tool, "remqi_req", theirs) == v


def test_remqueryinterface_response_read_by_impacket(tool):
    """impacket's PREMQIRESULT points at one REMQIRESULT, without the
    conformant array of the IDL's size_is(, cIids): for one IID our
    max_count (1) lands in the 4 octets impacket skips to 8-align the
    structure, so it reads our reply right; its own bytes carry filler
    there, which is not NDR for this IDL and which we refuse."""
    std = {"flags": 0, "public_refs": 5, "oxid": OXID, "oid": 0x77, "ipid": IPID_ENUM}
    ours = encode(tool, "remqi_resp", {"orpc": {"flags": 0}, "results": [{"hr": 0, "std": std}], "hr": 0})
    resp = dcomrt.RemQueryInterfaceResponse(ours)
    assert resp["ppQIResults"]["hResult"] == 0 and resp["ErrorCode"] == 0
    assert bin_to_string(resp["ppQIResults"]["std"]["ipid"]).lower() == IPID_ENUM
    assert resp["ppQIResults"]["std"]["oxid"] == OXID and resp["ppQIResults"]["std"]["cPublicRefs"] == 5
    theirs = dcomrt.RemQueryInterfaceResponse()
    theirs["ORPCthat"] = orpcthat()
    theirs["ppQIResults"]["hResult"] = 0
    theirs["ppQIResults"]["std"]["flags"] = 0
    theirs["ppQIResults"]["std"]["cPublicRefs"] = 5
    theirs["ppQIResults"]["std"]["oxid"] = OXID
    theirs["ppQIResults"]["std"]["oid"] = 0x77
    theirs["ppQIResults"]["std"]["ipid"] = string_to_bin(IPID_ENUM)
    theirs["ErrorCode"] = 0
    t = wire_refids(theirs, theirs.getData)
    assert t[:12] == ours[:12] and ours[12:16] == b"\1\0\0\0" and t[12:16] == b"\xab" * 4
    equal_but_padding(ours[16:], t[16:])
    assert tool(op="remqi_resp_decode", hex=t.hex())["code"] == "EPROTO"


@pytest.mark.parametrize("call", ["RemAddRef", "RemRelease"])
def test_remaddref_remrelease_match_impacket(tool, call):
    req = getattr(dcomrt, call)()
    req["ORPCthis"] = orpcthis()
    req["cInterfaceRefs"] = 2
    for ipid, pub, priv in ((IPID_LOGIN, 5, 0), (IPID_ENUM, 1, 2)):
        e = dcomrt.REMINTERFACEREF()
        e["ipid"] = string_to_bin(ipid)
        e["cPublicRefs"], e["cPrivateRefs"] = pub, priv
        req["InterfaceRefs"].append(e)
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "refs": [{"ipid": IPID_LOGIN, "public_refs": 5, "private_refs": 0},
                                {"ipid": IPID_ENUM, "public_refs": 1, "private_refs": 2}]}
    equal_but_padding(encode(tool, "remref_req", v), theirs)
    assert decode(tool, "remref_req", theirs) == v
    if call == "RemAddRef":
        resp = dcomrt.RemAddRefResponse()
        resp["ORPCthat"] = orpcthat()
        for hr in (0, 0x800401FB):
            d = DWORD()
            d["Data"] = hr
            resp["pResults"].append(d)
        resp["ErrorCode"] = 0
        t = wire_refids(resp, resp.getData)
        a = {"orpc": {"flags": 0}, "results": [0, 0x800401FB], "hr": 0}
        ours = encode(tool, "remaddref_resp", a)
        assert ours == t and decode(tool, "remaddref_resp", t) == a
        assert [x["Data"] for x in dcomrt.RemAddRefResponse(ours)["pResults"]] == [0, 0x800401FB]
    else:
        resp = dcomrt.RemReleaseResponse()
        resp["ORPCthat"] = orpcthat()
        resp["ErrorCode"] = 0
        ours = encode(tool, "status_resp", {"orpc": {"flags": 0}, "hr": 0})
        assert ours == resp.getData() and dcomrt.RemReleaseResponse(ours)["ErrorCode"] == 0


# ---- IWbemLevel1Login ----

def test_establish_position_matches_impacket(tool):
    req = wmi.IWbemLevel1Login_EstablishPosition()
    req["ORPCthis"] = orpcthis()
    req["reserved1"] = NULL
    req["reserved2"] = 0
    theirs = wire_refids(req, req.getData)
    assert encode(tool, "establish_req", {"orpc": ORPC, "reserved2": 0}) == theirs
    assert decode(tool, "establish_req", theirs)["reserved2"] == 0
    resp = wmi.IWbemLevel1Login_EstablishPositionResponse()
    resp["ORPCthat"] = orpcthat()
    resp["LocaleVersion"] = 1
    resp["ErrorCode"] = 0
    ours = encode(tool, "establish_resp", {"orpc": {"flags": 0}, "locale_version": 1, "hr": 0})
    assert ours == resp.getData()
    assert wmi.IWbemLevel1Login_EstablishPositionResponse(ours)["LocaleVersion"] == 1


@pytest.mark.parametrize("resource,locale", [("//./root/cimv2", None), ("\\\\sai-nav009-2\\root\\cimv2", "en-US,en")])
def test_ntlmlogin_matches_impacket(tool, resource, locale):
    req = wmi.IWbemLevel1Login_NTLMLogin()
    req["ORPCthis"] = orpcthis()
    req["wszNetworkResource"] = resource + "\x00"
    req["wszPreferredLocale"] = locale + "\x00" if locale else NULL
    req["lFlags"] = 0
    req["pCtx"] = NULL
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "network_resource": resource, "preferred_locale": locale, "flags": 0, "ctx": None}
    ours = encode(tool, "login_req", v)
    equal_but_padding(ours, theirs)
    assert decode(tool, "login_req", theirs) == v
    assert wmi.IWbemLevel1Login_NTLMLogin(ours)["wszNetworkResource"] == resource + "\x00"
    objref = objref_std(tool, "IWbemServices", IPID_ENUM)
    resp = wmi.IWbemLevel1Login_NTLMLoginResponse()
    resp["ORPCthat"] = orpcthat()
    resp["ppNamespace"]["ulCntData"] = len(objref)
    resp["ppNamespace"]["abData"] = list(objref)
    resp["ErrorCode"] = 0
    t = wire_refids(resp, resp.getData)
    a = {"orpc": {"flags": 0}, "ptr": objref.hex(), "hr": 0}
    ours = encode(tool, "ptr_resp", a)
    equal_but_padding(ours, t)
    assert decode(tool, "ptr_resp", t) == a
    got = wmi.IWbemLevel1Login_NTLMLoginResponse(ours)
    assert b"".join(got["ppNamespace"]["abData"]) == objref


# ---- IWbemServices ----

def test_getobject_matches_impacket(tool):
    """impacket declares ppObject and ppCallResult as PMInterfacePointer
    where the IDL has [in, out, unique] IWbemClassObject **: left at their
    defaults they go out as two empty MInterfacePointers, which NDR reads
    as ppObject = &NULL, ppCallResult = NULL and 12 octets more, ignored by
    Windows and by us.  With both set to NULL the encodings agree."""
    req = wmi.IWbemServices_GetObject()
    req["ORPCthis"] = orpcthis()
    req["strObjectPath"]["asData"] = 'Win32_Service.Name="WinRM"'
    req["lFlags"] = 0
    req["pCtx"] = NULL
    theirs_default = wire_refids(req, req.getData)
    got = decode(tool, "getobject_req", theirs_default)
    assert got["path"] == 'Win32_Service.Name="WinRM"' and got["pp_object"] and not got["pp_call_result"]
    req["ppObject"] = NULL
    req["ppCallResult"] = NULL
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "path": 'Win32_Service.Name="WinRM"', "flags": 0, "ctx": None, "pp_object": False,
         "pp_call_result": False}
    equal_but_padding(encode(tool, "getobject_req", v), theirs)
    assert decode(tool, "getobject_req", theirs) == v

    obj = class_object()
    resp = wmi.IWbemServices_GetObjectResponse()
    resp["ORPCthat"] = orpcthat()
    resp["ppObject"]["ulCntData"] = len(obj)
    resp["ppObject"]["abData"] = list(obj)
    resp["ppCallResult"] = NULL
    resp["ErrorCode"] = 0
    t = wire_refids(resp, resp.getData)
    a = {"orpc": {"flags": 0}, "pp_object": True, "object": obj[48:].hex(), "pp_call_result": False,
         "call_result": None, "hr": 0}
    ours = encode(tool, "getobject_resp", a)
    equal_but_padding(ours, t)
    assert decode(tool, "getobject_resp", t) == a
    got = wmi.IWbemServices_GetObjectResponse(ours)
    assert b"".join(got["ppObject"]["abData"]) == obj  # the OBJREF_CUSTOM, Windows' bytes


@pytest.mark.parametrize("notification", [False, True])
def test_execquery_matches_impacket(tool, notification):
    cls = wmi.IWbemServices_ExecNotificationQuery if notification else wmi.IWbemServices_ExecQuery
    query = ("SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Service'"
             if notification else "select * from win32_process where Name='calc.exe'")
    flags = 0x30 if notification else 32
    req = cls()
    req["ORPCthis"] = orpcthis()
    req["strQueryLanguage"]["asData"] = "WQL"
    req["strQuery"]["asData"] = query
    req["lFlags"] = flags
    req["pCtx"] = NULL
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "language": "WQL", "query": query, "flags": flags, "ctx": None}
    ours = encode(tool, "query_req", v)
    equal_but_padding(ours, theirs)
    assert decode(tool, "query_req", theirs) == v
    assert cls(ours)["strQuery"]["asData"] == query
    objref = objref_std(tool, "IEnumWbemClassObject", IPID_ENUM)
    resp = (wmi.IWbemServices_ExecNotificationQueryResponse if notification else wmi.IWbemServices_ExecQueryResponse)()
    resp["ORPCthat"] = orpcthat()
    resp["ppEnum"]["ulCntData"] = len(objref)
    resp["ppEnum"]["abData"] = list(objref)
    resp["ErrorCode"] = 0
    t = wire_refids(resp, resp.getData)
    a = {"orpc": {"flags": 0}, "ptr": objref.hex(), "hr": 0}
    equal_but_padding(encode(tool, "ptr_resp", a), t)
    assert decode(tool, "ptr_resp", t) == a


def test_putinstance_and_deleteinstance_match_impacket(tool):
    """As GetObject: impacket types ppCallResult as PMInterfacePointer; its
    default reads as &NULL plus 4 trailing octets, NULL agrees byte for byte."""
    obj = class_object()
    req = wmi.IWbemServices_PutInstance()
    req["ORPCthis"] = orpcthis()
    req["pInst"]["ulCntData"] = len(obj)
    req["pInst"]["abData"] = list(obj)
    req["lFlags"] = 2
    req["pCtx"] = NULL
    # as wmi.IWbemServices.PutInstance sends it: ppCallResult left at its default
    got = decode(tool, "putinstance_req", wire_refids(req, req.getData))
    assert got["inst"] == obj[48:].hex() and got["pp_call_result"] and got["flags"] == 2
    req["ppCallResult"] = NULL
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "inst": obj[48:].hex(), "flags": 2, "ctx": None, "pp_call_result": False}
    ours = encode(tool, "putinstance_req", v)
    equal_but_padding(ours, theirs)
    assert decode(tool, "putinstance_req", theirs) == v
    assert b"".join(wmi.IWbemServices_PutInstance(ours)["pInst"]["abData"]) == obj

    req = wmi.IWbemServices_DeleteInstance()
    req["ORPCthis"] = orpcthis()
    req["strObjectPath"]["asData"] = "\\\\SAI-NAV009-2\\ROOT\\cimv2\\MyTest:TestWMI.x=10"
    req["lFlags"] = 0
    req["pCtx"] = NULL
    got = decode(tool, "deleteinstance_req", wire_refids(req, req.getData))  # impacket's default, as above
    assert got["path"].endswith("TestWMI.x=10") and got["pp_call_result"]
    req["ppCallResult"] = NULL
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "path": "\\\\SAI-NAV009-2\\ROOT\\cimv2\\MyTest:TestWMI.x=10", "flags": 0, "ctx": None,
         "pp_call_result": False}
    equal_but_padding(encode(tool, "deleteinstance_req", v), theirs)
    assert decode(tool, "deleteinstance_req", theirs) == v

    for cls in (wmi.IWbemServices_PutInstanceResponse, wmi.IWbemServices_DeleteInstanceResponse):
        resp = cls()
        resp["ORPCthat"] = orpcthat()
        resp["ppCallResult"] = NULL
        resp["ErrorCode"] = 0x80041019
        t = wire_refids(resp, resp.getData)
        a = {"orpc": {"flags": 0}, "pp_call_result": False, "call_result": None, "hr": 0x80041019}
        assert encode(tool, "callresult_resp", a) == t and decode(tool, "callresult_resp", t) == a


def test_execmethod_matches_impacket(tool):
    obj = class_object()
    req = wmi.IWbemServices_ExecMethod()
    req["ORPCthis"] = orpcthis()
    req["strObjectPath"]["asData"] = '\\\\SAI-NAV009-2\\root\\cimv2:Win32_Process.Handle="724"'
    req["strMethodName"]["asData"] = "Terminate"
    req["lFlags"] = 0
    req["pCtx"] = NULL
    req["pInParams"]["ulCntData"] = len(obj)
    req["pInParams"]["abData"] = list(obj)
    req.fields["ppCallResult"] = NULL
    req.fields["ppOutParams"].fields["Data"] = NULL  # as wmi.IWbemServices.ExecMethod sends it: &NULL
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "path": '\\\\SAI-NAV009-2\\root\\cimv2:Win32_Process.Handle="724"', "method": "Terminate",
         "flags": 0, "ctx": None, "in_params": obj[48:].hex(), "pp_out_params": True, "pp_call_result": False}
    ours = encode(tool, "execmethod_req", v)
    equal_but_padding(ours, theirs)
    assert decode(tool, "execmethod_req", theirs) == v
    got = wmi.IWbemServices_ExecMethod(ours)
    assert got["strMethodName"]["asData"] == "Terminate" and b"".join(got["pInParams"]["abData"]) == obj

    resp = wmi.IWbemServices_ExecMethodResponse()
    resp["ORPCthat"] = orpcthat()
    resp["ppOutParams"]["ulCntData"] = len(obj)
    resp["ppOutParams"]["abData"] = list(obj)
    resp["ppCallResult"] = NULL
    resp["ErrorCode"] = 0
    t = wire_refids(resp, resp.getData)
    a = {"orpc": {"flags": 0}, "pp_out_params": True, "out_params": obj[48:].hex(), "pp_call_result": False,
         "call_result": None, "hr": 0}
    ours = encode(tool, "execmethod_resp", a)
    equal_but_padding(ours, t)
    assert decode(tool, "execmethod_resp", t) == a
    assert b"".join(wmi.IWbemServices_ExecMethodResponse(ours)["ppOutParams"]["abData"]) == obj


# ---- IEnumWbemClassObject ----

@pytest.mark.parametrize("count", [0, 1, 3])
def test_next_matches_impacket(tool, count):
    req = wmi.IEnumWbemClassObject_Next()
    req["ORPCthis"] = orpcthis()
    req["lTimeout"] = 0xFFFFFFFF
    req["uCount"] = 10
    theirs = wire_refids(req, req.getData)
    v = {"orpc": ORPC, "timeout": 0xFFFFFFFF, "count": 10}
    assert encode(tool, "enum_req", v) == theirs and decode(tool, "enum_req", theirs) == v
    obj = class_object()
    resp = wmi.IEnumWbemClassObject_NextResponse()
    resp["ORPCthat"] = orpcthat()
    for _ in range(count):
        resp["apObjects"].append(mip(obj))
    resp["puReturned"] = count
    resp["ErrorCode"] = 1
    # max_count is uCount, the array's size_is; impacket would send the count
    resp.fields["apObjects"].fields["MaximumCount"] = 10
    t = wire_refids(resp, resp.getData)
    a = {"orpc": {"flags": 0}, "count": 10, "objects": [obj[48:].hex()] * count, "hr": 1}
    ours = encode(tool, "next_resp", a)
    equal_but_padding(ours, t)
    assert decode(tool, "next_resp", t) == a
    got = wmi.IEnumWbemClassObject_NextResponse(ours)
    assert got["puReturned"] == count and got["ErrorCode"] == 1
    assert [b"".join(x["abData"]) for x in got["apObjects"]] == [obj] * count


def test_reset_skip_clone_match_impacket(tool):
    for cls in (wmi.IEnumWbemClassObject_Reset, wmi.IEnumWbemClassObject_Clone):
        req = cls()
        req["ORPCthis"] = orpcthis()
        theirs = req.getData()
        assert encode(tool, "void_req", {"orpc": ORPC}) == theirs
        assert decode(tool, "void_req", theirs) == {"orpc": ORPC}
    req = wmi.IEnumWbemClassObject_Skip()
    req["ORPCthis"] = orpcthis()
    req["lTimeout"] = 5000
    req["uCount"] = 7
    v = {"orpc": ORPC, "timeout": 5000, "count": 7}
    assert encode(tool, "enum_req", v) == req.getData() and decode(tool, "enum_req", req.getData()) == v
    for cls in (wmi.IEnumWbemClassObject_ResetResponse, wmi.IEnumWbemClassObject_SkipResponse):
        resp = cls()
        resp["ORPCthat"] = orpcthat()
        resp["ErrorCode"] = 0x80041016
        a = {"orpc": {"flags": 0}, "hr": 0x80041016}
        assert encode(tool, "status_resp", a) == resp.getData() and decode(tool, "status_resp", resp.getData()) == a
    objref = objref_std(tool, "IEnumWbemClassObject", IPID_ENUM)
    resp = wmi.IEnumWbemClassObject_CloneResponse()
    resp["ORPCthat"] = orpcthat()
    resp["ppEnum"]["ulCntData"] = len(objref)
    resp["ppEnum"]["abData"] = list(objref)
    resp["ErrorCode"] = 0
    t = wire_refids(resp, resp.getData)
    a = {"orpc": {"flags": 0}, "ptr": objref.hex(), "hr": 0}
    equal_but_padding(encode(tool, "ptr_resp", a), t)


def test_refusals_name_the_field(tool):
    ans = tool(op="activate_req_decode", hex="0500070000000000")
    assert ans["code"] == "EPROTO" and "ORPCTHIS" in ans["error"]
    blob = bytearray(impacket_act_in())
    blob[8 + 16 + 16] = 11  # cIfs
    ans = tool(op="act_in_decode", hex=bytes(blob).hex())
    assert ans["code"] == "EPROTO" and "CustomHeader.cIfs" in ans["error"]
    ans = tool(op="next_resp_decode", hex=(bytes(8) + struct.pack("<LLL", 10, 0, 1) + bytes(4)).hex())
    assert ans["code"] == "EPROTO" and "apObjects" in ans["error"]
