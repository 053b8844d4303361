"""
test_rpc_impacket.py: our DCE/RPC PDUs and NDR (translators/wmi/rpc_pdu.c,
ndr.c, ndr_dcom.c) against a third party's, impacket's (Debian
python3-impacket: impacket/dcerpc/v5/rpcrt.py, dcomrt.py, dcom/wmi.py).

Our side runs in rpc_tool (tests/unit/wmi/rpc_tool.c; one JSON request per
line on stdin, one JSON answer per line back, bytes in hex).  Both ways:

- impacket builds bind, alter_context, rpc_auth3 and request PDUs (with and
  without sec_trailer, object UUID, its 4-byte auth padding) as rpcrt.py's
  DCERPC_v5 does; we produce the same bytes from the same inputs, and our
  decoder reads impacket's (honouring its auth_pad_length);
- impacket's parsers (MSRPCBindAck, MSRPCBindNak, MSRPCRespHeader and
  rpcrt's fault handling) read our bind_ack, bind_nak, response and fault;
- NDR: ORPCTHIS / ORPCTHAT (with extensions), IWbemLevel1Login::NTLMLogin
  and IWbemServices::ExecQuery requests (wstring, BSTR, NULL pointers), an
  ExecQuery response with an MInterfacePointer, STDOBJREF, DUALSTRINGARRAY,
  OBJREF_STANDARD and OBJREF_CUSTOM are compared byte for byte (referent ids
  set alike; impacket fills alignment gaps with marker bytes such as 0xbf
  where we write zeros, so only such gaps may differ), and each side
  decodes the other's bytes.

    RPC_TOOL  the tool (default <repo>/build/tests/unit/rpc_tool)

Run with Debian's Python: /usr/bin/python3 -m pytest tests/python/test_rpc_impacket.py
"""
import os
import struct
from pathlib import Path

import pytest

import impacket.dcerpc.v5.rpcrt as rpcrt
import impacket.dcerpc.v5.dcomrt as dcomrt
import impacket.dcerpc.v5.dcom.wmi as wmi
from impacket.dcerpc.v5.dtypes import NULL  # noqa: E402
from impacket.uuid import bin_to_string, string_to_bin, uuidtup_to_bin  # noqa: E402

from conftest import LineTool  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CAPTURES = Path(os.environ.get("WMGW_CAPTURES", str(REPO.parent / "shared" / "captures")))

NDR20 = "8a885d04-1ceb-11c9-9fe8-08002b104860"
IFACES = {
    "IRemoteSCMActivator": "000001a0-0000-0000-c000-000000000046",
    "IWbemLevel1Login": "f309ad18-d86a-11d0-a075-00c04fb68820",
    "IWbemServices": "9556dc99-828c-11cf-a37e-00aa003240c7",
    "IEnumWbemClassObject": "027947e1-d731-11ce-a357-000000000001",
    "IRemUnknown2": "00000143-0000-0000-c000-000000000046",
}
IPID = "00009801-0d2c-0000-8e1f-61a1c9e6b9d7"


@pytest.fixture(scope="module")
def tool():
    t = LineTool("rpc_tool")
    yield t.json
    t.close()


def ok(ans, key):
    assert "error" not in ans, ans
    return ans[key]


def equal_but_padding(ours, theirs):
    """Equal, except alignment gaps: short runs where we wrote zeros and
    impacket a marker byte, each run ending on an aligned offset."""
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


def syntax(u, major=0, minor=0):
    return [u, major, minor]


# ---- PDUs ----

