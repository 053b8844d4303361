"""
test_gateway_kdc_offload.py: a slow KDC does not stall the gateway (issue 6).

MIT krb5 asks the KDC for tickets inside gss_acquire_cred and
gss_init_sec_context.  The gateway makes the first Kerberos token of a
connection on a helper thread (translators/transport/offload.c), so the
worker's loop goes on serving while a ticket request waits.  Here the
gateway's KDC is a gated relay (conftest.Relay) in front of the real one
(tests/kdc/start): while it holds a ticket request, the gateway's only
worker still answers other calls, including backend calls; released, the
Kerberos call completes.  A KDC that never answers ends in the call's
deadline with a message that names the KDC.

Run: WMSIM_BIN=build/wmsim WMGW_BIN=build/wmgw /usr/bin/python3 -m pytest tests/python/test_gateway_kdc_offload.py
"""
import re
import threading
from pathlib import Path

import pytest

import conftest
from gwclient import CIMV2, Gateway, assert_problem, inst_path
from test_sim_auth import cert, kdc  # noqa: F401  (the simulator tests' KDC fixture)

SPN = "HTTP/web01.wmgw.test"  # in tests/kdc/start's http.keytab


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, kdc):
    s = conftest.start_fleet(tmp_path_factory.mktemp("wmsim-kdc-slow"), ["--keytab", kdc["WMGW_KDC_HTTP_KEYTAB"]],
                             nhosts=1, names=["KRB-01"])
    yield s
    s.process.stop()


@pytest.fixture(scope="module")
def kdc_gate(kdc):
    """A relay to the KDC that holds every connection while the gate is clear."""
    gate = threading.Event()
    gate.set()
    relay = conftest.Relay(("127.0.0.1", int(kdc["WMGW_KDC_PORT"])), gate=gate)
    yield gate, relay
    gate.set()
    relay.close()


@pytest.fixture(scope="module")
def gw(tmp_path_factory, fleet, kdc, kdc_gate):
    tmp = tmp_path_factory.mktemp("gw-kdc-slow")
    conf = Path(kdc["KRB5_CONFIG"]).read_text()
    conf, n = re.subn(r"kdc = 127\.0\.0\.1:\d+", "kdc = 127.0.0.1:%d" % kdc_gate[1].port, conf)
    assert n == 1
    (tmp / "krb5.conf").write_text(conf)
    h = fleet.hosts[0]

    def host(user, password, **kw):
        kv = [("address", h.address), ("port", h.port), ("protocol", "wsmv"), ("user", user), ("password", password),
              ("operation-timeout", "4s")]
        return kv + [(k.replace("_", "-"), v) for k, v in kw.items()]

    hosts = {
        "krb": host("alice", kdc["WMGW_KDC_ALICE_PASSWORD"], auth="kerberos", domain="WMGW.TEST", spn=SPN),
        "krb-carol": host("carol", kdc["WMGW_KDC_CAROL_PASSWORD"], auth="kerberos", domain="WMGW.TEST", spn=SPN),
        "basic": host(conftest.USER, conftest.PASSWORD),
    }
    g = Gateway(tmp, "gw", [("workers", "1")], hosts, env={"KRB5_CONFIG": str(tmp / "krb5.conf")})
    g.start()
    yield g
    g.stop()


def winrm(gw, host, **kw):
    return gw.get(inst_path(host, CIMV2, "Win32_Service", Name="WinRM"), **kw)


def test_worker_serves_while_a_ticket_request_waits(gw, kdc_gate):
    gate, relay = kdc_gate
    gate.clear()
    relay.arrived.clear()
    answer = {}
    t = threading.Thread(target=lambda: answer.update(r=winrm(gw, "krb", timeout=30)), daemon=True)
    t.start()
    try:
        assert relay.arrived.wait(10), "the gateway never asked the KDC"
        # The one worker is free: a backend call and a plain one are answered
        # while the KDC holds the ticket request.
        r = winrm(gw, "basic", timeout=5)
        assert r.status_code == 200, r.text
        assert gw.get("/healthz", timeout=5).status_code == 200
        assert t.is_alive(), "the Kerberos call ended although the KDC has not answered"
    finally:
        gate.set()
    t.join(30)
    assert answer["r"].status_code == 200, answer["r"].text
    assert answer["r"].json()["Name"] == "WinRM"


def test_kdc_that_never_answers_ends_in_the_deadline(gw, kdc_gate):
    gate, relay = kdc_gate
    gate.clear()
    relay.arrived.clear()
    try:
        r = winrm(gw, "krb-carol", timeout=30)     # carol has no ticket yet: an AS exchange is due
        assert relay.arrived.is_set()
        p = assert_problem(r, 504)
        assert "Kerberos" in p["detail"] and "KDC" in p["detail"], p
        assert winrm(gw, "basic", timeout=5).status_code == 200
    finally:
        gate.set()
    # The ticket request ends once the KDC answers; the next call works.
    r = winrm(gw, "krb-carol", timeout=30)
    assert r.status_code == 200, r.text
