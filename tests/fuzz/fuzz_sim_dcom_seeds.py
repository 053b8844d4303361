"""
fuzz_sim_dcom_seeds.py: writes the seed corpus of fuzz_sim_dcom
(tests/fuzz/corpus/fuzz_sim_dcom) from what impacket really sends: it runs
a wmsim with DCOM, drives it with impacket as tests/python/test_sim_dcom.py
does, records every ORPC request stub impacket makes (its IWbem* calls,
IRemUnknown, IObjectExporter, activation) and writes them in the target's
input format (fuzz_sim_dcom.c), one seed per session of calls, plus raw
unauthenticated PDUs.  Needs root (port 135 on loopback).

    /usr/bin/python3 tests/fuzz/fuzz_sim_dcom_seeds.py [build/wmsim]
"""
import os
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path

from impacket.dcerpc.v5 import dcomrt, rpcrt, transport
from impacket.dcerpc.v5.dcom import wmi
from impacket.dcerpc.v5.dtypes import NULL
from impacket.dcerpc.v5.rpcrt import DCERPCException, RPC_C_AUTHN_LEVEL_PKT_PRIVACY
from impacket.uuid import bin_to_string

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "fuzz" / "corpus" / "fuzz_sim_dcom"
ADDR = "127.0.77.1"
ENDPOINT_IFACES = ["00000131-0000-0000-c000-000000000046", "00000143-0000-0000-c000-000000000046",
                   "f309ad18-d86a-11d0-a075-00c04fb68820", "d4781cd6-e5d3-44df-ad94-930efe48a887",
                   "9556dc99-828c-11cf-a37e-00aa003240c7", "027947e1-d731-11ce-a357-000000000001",
                   "44aca675-e8fc-11d0-a07c-00c04fb68820"]
OBJECT_OF = {}  # IPID text -> object index of fuzz_sim_dcom.c
records = []


def record(iid, opnum, ipid, stub):
    iid = iid if isinstance(iid, str) else bin_to_string(iid[:16]).lower()
    if iid.lower() not in ENDPOINT_IFACES:
        return
    obj = 0 if ipid is None else OBJECT_OF.get(bin_to_string(ipid).lower(), 4)
    records.append(bytes([ENDPOINT_IFACES.index(iid.lower()), opnum, obj]) + struct.pack("<H", len(stub)) + stub)


original = dcomrt.INTERFACE.request
original_rpc = rpcrt.DCERPC_v5.request
ACTIVATION_CALLS = {"RemoteCreateInstance": 0, "ResolveOxid": 1, "SimplePing": 1, "ComplexPing": 1,
                    "ServerAlive2": 1, "ResolveOxid2": 1}
activation = []


def recording_rpc(self, req, uuid=None, checkError=True):
    """Calls on port 135 (activation, the resolver) are plain DCE/RPC requests."""
    iface = ACTIVATION_CALLS.get(type(req).__name__)
    if iface is not None:
        stub = req.getData()
        activation.append(bytes([iface, req.opnum, 255]) + struct.pack("<H", len(stub)) + stub)
    return original_rpc(self, req, uuid, checkError)


def recording(self, req, iid=None, uuid=None):
    req["ORPCthis"] = self.get_cinstance().get_ORPCthis()
    req["ORPCthis"]["flags"] = 0
    record(iid, req.opnum, uuid, req.getData())
    return original(self, req, iid, uuid)


def flush(name, mode=0x0A):  # endpoint, authenticated, PKT_PRIVACY
    global records
    if records:
        (OUT / name).write_bytes(bytes([mode]) + b"".join(records))
    records = []


def rpc_bind(iid, call_id=1):
    ndr = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860").bytes_le + struct.pack("<I", 2)
    body = struct.pack("<HHIB3x", 5840, 5840, 0, 1) + struct.pack("<HBx", 0, 1) + uuid.UUID(iid).bytes_le
    body += struct.pack("<I", 0) + ndr
    return struct.pack("<BBBBIHHI", 5, 0, 11, 3, 0x10, 16 + len(body), 0, call_id) + body


def rpc_request(opnum, stub=b"", call_id=2, obj=None):
    flags = 0x03 | (0x80 if obj else 0)
    head = struct.pack("<BBBBIHHIIHH", 5, 0, 0, flags, 0x10, 24 + len(stub) + (16 if obj else 0), 0, call_id,
                       len(stub), 0, opnum)
    return head + (obj or b"") + stub