def impacket_bind(iface, call_id, ctx_id=0, alter=False, assoc=0, frags=(4280, 4280), auth=None, bogus=0):
    """The PDU DCERPC_v5.bind() sends (rpcrt.py), without the socket."""
    bind = rpcrt.MSRPCBind()
    bind["max_tfrag"], bind["max_rfrag"] = frags
    bind["assoc_group"] = assoc
    for i in range(bogus + 1):
        item = rpcrt.CtxItem()
        item["AbstractSyntax"] = uuidtup_to_bin((iface if i == bogus else IFACES["IRemUnknown2"], "0.0"))
        item["TransferSyntax"] = uuidtup_to_bin((NDR20, "2.0"))
        item["ContextID"] = ctx_id + i
        item["TransItems"] = 1
        bind.addCtxItem(item)
    pkt = rpcrt.MSRPCHeader()
    pkt["type"] = rpcrt.MSRPC_ALTERCTX if alter else rpcrt.MSRPC_BIND
    pkt["pduData"] = bind.getData()
    pkt["call_id"] = call_id
    if auth:
        trailer = rpcrt.SEC_TRAILER()
        trailer["auth_type"], trailer["auth_level"], trailer["auth_ctx_id"] = auth[:3]
        pkt["sec_trailer"] = trailer
        pkt["auth_data"] = auth[3]
    return pkt.get_packet()


@pytest.mark.parametrize("alter", [False, True])
@pytest.mark.parametrize("bogus", [0, 2])
@pytest.mark.parametrize("auth", [None, (10, 6, 79231, b"NTLMSSP\x00\x01\x00\x00\x00\x97\x82\x08\xe2"),
                                  (9, 5, 1, b"\x60\x28" + b"k" * 40)])
def test_bind_and_alter_context_match_impacket(tool, alter, bogus, auth):
    iface = IFACES["IWbemLevel1Login"]
    theirs = impacket_bind(iface, 3, ctx_id=1, alter=alter, assoc=0x4567, frags=(5840, 4280), auth=auth,
                           bogus=bogus)
    ctx = [{"cont_id": 1 + i, "abstract": syntax(IFACES["IRemUnknown2"] if i < bogus else iface),
            "transfer": [syntax(NDR20, 2)]} for i in range(bogus + 1)]
    pdu = {"ptype": 14 if alter else 11, "flags": 3, "call_id": 3, "max_xmit_frag": 5840, "max_recv_frag": 4280,
           "assoc_group_id": 0x4567, "ctx": ctx}
    if auth:
        pdu["auth"] = {"type": auth[0], "level": auth[1], "context_id": auth[2], "token": auth[3].hex()}
    ours = bytes.fromhex(ok(tool(op="pdu_encode", pdu=pdu), "hex"))
    assert ours == theirs
    got = ok(tool(op="pdu_decode", hex=theirs.hex()), "pdu")
    assert got["ptype"] == pdu["ptype"] and got["frag_length"] == len(theirs)
    assert [c["abstract"][0] for c in got["ctx"]] == [c["abstract"][0] for c in ctx]
    assert got["ctx"][-1]["transfer"] == [[NDR20, 2, 0]]
    if auth:
        assert bytes.fromhex(got["auth"]["token"]) == auth[3] and got["auth"]["context_id"] == auth[2]


def test_auth3_matches_impacket(tool):
    """rpc_auth3 as rpcrt.py sends it: 4 pad bytes (impacket: spaces, any
    value allowed), sec_trailer, the AUTHENTICATE token; same call_id as the bind."""
    trailer = rpcrt.SEC_TRAILER()
    trailer["auth_type"], trailer["auth_level"], trailer["auth_ctx_id"] = 10, 6, 79231
    pkt = rpcrt.MSRPCHeader()
    pkt["type"] = rpcrt.MSRPC_AUTH3
    pkt["pduData"] = b"    "
    pkt["sec_trailer"] = trailer
    pkt["auth_data"] = b"NTLMSSP\x00\x03\x00\x00\x00" + bytes(range(60))
    pkt["call_id"] = 1
    theirs = pkt.get_packet()
    ours = bytes.fromhex(ok(tool(op="pdu_encode", pdu={
        "ptype": 16, "flags": 3, "call_id": 1,
        "auth": {"type": 10, "level": 6, "context_id": 79231, "token": pkt["auth_data"].hex()}}), "hex"))
    assert ours[:16] == theirs[:16] and ours[20:] == theirs[20:] and ours[16:20] == b"\0\0\0\0"
    got = ok(tool(op="pdu_decode", hex=theirs.hex()), "pdu")
    assert got["ptype"] == 16 and got["auth"]["token"] == pkt["auth_data"].hex()


