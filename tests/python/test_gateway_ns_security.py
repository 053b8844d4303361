"""
test_gateway_ns_security.py: a host namespace's own security descriptor
through the gateway (GET/PUT /v1/hosts/{host}/namespaces/{ns}/security,
issue 6 parts 2 and 5), with a real wmgw in front of a real wmsim.

One simulated host, SEC-01, speaks WS-Management and DCOM (port 135 on its
own loopback address) over one store, so a descriptor set through one
protocol is read back through the other.  The gateway knows it four times:

    ws, dc          alice (an administrator of the host) over WS-Man / DCOM
    ws-bob, dc-bob  bob (--user-sid: a plain user, Users group) over each

The simulator's namespaces start with Windows' default root\\cimv2
descriptor, under which bob may not even log in remotely.  Independent
clients of the simulator's __SystemSecurity: pywinrm (simclient.Client,
WS-Man Invoke of GetSD/SetSD) and impacket (DCOM ExecMethod), with
impacket's own security descriptor parser (ldaptypes) reading the bytes.

Run: WMSIM_BIN=build/wmsim WMGW_BIN=build/wmgw /usr/bin/python3 -m pytest tests/python/test_gateway_ns_security.py
"""
import contextlib

import pytest

import gwclient
import simclient as sc
from conftest import FILE_USERS, PASSWORD, USER, start_fleet
from test_sim_dcom import can_bind_135, session

import impacket.ldap.ldaptypes as ldaptypes

BOB, BOB_PW = FILE_USERS[0]
BOB_SID = "S-1-5-21-1111-2222-3333-2001"
DEFAULT = "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRP;;;NS)(A;CI;CCDCRP;;;LS)(A;CI;CCDCRP;;;AU)"
WITH_BOB = DEFAULT + "(A;CI;CCDCRPWPRC;;;%s)" % BOB_SID
CIMV2 = "root%2Fcimv2"
SECURITY_URI = sc.wmi_uri("__SystemSecurity")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    if not can_bind_135("127.3.2.1"):
        pytest.skip("port 135 cannot be bound on loopback (needs root): impacket's DCOM client wants it")
    s = start_fleet(tmp_path_factory.mktemp("wmsim-nssec"), ["--user-sid", "%s=%s,BU" % (BOB, BOB_SID)],
                    nhosts=1, names=["SEC-01"], listen_opts=[lambda a, p: ",dcom"])
    yield s
    s.process.stop()


@pytest.fixture(scope="module")
def gw(sim, tmp_path_factory):
    h = sim.hosts[0]

    def ws(user, pw):
        return [("address", h.address), ("port", h.port), ("protocol", "wsmv"), ("user", user), ("password", pw)]

    def dc(user, pw):
        return [("address", h.address), ("protocol", "dcom"), ("user", user), ("password", pw)]

    hosts = {"ws": ws(USER, PASSWORD), "dc": dc(USER, PASSWORD), "ws-bob": ws(BOB, BOB_PW), "dc-bob": dc(BOB, BOB_PW)}
    g = gwclient.Gateway(tmp_path_factory.mktemp("gw-nssec"), "gw-nssec", [("workers", "1")], hosts).start()
    yield g
    g.stop()


@pytest.fixture(autouse=True)
def default_descriptor(sim):
    sim.control.reset("SEC-01")   # the store, and with it every descriptor, back to the defaults
    yield


def path(host, ns=CIMV2):
    return "/v1/hosts/%s/namespaces/%s/security" % (host, ns)


def get_sddl(gw, host):
    r = gw.get(path(host))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["host"] == host and body["namespace"] == "root/cimv2"
    return body["sddl"]


def put_sddl(gw, host, sddl):
    r = gw.put(path(host), {"sddl": sddl})
    assert r.status_code == 200, r.text
    return r.json()["sddl"]


# --- independent clients of the simulator ------------------------------------------------------------


