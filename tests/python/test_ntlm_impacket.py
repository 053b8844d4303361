"""
test_ntlm_impacket.py: our NTLM (auth/ntlm*.c) against a third party's,
impacket's (Debian python3-impacket 0.10: impacket/ntlm.py, and the NTLMv2
check of impacket/smbserver.py).

Our side runs in ntlm_tool (tests/unit/auth/ntlm_tool.c; one command per
line on stdin, "ok ..." or "err ..." back, binary data in hex).  In both
directions the whole exchange is checked, then sealed and signed messages
travel each way with advancing sequence numbers:

- impacket's client (getNTLMSSPType1/getNTLMSSPType3, as rpcrt.py calls them
  for DCE/RPC) authenticates to our server; impacket SEALs (also DCE/RPC
  style: the whole PDU signed, the stub sealed) and we unseal; we seal and
  impacket's RC4 stream and MAC agree;
- our client answers CHALLENGE messages built with impacket's
  NTLMAuthChallenge; smbserver.computeNTLMv2 accepts the NTLMv2 response and
  yields the session key; with impacket's TEST_CASE switch (time zero) and
  our client's fixed randomness, computeResponseNTLMv2 gives our NT and LM
  responses byte for byte; the MIC is recomputed over the three messages;
- refusals: wrong password, impacket's NTLMv1, a server that drops sealing.

    NTLM_TOOL  the tool (default <repo>/build/tests/unit/ntlm_tool)

Run with Debian's Python: /usr/bin/python3 -m pytest tests/python/test_ntlm_impacket.py
"""
import calendar
import os
import struct
import time

import pytest

import impacket.ntlm as ntlm
import impacket.smbserver as smbserver
import Cryptodome.Cipher.ARC4 as ARC4

from conftest import LineTool  # noqa: E402

USER, PASSWORD, DOMAIN = "alice", "Secret-1", "WMSIM"


@pytest.fixture
def tool():
    t = LineTool("ntlm_tool")
    yield t
    t.close()


class Session:
    """impacket's side of a session: keys and RC4 streams from ntlm.SIGNKEY,
    SEALKEY and ARC4, as rpcrt.py sets them up."""

    def __init__(self, flags, session_key, client):
        self.flags = flags
        mine, peer = ("Client", "Server") if client else ("Server", "Client")
        self.send_sign = ntlm.SIGNKEY(flags, session_key, mine)
        self.recv_sign = ntlm.SIGNKEY(flags, session_key, peer)
        self.send_rc4 = ARC4.new(ntlm.SEALKEY(flags, session_key, mine)).encrypt
        self.recv_rc4 = ARC4.new(ntlm.SEALKEY(flags, session_key, peer)).encrypt
        self.send_seq = self.recv_seq = 0

    def seal(self, to_sign, to_seal):
        sealed, sig = ntlm.SEAL(self.flags, self.send_sign, None, to_sign, to_seal, self.send_seq, self.send_rc4)
        self.send_seq += 1
        return sealed, sig.getData()

    def sign(self, msg):
        sig = ntlm.SIGN(self.flags, self.send_sign, msg, self.send_seq, self.send_rc4)
        self.send_seq += 1
        return sig.getData()

    def unseal(self, sealed, sig):
        plain = self.recv_rc4(sealed)
        assert ntlm.SIGN(self.flags, self.recv_sign, plain, self.recv_seq, self.recv_rc4).getData() == sig
        self.recv_seq += 1
        return plain

    def verify(self, msg, sig):
        assert ntlm.SIGN(self.flags, self.recv_sign, msg, self.recv_seq, self.recv_rc4).getData() == sig
        self.recv_seq += 1


def exchange(tool, session, rounds=4):
    """Messages both ways, sealed (or signed when sealing is off)."""
    sealing = session.flags & ntlm.NTLMSSP_NEGOTIATE_SEAL
    for i in range(rounds):
        msg = ("request %d: " % i).encode() + os.urandom(37 + i)
        reply = ("reply %d: " % i).encode() + os.urandom(5 * i)
        if sealing:
            sealed, sig = session.seal(msg, msg)
            assert sealed != msg and struct.unpack("<I", sig[12:])[0] == i
            assert bytes.fromhex(tool.ok("unseal", sealed, sig)[0]) == msg
            out, sig = tool.ok("seal", reply)
            assert session.unseal(bytes.fromhex(out), bytes.fromhex(sig)) == reply
        else:
            tool.ok("verify", msg, session.sign(msg))
            session.verify(reply, bytes.fromhex(tool.ok("sign", reply)[0]))


# ---- impacket's client, our server ----