def impacket_request(stub, call_id, ctx, opnum, obj=None, sign=None):
    """A request PDU as DCERPC_v5.send/_transport_send build it: auth
    padding to 4 bytes of the whole PDU (MS-RPCE says 16 from the body)."""
    req = rpcrt.MSRPCRequestHeader()
    req["op_num"], req["ctx_id"], req["call_id"] = opnum, ctx, call_id
    req["alloc_hint"] = len(stub)
    req["pduData"] = stub
    if obj:
        req["uuid"] = string_to_bin(obj)
        req["flags"] |= rpcrt.PFC_OBJECT_UUID
    pad = 0
    if sign:
        trailer = rpcrt.SEC_TRAILER()
        trailer["auth_type"], trailer["auth_level"], trailer["auth_ctx_id"] = sign[:3]
        req["sec_trailer"] = trailer.getData()
        req["auth_data"] = b" " * 16
        pad = (4 - (len(req.get_packet()) % 4)) % 4
        req["pduData"] += b"\xbb" * pad
        trailer["auth_pad_len"] = pad
        req["sec_trailer"] = trailer.getData()
        req["auth_data"] = sign[3]
    return req.get_packet(), pad


@pytest.mark.parametrize("stub_len", [0, 1, 5, 16, 333])
@pytest.mark.parametrize("obj", [None, IPID])
@pytest.mark.parametrize("sign", [None, (10, 5, 79231, bytes(range(16))), (10, 6, 7, b"\x01" + bytes(15))])
def test_request_matches_impacket(tool, stub_len, obj, sign):
    stub = bytes((i * 7 + 3) & 0xff for i in range(stub_len))
    theirs, pad = impacket_request(stub, 9, 2, 20, obj, sign)
    pdu = {"ptype": 0, "flags": 3, "call_id": 9, "alloc_hint": stub_len, "cont_id": 2, "opnum": 20,
           "stub": stub.hex()}
    if obj:
        pdu["object"] = obj
    if sign:
        pdu["auth"] = {"type": sign[0], "level": sign[1], "pad_length": pad, "context_id": sign[2],
                       "token": sign[3].hex()}
    ours = bytes.fromhex(ok(tool(op="pdu_encode", pdu=pdu), "hex"))
    equal_but_padding(ours, theirs)
    got = ok(tool(op="pdu_decode", hex=theirs.hex()), "pdu")
    assert bytes.fromhex(got["stub"]) == stub  # impacket's auth padding is not stub data
    assert got["opnum"] == 20 and got["cont_id"] == 2 and got.get("object") == obj
    if sign:
        assert got["auth"]["pad_length"] == pad and bytes.fromhex(got["auth"]["token"]) == sign[3]
    # and impacket reads ours
    parsed = rpcrt.MSRPCRequestHeader(ours)
    assert parsed["op_num"] == 20 and parsed["call_id"] == 9 and parsed["frag_len"] == len(ours)
    if obj:
        assert bin_to_string(parsed["uuid"]).lower() == obj


def test_our_sixteen_byte_auth_padding_read_by_impacket(tool):
    stub = b"x" * 21
    ours = bytes.fromhex(ok(tool(op="pdu_encode", pdu={
        "ptype": 0, "flags": 3, "call_id": 4, "alloc_hint": 21, "opnum": 3, "stub": stub.hex(),
        "auth": {"type": 10, "level": 5, "pad_length": 11, "context_id": 1, "token": "ab" * 16}}), "hex"))
    assert len(ours) == 24 + 32 + 8 + 16
    parsed = rpcrt.MSRPCRequestHeader(ours)
    trailer = rpcrt.SEC_TRAILER(parsed["sec_trailer"])
    assert trailer["auth_pad_len"] == 11 and parsed["auth_data"] == b"\xab" * 16
    assert parsed["pduData"] + parsed["pad"] == stub + b"\0" * 11


