"""
test_sddl_impacket.py: our security descriptors (auth/sddl*.c,
auth/sd_binary.c, auth/access.c) against a third party's reading and
writing of them, impacket's (Debian python3-impacket:
impacket/ldap/ldaptypes.py, SR_SECURITY_DESCRIPTOR and its ACL/ACE types).

Our side runs in sddl_tool (tests/unit/auth/sddl_tool.c; one command per
line on stdin, "ok ..." or "err ..." back, binary data in hex):

- descriptors we encode from SDDL parse with impacket to the owner, group,
  control, ACL revisions, ACE types, flags, masks, SIDs, object GUIDs and
  callback data that the SDDL says (the expectations are written out here,
  not derived from our output), and impacket re-encodes them to the same
  bytes;
- descriptors impacket builds decode with our tool to the expected SDDL,
  and our access check reads them;
- a descriptor impacket built and we then damaged is refused.

    SDDL_TOOL  the tool (default <repo>/build/tests/unit/sddl_tool)

Run with Debian's Python: /usr/bin/python3 -m pytest tests/python/test_sddl_impacket.py
"""
import uuid

import pytest

import impacket.ldap.ldaptypes as ldaptypes

from conftest import LineTool  # noqa: E402

BA, SY, WD, AN, AU, BU = "S-1-5-32-544", "S-1-5-18", "S-1-1-0", "S-1-5-7", "S-1-5-11", "S-1-5-32-545"
USER = "S-1-5-21-1-2-3-1001"
GUID_USER = "bf967aba-0de6-11d0-a285-00aa003049e2"
GUID_GROUP = "bf967a9c-0de6-11d0-a285-00aa003049e2"
GUID_RIGHT = "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2"
# MS-DTYP 2.4.4.17.9 Example 1: (Title=="VP") with its padding.
TITLE_VP = bytes.fromhex("61727478" "f8" "0a000000" "5400690074006c006500" "10" "04000000" "56005000" "80" "000000")


def ok(tool, line):
    """sddl_tool's "ok <text>" reply: the text (which may hold spaces)."""
    reply = tool.line(line)
    assert reply.startswith("ok"), reply
    return reply[3:]


@pytest.fixture
def tool():
    t = LineTool("sddl_tool")
    yield t
    t.close()


# ---- our bytes, impacket's reading ----

def parse(tool, sddl):
    data = bytes.fromhex(ok(tool, "tobin " + sddl))
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR(data=data)
    return data, sd


def sid_text(s):
    return s.formatCanonical() if s != b"" else None


def aces(acl):
    """(type, flags, mask, sid) of each ACE of an impacket ACL."""
    return [(a["AceType"], a["AceFlags"], a["Ace"]["Mask"]["Mask"], a["Ace"]["Sid"].formatCanonical())
            for a in acl.aces]


def test_plain_descriptor(tool):
    sddl = ("O:BAG:SYD:PAI(A;OICI;FA;;;BA)(D;;GW;;;AN)(A;;0x1200a9;;;%s)(A;CIIO;GA;;;CO)"
            "S:(AU;SAFA;GA;;;WD)(ML;;NW;;;HI)" % USER)
    data, sd = parse(tool, sddl)
    assert sd["Revision"] == b"\x01"
    # SR | PD | DI | SP | DP
    assert sd["Control"] == 0x8000 | 0x1000 | 0x0400 | 0x0010 | 0x0004
    assert sid_text(sd["OwnerSid"]) == BA
    assert sid_text(sd["GroupSid"]) == SY
    assert sd["Dacl"]["AclRevision"] == 2
    assert aces(sd["Dacl"]) == [
        (0x00, 0x03, 0x001F01FF, BA),
        (0x01, 0x00, 0x40000000, AN),
        (0x00, 0x00, 0x001200A9, USER),
        (0x00, 0x0A, 0x10000000, "S-1-3-0"),
    ]
    assert aces(sd["Sacl"]) == [(0x02, 0xC0, 0x10000000, WD), (0x11, 0x00, 0x1, "S-1-16-12288")]
    # impacket writes the structure back byte for byte (same part order).
    assert sd.getData() == data