def impacket_login(tool, password=PASSWORD, level="privacy", use_ntlmv2=True):
    tool.ok("server", "WMSIM-01", "-", level, 0)
    tool.ok("user", USER, PASSWORD)
    type1 = ntlm.getNTLMSSPType1("", "", signingRequired=True)
    challenge = bytes.fromhex(tool.ok("challenge", type1.getData())[0])
    parsed = ntlm.NTLMAuthChallenge(challenge)
    info = ntlm.AV_PAIRS(parsed["TargetInfoFields"])
    assert info[ntlm.NTLMSSP_AV_HOSTNAME][1].decode("utf-16le") == "WMSIM-01"
    assert info[ntlm.NTLMSSP_AV_TIME] is not None
    type3, session_key = ntlm.getNTLMSSPType3(type1, challenge, USER, password, DOMAIN, use_ntlmv2=use_ntlmv2)
    return type3, session_key, tool.call("accept", type3.getData())


@pytest.mark.parametrize("level", ["privacy", "integrity"])
def test_impacket_client_our_server(tool, level):
    type3, session_key, reply = impacket_login(tool, level=level)
    assert reply[:4] == ["ok", USER, DOMAIN, "-"], reply
    flags = type3["flags"]
    assert int(reply[4], 16) == flags  # impacket asked for no more than we offered
    assert flags & ntlm.NTLMSSP_NEGOTIATE_SEAL  # impacket always asks to seal
    exchange(tool, Session(flags, session_key, client=True))


def test_impacket_dcerpc_pdu(tool):
    """rpcrt.py's PKT_PRIVACY: SEAL(whole PDU but the verifier, stub data)."""
    type3, session_key, reply = impacket_login(tool)
    assert reply[0] == "ok"
    s = Session(type3["flags"], session_key, client=True)
    for call_id in range(1, 4):
        stub = os.urandom(45 + call_id) + b"\xbb" * 3  # stub and auth padding
        header = struct.pack("<BBBB4sHHIIHH", 5, 0, 0, 3, b"\x10\0\0\0", 24 + len(stub) + 8 + 16, 16, call_id,
                             len(stub), 0, 6)
        trailer = struct.pack("<BBBBI", 10, 6, 3, 0, 79231)
        sealed, sig = s.seal(header + stub + trailer, stub)
        pdu = header + sealed + trailer
        plain = tool.ok("unseal", pdu, sig, len(header), len(stub))[0]
        assert bytes.fromhex(plain) == header + stub + trailer
    # a PDU whose header changed on the way is refused
    stub = os.urandom(40)
    header = struct.pack("<BBBB4sHHIIHH", 5, 0, 0, 3, b"\x10\0\0\0", 24 + 40 + 8 + 16, 16, 9, 40, 0, 6)
    trailer = struct.pack("<BBBBI", 10, 6, 0, 0, 79231)
    sealed, sig = s.seal(header + stub + trailer, stub)
    code, message = tool.err("unseal", header[:-1] + b"\x07" + sealed + trailer, sig, len(header), len(stub))
    assert code == "EPROTO" and "does not match" in message


def test_impacket_wrong_password(tool):
    _, _, reply = impacket_login(tool, password="Secret-2")
    assert reply[:2] == ["err", "EAUTH"] and "wrong password" in " ".join(reply)
    assert "Secret" not in " ".join(reply)


def test_impacket_ntlmv1_refused(tool):
    _, _, reply = impacket_login(tool, use_ntlmv2=False)
    assert reply[:2] == ["err", "EAUTH"] and "NTLMv2 only" in " ".join(reply)


# ---- our client, impacket's challenges and acceptor ----

def filetime_now():
    return 116444736000000000 + calendar.timegm(time.gmtime()) * 10000000


def impacket_challenge(negotiate, server_challenge, timestamp=True, drop=0):
    """A CHALLENGE built with impacket's NTLMAuthChallenge, as smbserver.py
    builds its own."""
    neg = ntlm.NTLMAuthNegotiate()
    neg.fromString(negotiate)
    offered = (ntlm.NTLMSSP_NEGOTIATE_UNICODE | ntlm.NTLMSSP_NEGOTIATE_SIGN | ntlm.NTLMSSP_NEGOTIATE_SEAL |
               ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH | ntlm.NTLMSSP_NEGOTIATE_128 | ntlm.NTLMSSP_NEGOTIATE_56 |
               ntlm.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | ntlm.NTLMSSP_NEGOTIATE_VERSION)
    flags = (neg["flags"] & offered & ~drop) | ntlm.NTLMSSP_NEGOTIATE_TARGET_INFO | \
        ntlm.NTLMSSP_TARGET_TYPE_SERVER | ntlm.NTLMSSP_REQUEST_TARGET | ntlm.NTLMSSP_NEGOTIATE_NTLM
    info = ntlm.AV_PAIRS()
    info[ntlm.NTLMSSP_AV_DOMAINNAME] = "IMPACKET".encode("utf-16le")
    info[ntlm.NTLMSSP_AV_HOSTNAME] = "IMPACKET-SRV".encode("utf-16le")
    if timestamp:
        info[ntlm.NTLMSSP_AV_TIME] = struct.pack("<q", filetime_now())
    av = info.getData()
    ch = ntlm.NTLMAuthChallenge()
    ch["flags"] = flags
    name = "IMPACKET-SRV".encode("utf-16le")
    ch["domain_len"] = ch["domain_max_len"] = len(name)
    ch["domain_offset"] = 56
    ch["challenge"] = server_challenge
    ch["domain_name"] = name
    ch["TargetInfoFields_len"] = ch["TargetInfoFields_max_len"] = len(av)
    ch["TargetInfoFields"] = av
    ch["TargetInfoFields_offset"] = 56 + len(name)
    ch["Version"] = b"\x0a\x00\x00\x00\x00\x00\x00\x0f"
    ch["VersionLen"] = 8
    return ch