@pytest.mark.parametrize("sec_addr", ["135", "49667"])
def test_bind_ack_read_by_impacket(tool, sec_addr):
    results = [{"result": 2, "reason": 2, "transfer": syntax("00000000-0000-0000-0000-000000000000")},
               {"result": 0, "reason": 0, "transfer": syntax(NDR20, 2)}]
    ours = bytes.fromhex(ok(tool(op="pdu_encode", pdu={
        "ptype": 12, "flags": 3, "call_id": 1, "max_xmit_frag": 5840, "max_recv_frag": 4280,
        "assoc_group_id": 0x1e2f, "sec_addr": sec_addr, "results": results,
        "auth": {"type": 10, "level": 6, "context_id": 79231, "token": "4e544c4d53535000020000"}}), "hex"))
    ack = rpcrt.MSRPCBindAck(ours)
    assert ack["type"] == rpcrt.MSRPC_BINDACK and ack["frag_len"] == len(ours)
    assert ack["max_tfrag"] == 5840 and ack["max_rfrag"] == 4280 and ack["assoc_group"] == 0x1e2f
    assert ack["SecondaryAddr"] == sec_addr and ack["SecondaryAddrLen"] == len(sec_addr) + 1
    assert ack["ctx_num"] == 2
    assert ack.getCtxItem(1)["Result"] == 2 and ack.getCtxItem(1)["Reason"] == 2
    assert ack.getCtxItem(2)["Result"] == 0
    assert ack.getCtxItem(2)["TransferSyntax"] == uuidtup_to_bin((NDR20, "2.0"))
    assert ack["auth_data"] == bytes.fromhex("4e544c4d53535000020000")


def test_bind_nak_response_fault_read_by_impacket(tool):
    nak = bytes.fromhex(ok(tool(op="pdu_encode", pdu={"ptype": 13, "flags": 3, "call_id": 1,
                                                      "reject_reason": 8}), "hex"))
    hdr = rpcrt.MSRPCHeader(nak)
    assert hdr["type"] == rpcrt.MSRPC_BINDNAK
    assert rpcrt.MSRPCBindNak(hdr["pduData"])["RejectedReason"] == 8
    stub = bytes(range(50))
    resp = bytes.fromhex(ok(tool(op="pdu_encode", pdu={"ptype": 2, "flags": 3, "call_id": 5, "alloc_hint": 50,
                                                       "cont_id": 1, "stub": stub.hex()}), "hex"))
    r = rpcrt.MSRPCRespHeader(resp)
    assert r["call_id"] == 5 and r["ctx_id"] == 1 and r["alloc_hint"] == 50 and r["pduData"] == stub
    fault = bytes.fromhex(ok(tool(op="pdu_encode", pdu={"ptype": 3, "flags": 0x23, "call_id": 6,
                                                        "status": 0x1c010003}), "hex"))
    f = rpcrt.MSRPCRespHeader(fault)
    # rpcrt.DCERPC_v5.recv: the status is the first u32 after the header
    assert f["type"] == rpcrt.MSRPC_FAULT
    assert struct.unpack("<L", fault[f.get_header_size():f.get_header_size() + 4])[0] == 0x1c010003
    assert rpcrt.rpc_status_codes[0x1c010003] == "nca_s_unk_if"


# ---- NDR ----

def orpcthis(cid="8e2416fe-0a3f-42be-a9e1-f30624c94619", flags=0):
    o = dcomrt.ORPCTHIS()
    o["version"]["MajorVersion"], o["version"]["MinorVersion"] = 5, 7
    o["flags"], o["reserved1"] = flags, 0
    o["cid"] = string_to_bin(cid)
    o["extensions"] = NULL
    return o


def ours_orpcthis(cid="8e2416fe-0a3f-42be-a9e1-f30624c94619", flags=0, extensions=None):
    return {"t": "orpcthis", "v": {"version": [5, 7], "flags": flags, "reserved1": 0, "cid": cid,
                                   "extensions": extensions}}


def set_refids(call, names):
    """impacket draws referent ids at random; give them ours (0x20000, +4)."""
    for i, name in enumerate(names):
        call.fields[name].fields["ReferentID"] = 0x20000 + 4 * i


def test_orpcthis_matches_impacket(tool):
    theirs = orpcthis(flags=1).getData()
    ours = bytes.fromhex(ok(tool(op="ndr_encode", items=[ours_orpcthis(flags=1)]), "hex"))
    assert ours == theirs
    got = ok(tool(op="ndr_decode", types=["orpcthis"], hex=theirs.hex()), "items")[0]
    assert got["version"] == [5, 7] and got["cid"] == "8e2416fe-0a3f-42be-a9e1-f30624c94619"