def winrm_get_sd(sim, user=USER, password=PASSWORD):
    """GetSD through pywinrm: the SD out-parameter as bytes."""
    c = sc.Client(sim.hosts[0].endpoint, user, password)
    out, _ = c.invoke(SECURITY_URI, "GetSD")
    assert out["ReturnValue"] == "0"
    return bytes(int(v) for v in sc.as_list(out["SD"]))


def winrm_set_sd(sim, blob):
    c = sc.Client(sim.hosts[0].endpoint, USER, PASSWORD)
    out, _ = c.invoke(SECURITY_URI, "SetSD", [("SD", [str(b) for b in blob])])
    assert out["ReturnValue"] == "0"


@contextlib.contextmanager
def impacket_services(sim, user=USER, password=PASSWORD):
    """impacket's IWbemServices on root/cimv2 of the host (test_sim_dcom's session)."""
    with session(sim.hosts[0], user=user, password=password) as s:
        yield s.svc


def impacket_get_sd(sim):
    with impacket_services(sim) as svc:
        cls, _ = svc.GetObject("__SystemSecurity")
        out = cls.GetSD()
        assert out.ReturnValue == 0
        return bytes(out.SD)


def parse_sd(blob):
    """impacket's reading of a self-relative descriptor: owner, group and
    the DACL as (type, flags, mask, sid)."""
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR(data=blob)
    aces = [(a["AceType"], a["AceFlags"], a["Ace"]["Mask"]["Mask"], a["Ace"]["Sid"].formatCanonical())
            for a in sd["Dacl"].aces]
    return sd["OwnerSid"].formatCanonical(), sd["GroupSid"].formatCanonical(), aces


DEFAULT_ACES = [(0, 2, 0x6003F, "S-1-5-32-544"), (0, 2, 0x13, "S-1-5-20"), (0, 2, 0x13, "S-1-5-19"),
                (0, 2, 0x13, "S-1-5-11")]


# --- tests ---------------------------------------------------------------------------------------------


def test_default_descriptor_over_both_protocols(gw, sim):
    assert get_sddl(gw, "ws") == DEFAULT
    assert get_sddl(gw, "dc") == DEFAULT


def test_simulator_descriptor_read_by_pywinrm_and_impacket(sim):
    blob = winrm_get_sd(sim)
    assert parse_sd(blob) == ("S-1-5-32-544", "S-1-5-32-544", DEFAULT_ACES)
    assert impacket_get_sd(sim) == blob


def test_setsd_round_trip_wsman_to_dcom_and_back(gw, sim):
    assert put_sddl(gw, "ws", WITH_BOB) == WITH_BOB
    assert get_sddl(gw, "dc") == WITH_BOB
    owner, group, aces = parse_sd(winrm_get_sd(sim))          # what the host now holds, read independently
    assert aces == DEFAULT_ACES + [(0, 2, 0x20033, BOB_SID)]
    assert put_sddl(gw, "dc", DEFAULT) == DEFAULT
    assert get_sddl(gw, "ws") == DEFAULT
    assert impacket_get_sd(sim) == winrm_get_sd(sim)


def test_descriptor_set_by_pywinrm_is_read_by_the_gateway(gw, sim):
    blob = winrm_get_sd(sim)
    # Drop the last ACE (Authenticated Users) by rewriting the DACL through impacket's structures.
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR(data=blob)
    sd["Dacl"].aces = sd["Dacl"].aces[:3]
    winrm_set_sd(sim, sd.getData())
    want = DEFAULT[:DEFAULT.index("(A;CI;CCDCRP;;;AU)")]
    assert get_sddl(gw, "ws") == want
    assert get_sddl(gw, "dc") == want


def test_without_owner_and_group_the_current_ones_stay(gw):
    assert put_sddl(gw, "ws", "D:(A;CI;CCDCLCSWRPWPRCWD;;;BA)") == "D:(A;CI;CCDCLCSWRPWPRCWD;;;BA)"
    assert get_sddl(gw, "dc") == "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)"