def test_dtyp_2_5_1_4_example(tool):
    sddl = "O:BAG:BAD:P(A;CIOI;GRGX;;;BU)(A;CIOI;GA;;;BA)(A;CIOI;GA;;;SY)(A;CIOI;GA;;;CO)S:P(AU;FA;GR;;;WD)"
    data, sd = parse(tool, sddl)
    assert len(data) == 0xB0
    assert sd["Control"] == 0xB014
    assert (sd["OffsetOwner"], sd["OffsetGroup"], sd["OffsetSacl"], sd["OffsetDacl"]) == (0x90, 0xA0, 0x14, 0x30)
    assert aces(sd["Dacl"]) == [(0, 3, 0xA0000000, BU), (0, 3, 0x10000000, BA), (0, 3, 0x10000000, SY),
                                (0, 3, 0x10000000, "S-1-3-0")]
    assert aces(sd["Sacl"]) == [(2, 0x80, 0x80000000, WD)]
    assert sd.getData() == data


def test_protocol_notes_descriptors(tool):
    _, sd = parse(tool, "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRP;;;NS)(A;CI;CCDCRP;;;LS)"
                        "(A;CI;CCDCRP;;;AU)")
    assert aces(sd["Dacl"]) == [(0, 2, 0x6003F, BA), (0, 2, 0x13, "S-1-5-20"), (0, 2, 0x13, "S-1-5-19"),
                                (0, 2, 0x13, AU)]
    _, sd = parse(tool, "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)")
    assert sid_text(sd["OwnerSid"]) == "S-1-5-20"
    assert aces(sd["Dacl"]) == [(0, 0, 0x10000000, BA), (0, 0, 0x80000000, "S-1-5-4")]
    assert aces(sd["Sacl"]) == [(2, 0x80, 0x10000000, WD), (2, 0x40, 0x60000000, WD)]


def test_object_aces(tool):
    sddl = "D:(OA;CI;RPWP;%s;%s;AU)(OD;;CR;%s;;WD)(OA;;CC;;;BU)" % (GUID_USER, GUID_GROUP, GUID_RIGHT)
    data, sd = parse(tool, sddl)
    assert sd["Dacl"]["AclRevision"] == 4
    a, b, c = sd["Dacl"].aces
    assert (a["AceType"], a["AceFlags"], a["Ace"]["Mask"]["Mask"]) == (5, 2, 0x30)
    assert a["Ace"]["Flags"] == 3
    assert a["Ace"]["ObjectType"] == uuid.UUID(GUID_USER).bytes_le
    assert a["Ace"]["InheritedObjectType"] == uuid.UUID(GUID_GROUP).bytes_le
    assert (b["AceType"], b["Ace"]["Flags"], b["Ace"]["Mask"]["Mask"]) == (6, 1, 0x100)
    assert b["Ace"]["ObjectType"] == uuid.UUID(GUID_RIGHT).bytes_le
    assert (c["AceType"], c["Ace"]["Flags"], c["Ace"]["Sid"].formatCanonical()) == (5, 0, BU)
    assert sd.getData() == data


def test_callback_aces(tool):
    data, sd = parse(tool, 'D:(XA;;FX;;;WD;(Title=="VP"))(XD;CI;GW;;;AU;(Member_of {SID(BA)}))')
    a, b = sd["Dacl"].aces
    assert (a["AceType"], a["Ace"]["Mask"]["Mask"], a["Ace"]["Sid"].formatCanonical()) == (9, 0x1200A0, WD)
    assert a["Ace"]["ApplicationData"] == TITLE_VP
    assert (b["AceType"], b["AceFlags"]) == (0x0A, 0x02)
    appdata = b["Ace"]["ApplicationData"]
    # artx, a composite of one SID literal (BA), Member_of, padding
    ba = bytes.fromhex("01020000000000052000000020020000")
    assert appdata == b"artx" + b"\x50" + (21).to_bytes(4, "little") + b"\x51" + (16).to_bytes(4, "little") + ba \
        + b"\x89" + b"\x00"
    assert sd.getData() == data