def test_orpc_extensions_read_by_impacket(tool):
    ext = [{"id": "f1f19680-4d2a-11ce-a66a-0020af6e72f4", "data": "0102030405"},
           {"id": "00000001-0000-0000-c000-000000000046", "data": "aa" * 8},
           {"id": "00000002-0000-0000-c000-000000000046", "data": ""}]
    ours = bytes.fromhex(ok(tool(op="ndr_encode", items=[ours_orpcthis(extensions=ext)]), "hex"))
    # impacket reads the extension array as dcomrt defines it
    this = dcomrt.ORPCTHIS()
    size = this.fromString(ours)
    this.fromStringReferents(ours[size:])
    exts = this["extensions"]
    assert exts["size"] == 3
    assert len(exts["extent"]) == 4  # (size + 1) & ~1 slots, the last one NULL
    assert exts["extent"][3].fields["ReferentID"] == 0
    got = [(bin_to_string(e["id"]).lower(), b"".join(e["data"])[:e["size"]]) for e in exts["extent"][:3]]
    assert got == [(x["id"], bytes.fromhex(x["data"])) for x in ext]
    back = ok(tool(op="ndr_decode", types=["orpcthis"], hex=ours.hex()), "items")[0]
    assert back["extensions"] == ext


def test_ntlmlogin_request_matches_impacket(tool):
    req = wmi.IWbemLevel1Login_NTLMLogin()
    req["ORPCthis"] = orpcthis()
    req["wszNetworkResource"] = "//./root/cimv2\x00"
    req["wszPreferredLocale"] = NULL
    req["lFlags"] = 0
    req["pCtx"] = NULL
    set_refids(req, ["wszNetworkResource"])
    theirs = req.getData()
    items = [ours_orpcthis(), {"t": "wstr_ptr", "v": "//./root/cimv2"}, {"t": "wstr_ptr", "v": None},
             {"t": "u32", "v": 0}, {"t": "pmip", "v": None}]
    ours = bytes.fromhex(ok(tool(op="ndr_encode", items=items), "hex"))
    equal_but_padding(ours, theirs)
    got = ok(tool(op="ndr_decode", types=[i["t"] for i in items], hex=theirs.hex()), "items")
    assert got[1] == "//./root/cimv2" and got[2] is None and got[4] is None
    parsed = wmi.IWbemLevel1Login_NTLMLogin(ours)
    assert parsed["wszNetworkResource"] == "//./root/cimv2\x00"


@pytest.mark.parametrize("query", ["SELECT * FROM Win32_Service", "SELECT Name FROM Win32_Process",
                                  "select * from Win32_LogicalDisk where DriveType = 3", ""])
def test_execquery_request_matches_impacket(tool, query):
    req = wmi.IWbemServices_ExecQuery()
    req["ORPCthis"] = orpcthis()
    req["strQueryLanguage"]["asData"] = "WQL"
    req["strQuery"]["asData"] = query
    req["lFlags"] = 0x30
    req["pCtx"] = NULL
    set_refids(req, ["strQueryLanguage", "strQuery"])
    theirs = req.getData()
    items = [ours_orpcthis(), {"t": "bstr", "v": "WQL"}, {"t": "bstr", "v": query}, {"t": "u32", "v": 0x30},
             {"t": "pmip", "v": None}]
    ours = bytes.fromhex(ok(tool(op="ndr_encode", items=items), "hex"))
    equal_but_padding(ours, theirs)
    got = ok(tool(op="ndr_decode", types=[i["t"] for i in items], hex=theirs.hex()), "items")
    assert got[1:4] == ["WQL", query, 0x30]
    parsed = wmi.IWbemServices_ExecQuery(ours)
    assert parsed["strQuery"]["asData"] == query and parsed["lFlags"] == 0x30