def parse_authenticate(data):
    """impacket's parse, plus the session key (fromString leaves it out)."""
    auth = ntlm.NTLMAuthChallengeResponse()
    auth.fromString(data)
    auth["session_key"] = data[auth["session_key_offset"]:][:auth["session_key_len"]]
    return auth


def our_login(tool, level="privacy", timestamp=True, drop=0):
    tool.ok("client", USER, DOMAIN, PASSWORD, level)
    negotiate = bytes.fromhex(tool.ok("negotiate")[0])
    server_challenge = os.urandom(8)
    ch = impacket_challenge(negotiate, server_challenge, timestamp, drop)
    challenge = ch.getData()
    reply = tool.call("authenticate", challenge)
    return negotiate, ch, challenge, server_challenge, reply


@pytest.mark.parametrize("level", ["privacy", "integrity"])
def test_our_client_impacket_server(tool, level):
    negotiate, ch, challenge, server_challenge, reply = our_login(tool, level)
    assert reply[0] == "ok", reply
    data = bytes.fromhex(reply[1])
    auth = parse_authenticate(data)
    assert auth["user_name"].decode("utf-16le") == USER
    assert auth["domain_name"].decode("utf-16le") == DOMAIN
    assert auth["lanman"] == b"\0" * 24  # a server timestamp means no LMv2
    type1 = ntlm.NTLMAuthNegotiate()
    type1.fromString(negotiate)
    status, session_key = smbserver.computeNTLMv2(USER, "", ntlm.compute_nthash(PASSWORD), server_challenge, auth,
                                                  ch, type1)
    assert status == smbserver.STATUS_SUCCESS
    # the AV pairs we added: MIC announced, channel bindings, target name
    pairs = ntlm.AV_PAIRS(auth["ntlm"][16 + 28:])
    assert struct.unpack("<I", pairs[ntlm.NTLMSSP_AV_FLAGS][1])[0] & 2
    assert pairs[ntlm.NTLMSSP_AV_CHANNEL_BINDINGS][1] == b"\0" * 16
    assert pairs[ntlm.NTLMSSP_AV_TIME][1] == ntlm.AV_PAIRS(ch["TargetInfoFields"])[ntlm.NTLMSSP_AV_TIME][1]
    mic = ntlm.hmac_md5(session_key, negotiate + challenge + data[:72] + b"\0" * 16 + data[88:])
    assert data[72:88] == mic
    flags = auth["flags"]
    assert flags & ntlm.NTLMSSP_NEGOTIATE_SIGN
    assert bool(flags & ntlm.NTLMSSP_NEGOTIATE_SEAL) == (level == "privacy")
    exchange(tool, Session(flags, session_key, client=False))


def test_our_client_responses_match_impacket(tool, monkeypatch):
    """Fixed client challenge and session key, time zero, no server
    timestamp: computeResponseNTLMv2 (TEST_CASE) must give our bytes."""
    monkeypatch.setattr(ntlm, "TEST_CASE", True)
    client_challenge, key = bytes(range(1, 9)), bytes(range(100, 116))
    tool.ok("client", USER, DOMAIN, PASSWORD, "privacy")
    tool.ok("fix", client_challenge, key, 0)
    negotiate = bytes.fromhex(tool.ok("negotiate")[0])
    server_challenge = os.urandom(8)
    ch = impacket_challenge(negotiate, server_challenge, timestamp=False)
    auth = parse_authenticate(bytes.fromhex(tool.ok("authenticate", ch.getData())[0]))
    server_name = auth["ntlm"][16 + 28:-4]  # the AV pairs we sent, EOL included
    nt, lm, base_key = ntlm.computeResponseNTLMv2(ch["flags"], server_challenge, client_challenge, server_name,
                                                  DOMAIN, USER, PASSWORD)
    assert auth["ntlm"] == nt
    assert auth["lanman"] == lm
    assert auth["session_key"] == ntlm.generateEncryptedSessionKey(base_key, key)
    # no timestamp from the server: no MIC announced
    assert not ntlm.AV_PAIRS(server_name)[ntlm.NTLMSSP_AV_FLAGS]


@pytest.mark.parametrize("drop, says", [
    (ntlm.NTLMSSP_NEGOTIATE_SEAL, "sealing"),
    (ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH, "key exchange"),
    (ntlm.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, "extended session security"),
])
def test_our_client_refuses_weak_challenge(tool, drop, says):
    *_, reply = our_login(tool, drop=drop)
    assert reply[:2] == ["err", "EAUTH"] and says in " ".join(reply), reply