def test_resource_attribute_ace(tool):
    # (impacket drops the SACL of a descriptor without a DACL, hence "D:")
    data, sd = parse(tool, 'D:S:(RA;CI;;;;WD;("dept",TS,0x0,"Sales"))')
    (a,) = sd["Sacl"].aces
    assert (a["AceType"], a["AceFlags"], a["Ace"]["Mask"]["Mask"]) == (0x12, 0x02, 0)
    blob = a["Ace"]["ApplicationData"]
    name_off = int.from_bytes(blob[0:4], "little")
    value_off = int.from_bytes(blob[16:20], "little")
    assert int.from_bytes(blob[4:6], "little") == 3  # string
    assert int.from_bytes(blob[12:16], "little") == 1
    assert blob[name_off:name_off + 10] == "dept\0".encode("utf-16-le")
    assert blob[value_off:value_off + 12] == "Sales\0".encode("utf-16-le")
    assert len(blob) % 4 == 0


# ---- impacket's bytes, our reading ----

def sid(text):
    s = ldaptypes.LDAP_SID()
    s.fromCanonical(text)
    return s


def ace(cls, flags, mask, who, **fields):
    a = ldaptypes.ACE()
    a["AceType"] = cls.ACE_TYPE
    a["AceFlags"] = flags
    body = cls()
    body["Mask"] = ldaptypes.ACCESS_MASK()
    body["Mask"]["Mask"] = mask
    for k, v in fields.items():
        body[k] = v
    body["Sid"] = sid(who)
    a["Ace"] = body
    return a


def acl(revision, entries):
    a = ldaptypes.ACL()
    a["AclRevision"] = revision
    a["Sbz1"] = 0
    a["Sbz2"] = 0
    a.aces = entries
    return a


def descriptor(control, owner=None, group=None, dacl=None, sacl=None):
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR()
    sd["Revision"] = b"\x01"
    sd["Sbz1"] = b"\x00"
    sd["Control"] = control
    sd["OwnerSid"] = sid(owner) if owner else b""
    sd["GroupSid"] = sid(group) if group else b""
    sd["Dacl"] = dacl if dacl is not None else b""
    sd["Sacl"] = sacl if sacl is not None else b""
    return sd.getData()


def test_impacket_descriptors_decode(tool):
    data = descriptor(0x8000 | 0x1000 | 0x0004, owner=BA, group=SY, dacl=acl(2, [
        ace(ldaptypes.ACCESS_DENIED_ACE, 0, 0x40000000, AN),
        ace(ldaptypes.ACCESS_ALLOWED_ACE, 3, 0x1F01FF, BA),
        ace(ldaptypes.ACCESS_ALLOWED_ACE, 0, 0x1200A9, USER),
        ace(ldaptypes.ACCESS_ALLOWED_ACE, 0x0B, 0x10000000, "S-1-3-0"),
    ]))
    assert ok(tool, "tosddl " + data.hex()) == \
        "O:BAG:SYD:P(D;;GW;;;AN)(A;OICI;FA;;;BA)(A;;0x1200a9;;;%s)(A;OICIIO;GA;;;CO)" % USER
    # A domain SID turns domain SIDs into aliases.
    assert ok(tool, "domain S-1-5-21-1-2-3") == ""
    data = descriptor(0x8004, owner="S-1-5-21-1-2-3-512", dacl=acl(2, [
        ace(ldaptypes.ACCESS_ALLOWED_ACE, 0, 0x1, "S-1-5-21-1-2-3-513")]))
    assert ok(tool, "tosddl " + data.hex()) == "O:DAD:(A;;CC;;;DU)"
    assert ok(tool, "domain -") == ""
    assert ok(tool, "tosddl " + data.hex()) == "O:S-1-5-21-1-2-3-512D:(A;;CC;;;S-1-5-21-1-2-3-513)"