def test_execquery_response_matches_impacket(tool):
    objref = b"MEOW" + bytes(range(60))
    resp = wmi.IWbemServices_ExecQueryResponse()
    that = dcomrt.ORPCTHAT()
    that["flags"] = 0
    that["extensions"] = NULL
    resp["ORPCthat"] = that
    resp["ppEnum"]["ulCntData"] = len(objref)
    resp["ppEnum"]["abData"] = list(objref)
    resp["ErrorCode"] = 0
    set_refids(resp, ["ppEnum"])
    theirs = resp.getData()
    items = [{"t": "orpcthat", "v": {"flags": 0, "extensions": None}}, {"t": "pmip", "v": objref.hex()},
             {"t": "u32", "v": 0}]
    ours = bytes.fromhex(ok(tool(op="ndr_encode", items=items), "hex"))
    equal_but_padding(ours, theirs)
    got = ok(tool(op="ndr_decode", types=["orpcthat", "pmip", "u32"], hex=theirs.hex()), "items")
    assert bytes.fromhex(got[1]) == objref and got[2] == 0
    parsed = wmi.IWbemServices_ExecQueryResponse(ours)
    assert b"".join(parsed["ppEnum"]["abData"]) == objref


def test_stdobjref_matches_impacket(tool):
    s = dcomrt.STDOBJREF()
    s["flags"], s["cPublicRefs"], s["oxid"], s["oid"] = 0x1000, 5, 0x0102030405060708, 0x1112131415161718
    s["ipid"] = string_to_bin(IPID)
    ours = bytes.fromhex(ok(tool(op="ndr_encode", items=[{"t": "stdobjref", "v": {
        "flags": 0x1000, "public_refs": 5, "oxid": 0x0102030405060708, "oid": 0x1112131415161718,
        "ipid": IPID}}]), "hex"))
    assert ours == s.getData()


def impacket_dsa_entries(strings, security):
    """aStringArray as impacket builds STRINGBINDING / SECURITYBINDING."""
    raw = b""
    for tower, addr in strings:
        b = dcomrt.STRINGBINDING()
        b["wTowerId"], b["aNetworkAddr"] = tower, addr + "\x00"
        raw += b.getData()
    raw += b"\0\0" if strings else b"\0\0\0\0"
    sec_offset = len(raw) // 2
    for svc, princ in security:
        b = dcomrt.SECURITYBINDING()
        b["wAuthnSvc"], b["Reserved"], b["aPrincName"] = svc, 0xffff, princ + "\x00"
        raw += b.getData()
    raw += b"\0\0" if security else b"\0\0\0\0"
    return raw, sec_offset


DSA = {"strings": [[7, "WMSIM-01[49667]"], [7, "127.0.0.2[49667]"], [7, "fe80::1[49667]"]],
       "security": [[10, ""], [9, ""], [16, "host/wmsim-01.example.test"]]}