def main():
    wmsim = sys.argv[1] if len(sys.argv) > 1 else str(REPO / "build" / "wmsim")
    OUT.mkdir(parents=True, exist_ok=True)
    p = subprocess.Popen([wmsim, "--listen", ADDR + ",dcom", "--user", "alice:Secret-1", "--bench-instances", "50"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    while "ready" not in p.stdout.readline():
        pass
    dcomrt.INTERFACE.request = recording
    rpcrt.DCERPC_v5.request = recording_rpc
    try:
        dcom = dcomrt.DCOMConnection(ADDR, "alice", "Secret-1", "", authLevel=RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
        iface = dcom.CoCreateInstanceEx(wmi.CLSID_WbemLevel1Login, wmi.IID_IWbemLevel1Login)
        OBJECT_OF[bin_to_string(iface.get_iPid()).lower()] = 1
        login = wmi.IWbemLevel1Login(iface)
        login.EstablishPosition()
        svc = login.NTLMLogin("//./root/cimv2", NULL, NULL)
        OBJECT_OF[bin_to_string(svc.get_iPid()).lower()] = 2
        test = login.NTLMLogin("//./root/test", NULL, NULL)
        OBJECT_OF[bin_to_string(test.get_iPid()).lower()] = 3
        flush("login")
        svc.GetObject("Win32_Service")
        svc.GetObject('Win32_Service.Name="WinRM"')
        svc.GetObject('Win32_DependentService.Antecedent="Win32_Service.Name=\\"RpcEptMapper\\"",'
                      'Dependent="Win32_Service.Name=\\"RpcSs\\""')
        flush("getobject")
        e = svc.ExecQuery("SELECT Name, State FROM Win32_Service WHERE State = 'Running'")
        e.Next(0xFFFFFFFF, 3)
        e.Skip(0xFFFFFFFF, 2)
        e.Reset()
        svc.ExecQuery('ASSOCIATORS OF {Win32_Service.Name="LanmanServer"} WHERE Role = Dependent', 0x30)
        test.ExecQuery("SELECT * FROM Sim_Bench WHERE Id > 40")
        test.CreateInstanceEnum("Sim_Item")
        svc.ExecNotificationQuery("SELECT * FROM __InstanceCreationEvent WITHIN 1", 0x30)
        flush("query")
        cls, _ = svc.GetObject("Win32_Environment")
        env = cls.SpawnInstance()
        env.Name, env.UserName, env.VariableValue = "SEED", "<SYSTEM>", "v"
        for mode in (2, 0, 1):
            try:
                svc.PutInstance(env.marshalMe(), mode)
            except DCERPCException:
                pass
        svc.DeleteInstance('Win32_Environment.Name="SEED",UserName="<SYSTEM>"')
        flush("putinstance")
        proc, _ = svc.GetObject("Win32_Process")
        out = proc.Create("notepad.exe", "C:\\", None)
        bits, _ = svc.GetObject('Win32_Service.Name="BITS"')
        bits.StartService()
        bits.ChangeStartMode("Disabled")
        svc.ExecMethod('Win32_Process.Handle="%d"' % out.ProcessId, "Terminate")
        flush("execmethod")
        login.RemRelease()
        flush("remunknown")
        t = transport.DCERPCTransportFactory("ncacn_ip_tcp:%s" % ADDR)
        t.set_credentials("alice", "Secret-1", "", "", "")
        d = t.get_dce_rpc()
        d.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
        ex = dcomrt.IObjectExporter(d)
        ex.ServerAlive2()
        ex.ResolveOxid(iface.get_oxid(), (7,))
        ex.ResolveOxid2(iface.get_oxid(), (7,))
        r = ex.ComplexPing(0, 0, [iface.get_oid()], [])
        ex.SimplePing(r["pSetId"])
        ex.ComplexPing(r["pSetId"], 1, [], [iface.get_oid()])
        (OUT / "activation").write_bytes(bytes([0x0B]) + b"".join(activation))
        dcom.disconnect()
    finally:
        dcomrt.INTERFACE.request = original
        rpcrt.DCERPC_v5.request = original_rpc
        p.terminate()
        p.wait()
    # raw, unauthenticated: the resolver's ServerAlive2 and an activation refused
    (OUT / "raw-serveralive2").write_bytes(b"\x01" + rpc_bind("99fcfec4-5260-101b-bbcb-00aa0021347a") +
                                          rpc_request(5) + rpc_request(3, call_id=3))
    (OUT / "raw-activation").write_bytes(b"\x01" + rpc_bind("000001a0-0000-0000-c000-000000000046") +
                                         rpc_request(4, b"\x00" * 64))
    (OUT / "raw-endpoint").write_bytes(b"\x00" + rpc_bind("9556dc99-828c-11cf-a37e-00aa003240c7") +
                                       rpc_request(6, b"\x00" * 40, obj=b"\x11" * 16))
    print("seeds in", OUT, sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