def test_impacket_object_callback_and_sacl(tool):
    oa = ace(ldaptypes.ACCESS_ALLOWED_OBJECT_ACE, 2, 0x30, AU, Flags=0,
             ObjectType=uuid.UUID(GUID_USER).bytes_le, InheritedObjectType=uuid.UUID(GUID_GROUP).bytes_le)
    od = ace(ldaptypes.ACCESS_DENIED_OBJECT_ACE, 0, 0x100, WD, Flags=0, ObjectType=uuid.UUID(GUID_RIGHT).bytes_le,
             InheritedObjectType=b"")
    xa = ace(ldaptypes.ACCESS_ALLOWED_CALLBACK_ACE, 0, 0x1200A0, WD, ApplicationData=TITLE_VP)
    audit = ace(ldaptypes.SYSTEM_AUDIT_ACE, 0xC0, 0x10000000, WD)
    label = ace(ldaptypes.SYSTEM_MANDATORY_LABEL_ACE, 0, 0x3, "S-1-16-12288")
    data = descriptor(0x8000 | 0x0010 | 0x0004, dacl=acl(4, [oa, od, xa]), sacl=acl(2, [audit, label]))
    assert ok(tool, "tosddl " + data.hex()) == (
        "D:(OA;CI;RPWP;%s;%s;AU)(OD;;CR;%s;;WD)(XA;;FX;;;WD;(Title == \"VP\"))"
        "S:(AU;SAFA;GA;;;WD)(ML;;NWNR;;;HI)" % (GUID_USER, GUID_GROUP, GUID_RIGHT))


def test_access_check_on_impacket_descriptor(tool):
    data = descriptor(0x8004, owner=BA, dacl=acl(2, [
        ace(ldaptypes.ACCESS_DENIED_ACE, 0, 0x2, "S-1-5-2"),
        ace(ldaptypes.ACCESS_ALLOWED_ACE, 0, 0x80000000, BU),
        ace(ldaptypes.ACCESS_ALLOWED_ACE, 0, 0x10000000, BA),
    ]))
    base = "check user=%s groups=WD,AU,BU mapping=wmi " % USER
    # GR under WMI's mapping: enable, remote enable, subscribe, read control
    assert ok(tool, base + "desired=max sd=hex:" + data.hex()) == "granted 0x20061"
    assert ok(tool, base + "desired=0x1 sd=hex:" + data.hex()) == "granted 0x1"
    assert ok(tool, base + "desired=0x4 sd=hex:" + data.hex()).startswith("denied")
    assert ok(tool, "check user=S-1-5-21-1-2-3-500 groups=WD,BA mapping=wmi desired=0x40000 sd=hex:" + data.hex()) == \
        "granted 0x40000"
    # network logons are denied method execution before anything grants it
    assert ok(tool, "check user=S-1-5-21-1-2-3-500 groups=WD,BA,NU mapping=wmi desired=0x2 sd=hex:" + data.hex()).startswith(
        "denied")


def test_damaged_descriptor_refused(tool):
    data = bytearray(descriptor(0x8004, owner=BA, dacl=acl(2, [ace(ldaptypes.ACCESS_ALLOWED_ACE, 0, 1, WD)])))
    dacl = int.from_bytes(data[16:20], "little")
    data[dacl + 4] = 2  # AceCount 2, one ACE
    reply = tool.line("tosddl " + data.hex())
    assert reply.startswith("err EINVAL %d " % (dacl + 28)), reply
    data[dacl + 4] = 1
    data[dacl] = 3  # ACL revision 3
    reply = tool.line("tosddl " + data.hex())
    assert reply.startswith("err EINVAL %d " % dacl), reply