def test_dualstringarray_matches_impacket(tool):
    raw, sec = impacket_dsa_entries(DSA["strings"], DSA["security"])
    packed = bytes.fromhex(ok(tool(op="dsa_pack", v=DSA), "hex"))
    assert packed == struct.pack("<HH", len(raw) // 2, sec) + raw
    # impacket's NDR DUALSTRINGARRAY (as in ResolveOxid2 / ScmReplyInfo)
    d = dcomrt.DUALSTRINGARRAY()
    d["wNumEntries"], d["wSecurityOffset"] = len(raw) // 2, sec
    d["aStringArray"] = list(struct.unpack(f"<{len(raw) // 2}H", raw))
    ours = bytes.fromhex(ok(tool(op="ndr_encode", items=[{"t": "dsa", "v": DSA}]), "hex"))
    assert ours == d.getData()
    # impacket's parsing loop (dcomrt.RemoteCreateInstance) over our bindings
    str_part = raw[:sec * 2]
    found = []
    while str_part[:2] != b"\0\0":
        b = dcomrt.STRINGBINDING(str_part)
        found.append([b["wTowerId"], b["aNetworkAddr"].rstrip("\x00")])
        str_part = str_part[len(b):]
    assert found == DSA["strings"]
    got = ok(tool(op="ndr_decode", types=["dsa"], hex=d.getData().hex()), "items")[0]
    assert got == DSA
    empty = bytes.fromhex(ok(tool(op="dsa_pack", v={"strings": [], "security": []}), "hex"))
    assert empty == struct.pack("<HH4H", 4, 2, 0, 0, 0, 0)  # MS-DCOM 2.2.19.1's smallest


def test_objref_standard_matches_impacket(tool):
    raw, sec = impacket_dsa_entries(DSA["strings"][:1], DSA["security"][:1])
    o = dcomrt.OBJREF_STANDARD()
    o["iid"] = string_to_bin(IFACES["IWbemServices"])
    std = dcomrt.STDOBJREF()
    std["flags"], std["cPublicRefs"], std["oxid"], std["oid"] = 0, 5, 0x71b2c3d4e5f60718, 0x42
    std["ipid"] = string_to_bin(IPID)
    o["std"] = std
    o["saResAddr"] = struct.pack("<HH", len(raw) // 2, sec) + raw
    theirs = o.getData()
    ours = bytes.fromhex(ok(tool(op="objref_encode", v={
        "flags": 1, "iid": IFACES["IWbemServices"],
        "std": {"flags": 0, "public_refs": 5, "oxid": 0x71b2c3d4e5f60718, "oid": 0x42, "ipid": IPID},
        "resolver": {"strings": DSA["strings"][:1], "security": DSA["security"][:1]}}), "hex"))
    assert ours == theirs
    got = ok(tool(op="objref_decode", hex=theirs.hex()), "v")
    assert got["std"]["ipid"] == IPID and got["std"]["oxid"] == 0x71b2c3d4e5f60718
    assert got["resolver"]["strings"] == DSA["strings"][:1]
    parsed = dcomrt.OBJREF_STANDARD(ours)
    assert parsed["std"]["cPublicRefs"] == 5 and bin_to_string(parsed["iid"]).lower() == IFACES["IWbemServices"]


def test_objref_custom_matches_impacket(tool):
    data = b"\x78\x56\x34\x12" + bytes(range(40))
    o = dcomrt.OBJREF_CUSTOM()
    o["iid"] = string_to_bin("dc12a681-737f-11cf-884d-00aa004b2e24")
    o["clsid"] = string_to_bin("4590f812-1d3a-11d0-891f-00aa004b2e24")
    o["cbExtension"] = 0
    o["ObjectReferenceSize"] = len(data)
    o["pObjectData"] = data
    theirs = o.getData()
    ours = bytes.fromhex(ok(tool(op="objref_encode", v={
        "flags": 4, "iid": "dc12a681-737f-11cf-884d-00aa004b2e24", "clsid": "4590f812-1d3a-11d0-891f-00aa004b2e24",
        "cb_extension": 0, "reserved": len(data), "data": data.hex()}), "hex"))
    assert ours == theirs
    assert ok(tool(op="objref_decode", hex=theirs.hex()), "v")["data"] == data.hex()


def test_captured_objrefs_decode(tool):
    """OBJREF_CUSTOMs that impacket captured from Windows WMI."""
    files = sorted((CAPTURES / "wmio" / "impacket").glob("*.objref.bin"))
    if not files:
        pytest.skip("no captures")
    for f in files:
        blob = f.read_bytes()
        got = ok(tool(op="objref_decode", hex=blob.hex()), "v")
        assert got["flags"] == 4 and got["iid"] == "dc12a681-737f-11cf-884d-00aa004b2e24"
        assert got["reserved"] == len(blob) - 48 and got["data"] == blob[48:].hex()
        parsed = dcomrt.OBJREF_CUSTOM(blob)
        assert parsed["ObjectReferenceSize"] == got["reserved"]
        assert bytes.fromhex(ok(tool(op="objref_encode", v=got), "hex")) == blob


def test_refusals_name_the_field(tool):
    ans = tool(op="pdu_decode", hex="04000b03100000001000000001000000")
    assert ans["code"] == "EPROTO" and "rpc_vers" in ans["error"]
    ans = tool(op="pdu_decode", hex="05000b03100000004800000001000000")
    assert ans["code"] == "EPROTO" and "truncated" in ans["error"]
    ans = tool(op="ndr_decode", types=["bstr"], hex="00000200030000000500000003000000570051004c00")
    assert "error" in ans and "bstr" in ans["error"]
    ans = tool(op="objref_decode", hex=(b"MEOW\x08\x00\x00\x00" + bytes(16)).hex())
    assert ans["code"] == "EUNSUPPORTED"