def test_bad_sddl_is_400_before_the_host(gw, sim):
    before = sim.control.host("SEC-01")["counters"]["requests"]
    r = gw.put(path("ws"), {"sddl": "D:(A;;XX;;;BA)"})
    gwclient.assert_problem(r, 400)
    assert "sddl" in r.json()["detail"]
    r = gw.put(path("ws"), {"acl": "D:"})
    gwclient.assert_problem(r, 400)
    assert sim.control.host("SEC-01")["counters"]["requests"] == before


def test_user_without_rights_is_denied_by_the_host(gw):
    # Under the default descriptor bob has no READ_CONTROL (WS-Man) and no
    # remote enable (DCOM NTLMLogin): the host refuses, the gateway says 403
    # with the host's own error.
    r = gw.get(path("ws-bob"))
    gwclient.assert_problem(r, 403)
    assert r.json()["backend"]["protocol"] == "wsmv"
    assert "AccessDenied" in r.text, r.text
    r = gw.get(path("dc-bob"))
    gwclient.assert_problem(r, 403)
    assert "WBEM_E_ACCESS_DENIED" in r.text or "0x80041003" in r.text.lower(), r.text


def test_access_follows_setsd(gw):
    """Granted by one SetSD, taken away by the next: the host checks every
    call against the namespace's current descriptor."""
    put_sddl(gw, "ws", WITH_BOB)
    assert get_sddl(gw, "ws-bob") == WITH_BOB
    assert get_sddl(gw, "dc-bob") == WITH_BOB
    # bob may read but not write the descriptor (no WD in his ACE).
    r = gw.put(path("ws-bob"), {"sddl": DEFAULT})
    gwclient.assert_problem(r, 403)
    put_sddl(gw, "dc", DEFAULT)
    gwclient.assert_problem(gw.get(path("ws-bob")), 403)
    gwclient.assert_problem(gw.get(path("dc-bob")), 403)     # a pooled DCOM session is checked again too


def test_impacket_as_a_plain_user_cannot_log_in(sim):
    with pytest.raises(Exception) as e:
        with impacket_services(sim, BOB, BOB_PW):
            pass
    assert "WBEM_E_ACCESS_DENIED" in str(e.value) or "0x80041003" in str(e.value).lower(), e.value


def test_instance_reads_and_writes_follow_the_descriptor(gw):
    """Every operation is checked against the namespace's descriptor on both
    fronts: reads need enable + remote enable, writes a write right too."""
    svc = gwclient.inst_path("{h}", gwclient.CIMV2, "Win32_Service", Name="WinRM")
    envs = gwclient.list_path("{h}", gwclient.CIMV2, "Win32_Environment")
    env = gwclient.inst_path("{h}", gwclient.CIMV2, "Win32_Environment", Name="BOB_VAR", UserName="<SYSTEM>")
    body = {"Name": "BOB_VAR", "UserName": "<SYSTEM>", "VariableValue": "1"}
    for h in ("ws-bob", "dc-bob"):
        gwclient.assert_problem(gw.get(svc.replace("{h}", h)), 403)       # default: no remote enable
    put_sddl(gw, "ws", WITH_BOB)                                            # read, execute, no write
    for h in ("ws-bob", "dc-bob"):
        r = gw.get(svc.replace("{h}", h))
        assert r.status_code == 200 and r.json()["Name"] == "WinRM", r.text
        gwclient.assert_problem(gw.post(envs.replace("{h}", h), body), 403)
    assert gw.get(env.replace("{h}", "ws")).status_code == 404               # nothing was written
    put_sddl(gw, "ws", DEFAULT + "(A;CI;CCDCSWRPWPRC;;;%s)" % BOB_SID)      # + partial write
    for h in ("ws-bob", "dc-bob"):
        r = gw.post(envs.replace("{h}", h), body)
        assert r.status_code == 201, r.text
        r = gw.delete(env.replace("{h}", h))
        assert r.status_code == 204, r.text
