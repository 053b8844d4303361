"""
test_sim_replay.py: real WinRM traffic replayed against the simulator.

For each request in ../../shared/captures/wsmv that the simulator can
answer, the request is sent (adapted to classes the simulator has) and the
answer is compared STRUCTURALLY with what Windows answered: element names
and namespaces, element order, property order, value shapes, header
elements, fault code/subcode/detail structure.  Values differ (another
machine), and so do some things on purpose: every such difference is in
DELIBERATE below, with its reason, and the tests check that the
difference is exactly that one.

The captures are read at run time, never copied (several are GPL test
data, see SOURCES.md).  Their location: $WMGW_CAPTURES, else
<repo>/../shared/captures; without them this module is skipped.
"""
import os
import re
from pathlib import Path

import pytest

import simclient as sc
from simclient import NS, local, prop_names, q, read_props, split, wmi_uri, wql_filter

REPO = Path(__file__).resolve().parents[2]
CAPTURES = Path(os.environ.get("WMGW_CAPTURES", str(REPO.parent / "shared" / "captures")))
if not (CAPTURES / "wsmv").is_dir():
    pytest.skip("no captures at %s (set WMGW_CAPTURES)" % CAPTURES, allow_module_level=True)
WSMV = CAPTURES / "wsmv"
SPEC = WSMV / "spec-ms-wsmv"

ALL_CIMV2 = wmi_uri("*")
ITEM = wmi_uri("Sim_Item", "root/test")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# What differs from the real answers on purpose, and why.
DELIBERATE = {
    "first-batch": "Server 2008/2012 put exactly one instance in an optimized EnumerateResponse whenever more "
                   "existed; the simulator fills the first batch up to MaxElements and the envelope size, as "
                   "DSP0226 allows. So the number of items per reply and of replies differs, never their shape.",
    "missing-properties": "Windows 2008/2012 enumerate Win32_TerminalService (a Win32_Service subclass with "
                          "DisconnectedSessions, TotalSessions) among the services; the fixtures model no "
                          "Win32_TerminalService.",
    "newer-properties": "The fixtures model Server 2019 (10.0.17763): properties added after 2008/2012 exist.",
    "values": "Another machine: values, counts, names and ids differ.",
    "spec-mustunderstand": "MS-WSMV 4.x examples mark response headers mustUnderstand; real WinRM responses carry "
                           "no mustUnderstand (captures), nor does the simulator.",
    "spec-location": "MS-WSMV 4.1.x examples append a cim:Location EPR to instances (a Server 2003 trait); real "
                     "WinRM 2.0+ responses have none (captures), nor does the simulator.",
    "spec-class": "MS-WSMV examples use root/mynamespace/myclass {id, Data1}; replayed on root/test Sim_Item "
                  "{Id, Label, Tags}.",
    "spec-fault-code": "The MS-WSMV 4.10 example shows WSManFault Code 32768, Machine as a URL, a short "
                       "'wsman:faultDetail/..' and ProviderFault providerId; Windows sends 2150858752, the host, "
                       "the full FaultDetail URI and provider/path attributes (protocol-notes 1.12, 7.6).",
    "wmi-error": "WMI errors carry both the WSManFault (WinRM 2.0 shape) and the MSFT_WmiError instance of "
                 "WinRM 3.0+ (the simulator says Stack: 3.0), so clients of either shape are served.",
    "extended-status": "WinRM 2.0 (2008 R2) put WMI's __ExtendedStatus in f:ExtendedError; WinRM 3.0+ reports "
                       "the MSFT_WmiError instead.",
    "activity-id": "p:ActivityId (WinRM 3.0+) is an optional header the simulator does not send.",
    "winrm3": "The simulated hosts are WinRM 3.0 (Stack: 3.0, also to anonymous callers); the Identify "
              "capture is a 2008 R2 (WinRM 2.0) host.",
    "winrm1": "WinRM 1.x (WinRb 'v1') named its plugin 'WMIv1 plugin for Windows Remote Management ' and added "
              "xml:lang on the inner WSManFault; the simulator speaks WinRM 3.0.",
    "dmtf-uri": "The simulator's classes are WMI classes (no DMTF-versioned ones): DMTF class URIs "
                "(.../wscim/1/cim-schema/2/...) and the DMTF all-classes URI are replayed as WMI URIs.",
}

# Properties the real hosts sent that the fixtures do not model (Win32_TerminalService's), and properties
# the fixtures have that 2008/2012 do not (newer Windows), per class and server.
MISSING = {"Win32_Service": {"DisconnectedSessions", "TotalSessions"}}
NEWER = {
    ("Win32_ComputerSystem", "server2008"): {"ChassisSKUNumber", "HypervisorPresent", "PCSystemTypeEx",
                                             "SystemFamily", "SystemSKUNumber"},
    ("Win32_ComputerSystem", "server2012"): {"ChassisSKUNumber", "PCSystemTypeEx", "SystemFamily",
                                             "SystemSKUNumber"},
    ("Win32_OperatingSystem", "server2008"): {"PortableOperatingSystem", "QuantumLength", "QuantumType"},
    ("Win32_OperatingSystem", "server2012"): {"QuantumLength", "QuantumType"},
    ("Win32_Service", "server2008"): {"DelayedAutoStart"},
    ("Win32_Service", "server2012"): {"DelayedAutoStart"},
}

TXWINRM_MESSAGE_ID = "uuid:55F28C75-F63E-4F68-8360-A8C478003959"  # the template's (SOURCES.md)


def reply_of(path):
    return sc.Reply(path.read_bytes())


def text_of(e):
    return "".join(e.itertext()).strip() if e is not None else None


# --- structure of one reply ---------------------------------------------------------------


def check_envelope(real, sim):
    """Envelope and header elements as the real reply has them."""
    assert sim.root.tag == real.root.tag == q("s", "Envelope")
    assert sim.root.get(XML_LANG) == real.root.get(XML_LANG)
    rh = [n for n in real.header_names() if n != "ActivityId"]  # DELIBERATE["activity-id"]
    assert sim.header_names() == rh
    for c in sim.header:
        assert split(c.tag)[0] == NS["a"]
        assert not [a for a in c.attrib if local(a) == "mustUnderstand"]
    assert sim.action == real.action.strip()
    assert sim.hdr("a", "To") == real.hdr("a", "To").strip() == sc.ANONYMOUS


def enumeration_rules(replies):
    """The shape every reply of one enumeration has (captures, SOURCES.md):
    returns a list of labels, one per reply, that must be the same for the
    real and the simulated enumeration up to the number of middle pulls."""
    labels = []
    for i, r in enumerate(replies):
        resp = r.first
        kids = [(split(c.tag)[0], local(c.tag)) for c in resp]
        ctx = resp.find("n:EnumerationContext", NS)
        if i == 0:
            assert resp.tag == q("n", "EnumerateResponse")
            if (NS["w"], "EndOfSequence") in kids:
                assert kids == [(NS["n"], "EnumerationContext"), (NS["w"], "Items"), (NS["w"], "EndOfSequence")]
                assert text_of(ctx) == ""  # empty context next to EndOfSequence
                labels.append("enumerate-all")
            else:
                assert kids == [(NS["n"], "EnumerationContext"), (NS["w"], "Items")]
                labels.append("enumerate-more")
        else:
            assert resp.tag == q("n", "PullResponse")
            if (NS["n"], "EndOfSequence") in kids:
                assert kids == [(NS["n"], "Items"), (NS["n"], "EndOfSequence")]  # no context at the end
                labels.append("pull-last")
            else:
                assert kids == [(NS["n"], "EnumerationContext"), (NS["n"], "Items")]
                labels.append("pull-more")
        if ctx is not None and text_of(ctx):
            assert re.fullmatch(r"uuid:[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", text_of(ctx))
    contexts = [text_of(r.first.find("n:EnumerationContext", NS)) for r in replies[:-1]]
    assert len(set(contexts)) == len(contexts)  # a new context in every reply
    assert labels[-1] in ("enumerate-all", "pull-last")
    # Up to the number of pulls in the middle, one of two sequences.
    squeezed = [l for j, l in enumerate(labels) if not (l == "pull-more" and j > 0 and labels[j - 1] == "pull-more")]
    return squeezed


def items_of(replies):
    out = []
    for i, r in enumerate(replies):
        its = r.first.find("w:Items" if i == 0 else "n:Items", NS)
        out.extend(list(its) if its is not None else [])
    return out


# --- value shapes -------------------------------------------------------------------------------


def shape(e):
    """The shape of one property element: nil, datetime, interval, epr,
    object, bool, int, real, text or empty."""
    if sc.is_nil(e):
        return "nil"
    kids = list(e)
    if kids:
        n = local(kids[0].tag)
        if n == "Datetime":
            return "datetime"
        if n == "Interval":
            return "interval"
        if n == "Address":
            return "epr"
        return "object"
    t = e.text or ""
    if t == "":
        return "empty"
    if t in ("true", "false"):
        return "bool"
    if re.fullmatch(r"-?\d+", t):
        return "int"
    if re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?|INF|-INF|NaN", t):
        return "real"
    return "text"


ALLOWED = {
    "boolean": {"bool"},
    "string": {"text", "int", "real", "bool", "empty"},
    "char16": {"text", "int"},
    "datetime": {"datetime"},
    "interval": {"interval"},
    "real32": {"real", "int"},
    "real64": {"real", "int"},
}


def allowed_shapes(cim_type):
    base = cim_type.rstrip("[]")
    if base.startswith("ref:"):
        return {"epr"}
    if base.startswith("object:"):
        return {"object"}
    if base in ALLOWED:
        return ALLOWED[base]
    return {"int"}  # the integer types


def properties(item):
    """(name, [shapes]) of an instance or fragment, in document order with
    repeated elements (arrays) together."""
    out = []
    for c in item:
        n = local(c.tag)
        if out and out[-1][0] == n:
            out[-1][1].append(shape(c))
        else:
            out.append((n, [shape(c)]))
    return out


# --- txwinrm enumerations from Server 2008 and 2012 ------------------------------------------------

SIM_CLASSES = ["Win32_ComputerSystem", "Win32_LogicalDisk", "Win32_OperatingSystem", "Win32_Process",
               "Win32_Service"]


def enumerate_captures():
    out = []
    for srv in ("server2008", "server2012"):
        for cls in SIM_CLASSES:
            for kind in ("star", "all"):
                files = sorted((WSMV / "enumerate" / srv).glob("%s_%s_[0-9][0-9][0-9].xml" % (cls, kind)))
                if files:
                    out.append((srv, cls, kind))
    return out


CASES = enumerate_captures()


def real_replies(srv, cls, kind):
    return [reply_of(f) for f in sorted((WSMV / "enumerate" / srv).glob("%s_%s_[0-9][0-9][0-9].xml" % (cls, kind)))]


def query_for(model, srv, cls, kind):
    """The WQL txwinrm sent: select * (star), or every property in the
    .properties list (all), limited to what the fixtures model."""
    if kind == "star":
        return "select * from %s" % cls
    props = (WSMV / "enumerate" / srv / ("%s.properties" % cls)).read_text().split()
    ours = {p.lower() for p in model.cls("root/cimv2", cls).props}
    props = [p for p in props if p.lower() in ours]
    return "select %s from %s" % (",".join(props), cls)


def sim_enumeration(client, query):
    """The txwinrm request: optimized Enumerate on the all-classes URI,
    MaxElements 32000, WQL, OperationTimeout PT60.000S, then Pulls."""
    items, replies = client.enumerate_all(ALL_CIMV2, optimize=True, max_elements=32000, pull_max=32000,
                                          filter_xml=wql_filter(query), max_envelope=153600, timeout="PT60.000S",
                                          message_id=TXWINRM_MESSAGE_ID)
    return replies


@pytest.fixture(scope="module")
def replayed(sim, model):
    """Every txwinrm enumeration replayed once (real replies, sim replies)."""
    c = sim.client(0)
    out = {}
    for srv, cls, kind in CASES:
        out[(srv, cls, kind)] = (real_replies(srv, cls, kind), sim_enumeration(c, query_for(model, srv, cls, kind)))
    return out


@pytest.mark.parametrize("srv,cls,kind", CASES)
def test_enumeration_reply_structure(replayed, srv, cls, kind):
    real, sim = replayed[(srv, cls, kind)]
    check_envelope(real[0], sim[0])
    for s in sim[1:]:
        check_envelope(real[1], s)
    assert sim[0].relates_to == real[0].relates_to.strip() == TXWINRM_MESSAGE_ID
    real_labels, sim_labels = enumeration_rules(real), enumeration_rules(sim)
    # DELIBERATE["first-batch"]: Windows sent a single item first whenever
    # there were more; the sequence of reply shapes is otherwise the same.
    if real_labels[0] == "enumerate-more" and sim_labels[0] == "enumerate-all":
        assert len(items_of(real)) > 1 and len(items_of(real[:1])) == 1
    else:
        assert sim_labels == real_labels


@pytest.mark.parametrize("srv,cls,kind", CASES)
def test_enumeration_item_structure(replayed, model, srv, cls, kind):
    real, sim = replayed[(srv, cls, kind)]
    r_items, s_items = items_of(real), items_of(sim)
    assert s_items, "the simulator returned nothing"
    cdef = model.cls("root/cimv2", cls)
    if kind == "star":
        uri = wmi_uri(cls)
        for e in r_items + s_items:
            klass = local(e.tag)
            assert split(e.tag)[0] == wmi_uri(klass)
            assert e.get(sc.XSI_TYPE) == "p:%s_Type" % klass
        assert {local(e.tag) for e in s_items} == {cls}
        assert {local(e.tag) for e in r_items} - {cls} <= {"Win32_TerminalService"}  # DELIBERATE["missing-properties"]
        # The start tag declares xsi, p and cim (even unused) in this order.
        for raw in (real[0].text, sim[0].text):
            m = re.search(r"<p:%s (xmlns:[^ ]+ xmlns:[^ ]+ xmlns:[^ ]+) xsi:type" % cls, raw)
            assert m and re.findall(r"xmlns:(\w+)", m.group(1)) == ["xsi", "p", "cim"], raw[:600]
        for e in s_items:
            assert all(split(c.tag)[0] == uri for c in e)
    else:
        for e in r_items + s_items:
            assert e.tag == q("w", "XmlFragment")
            assert all(split(c.tag)[0] is None for c in e)  # unqualified properties
        # The same properties in every fragment: exactly the selected ones.
        names = lambda e: tuple(n for n, _ in properties(e))  # noqa: E731
        assert {names(e) for e in s_items} == {tuple(n for n in names(r_items[0])
                                                     if n.lower() in {p.lower() for p in cdef.props})}


@pytest.mark.parametrize("srv,cls,kind", CASES)
def test_enumeration_property_order_and_set(replayed, model, srv, cls, kind):
    real, sim = replayed[(srv, cls, kind)]
    cdef = model.cls("root/cimv2", cls)
    real_names = set()
    for e in items_of(real):
        names = [n for n, _ in properties(e)]
        real_names |= set(names)
        assert names == sorted(names, key=str.lower)
    for e in items_of(sim):
        names = [n for n, _ in properties(e)]
        assert names == sorted(names, key=str.lower)
        # Relative order of the properties both sides have is Windows' order.
        rnames = [n for n, _ in properties(items_of(real)[0])]
        common = [n for n in names if n in rnames]
        assert common == [n for n in rnames if n in common]
    if kind == "star":
        ours = set(cdef.props)
        assert real_names - ours == MISSING.get(cls, set())  # DELIBERATE["missing-properties"]
        # Arrays that are NULL are left out by Windows (test_null_arrays_are_omitted).
        null_arrays = {n for n, p in cdef.props.items() if p["type"].endswith("[]")}
        assert ours - real_names - null_arrays == NEWER.get((cls, srv), set())  # DELIBERATE["newer-properties"]


@pytest.mark.parametrize("srv,cls,kind", CASES)
def test_enumeration_value_shapes(replayed, model, srv, cls, kind):
    """number vs text vs nil vs datetime element, per property, on both sides,
    as the property's CIM type requires."""
    real, sim = replayed[(srv, cls, kind)]
    cdef = model.cls("root/cimv2", cls)
    seen = {}
    for side, items in (("real", items_of(real)), ("sim", items_of(sim))):
        for e in items:
            for name, shapes in properties(e):
                n, p = cdef.prop(name)
                if p is None:
                    continue  # DELIBERATE["missing-properties"]
                if len(shapes) > 1:
                    assert p["type"].endswith("[]"), "%s %s: repeated but not an array" % (side, name)
                for s in shapes:
                    if s == "nil":
                        continue
                    assert s in allowed_shapes(p["type"]), "%s %s.%s: %s for %s" % (side, cls, name, s, p["type"])
                    seen.setdefault((side, name), set()).add(s)
    # Where both sides have a value, datetimes are datetimes on both.
    for (side, name), shapes in seen.items():
        other = seen.get(("sim" if side == "real" else "real", name))
        if other is not None and "datetime" in shapes:
            assert other == {"datetime"}


def datetimes(items):
    out = []
    for e in items:
        for c in e.iter():
            if local(c.tag) == "Datetime":
                out.append(c)
    return out


def test_real_datetimes_are_utc():
    """What the next test holds the simulator to: every datetime WinRM sent is
    UTC with 0-6 fractional digits, trailing zeros trimmed."""
    n = 0
    for f in (WSMV / "enumerate").glob("*/*.xml"):
        for d in re.findall(r"<(?:cim:)?Datetime>([^<]*)</", f.read_text(encoding="utf-8")):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z", d), (f, d)
            n += 1
    assert n > 50


@pytest.mark.parametrize("srv,cls,kind", [c for c in CASES if c[1] in ("Win32_OperatingSystem", "Win32_Process")])
def test_enumeration_datetimes_are_utc(replayed, srv, cls, kind):
    """LocalDateTime, CreationDate...: WinRM converts every datetime to UTC
    'Z' (SOURCES.md quirks; test_real_datetimes_are_utc)."""
    real, sim = replayed[(srv, cls, kind)]
    for d in datetimes(items_of(sim)):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z", d.text or ""), d.text


@pytest.mark.parametrize("srv,cls,kind", [c for c in CASES if c[2] == "all"])
def test_projection_fragment_declarations(replayed, srv, cls, kind):
    """A w:XmlFragment re-declares w and xsi (SOURCES.md quirks)."""
    real, sim = replayed[(srv, cls, kind)]
    for raw in (real[0].text, sim[0].text):
        m = re.search(r"<w:XmlFragment ([^>]*)>", raw)
        assert m and sorted(re.findall(r"xmlns:(\w+)", m.group(1))) == ["w", "xsi"], m and m.group(0)


@pytest.mark.parametrize("srv,cls,kind", [c for c in CASES if c[2] == "all" and c[1] == "Win32_OperatingSystem"])
def test_projection_datetime_wrapper(replayed, srv, cls, kind):
    """In a w:XmlFragment the datetime wrapper is an unqualified <Datetime>
    (server2012 Win32_OperatingSystem_all_000)."""
    real, sim = replayed[(srv, cls, kind)]
    rd, sd = datetimes(items_of(real)), datetimes(items_of(sim))
    assert rd and sd
    for d in rd + sd:
        assert d.tag == "Datetime"


def test_null_arrays_are_omitted(sim, model):
    """Windows leaves a NULL array out of a select * instance (captures:
    IPAddress of disabled adapters, PowerManagementCapabilities of
    Win32_LogicalDisk in both .properties lists); a NULL scalar is xsi:nil."""
    for srv in ("server2008", "server2012"):
        listed = (WSMV / "enumerate" / srv / "Win32_LogicalDisk.properties").read_text().split()
        assert "PowerManagementCapabilities" not in listed and "Availability" in listed
    c = sim.client(0)
    items, _ = c.enumerate_all(wmi_uri("Win32_LogicalDisk"), optimize=True, max_elements=10)
    for e in items:
        names = prop_names(e)
        assert "PowerManagementCapabilities" not in names  # NULL in every fixture disk
        assert sc.is_nil(e.find(q("p", "Availability").replace(NS["p"], wmi_uri("Win32_LogicalDisk"))))


def test_page_size_counts_utf16(sim):
    """Real full pages for MaxEnvelopeSize 153600 hold 149-152 KB of UTF-16
    (75-77 KB of UTF-8); the simulator's full pages are as big, never bigger."""
    real_sizes = []
    for f in (WSMV / "enumerate").glob("*/*_00[1-9].xml"):
        t = f.read_text(encoding="utf-8")
        if "EndOfSequence" not in t:
            body = t[t.index("<s:Body>"):]
            real_sizes.append(sc.utf16_size(body))
    assert real_sizes and all(145000 < s <= 153600 for s in real_sizes)
    c = sim.client(0)
    _, replies = c.enumerate_all(wmi_uri("Sim_Bench", "root/test"), optimize=True, max_elements=32000,
                                 pull_max=32000, max_envelope=153600)
    full = [sc.utf16_size(r.text) for r in replies[:-1]]
    assert full and all(145000 < s <= 153600 for s in full), full


# --- faults ---------------------------------------------------------------------------------------


def detail_outline(e, depth=0):
    """(namespace, name, attribute names, children) of a fault detail tree,
    without text and xmlns."""
    attrs = tuple(sorted(local(a) if not a.startswith("{") or split(a)[0] != XML_LANG[1:37] else a
                         for a in e.attrib))
    return (split(e.tag)[0], local(e.tag), attrs, tuple(detail_outline(c, depth + 1) for c in e))


def check_fault_frame(real, sim):
    """Action, Code, Subcode (as namespace + name), Reason present."""
    check_envelope(real.reply, sim.reply)
    assert sim.action == real.action.strip()
    assert sim.code == real.code
    assert sim.subcode_qname() == real.subcode_qname()
    assert sim.status == 500


def test_fault_unknown_class_in_wql_like_server_2008_r2(sim):
    """winrb-soap-fault-v2: the WQL of the capture (its __ExtendedStatus
    quotes it) on the all-classes URI."""
    real = sc.Fault(500, (WSMV / "faults" / "winrb-soap-fault-v2.response.xml").read_bytes())
    query = real.detail.find(".//{%s}ParameterInfo" % wmi_uri("__ExtendedStatus")).text
    assert query == 'Select * from Win32_Processa where name="sshd.exe"'
    c = sim.client(0)
    s = c.fault(sc.ENUMERATE, ALL_CIMV2, body=sc.enumerate_body(filter_xml=wql_filter(query)))
    check_fault_frame(real, s)
    assert s.reason == real.reason  # same text, trailing spaces included
    assert s.wsman_code == real.wsman_code == 2150858778
    # Detail: WSManFault > Message > ProviderFault(provider, path) > WSManFault > Message.
    r_wf, s_wf = real.wsman_fault, s.wsman_fault
    assert detail_outline(r_wf)[:3] == detail_outline(s_wf)[:3]
    rp, sp = real.provider_fault, s.provider_fault
    assert sorted(rp.attrib) == sorted(sp.attrib) == ["path", "provider"]
    assert sp.get("provider") == rp.get("provider") and sp.get("path") == rp.get("path")
    r_inner, s_inner = rp.find("f:WSManFault", NS), sp.find("f:WSManFault", NS)
    assert detail_outline(r_inner) == detail_outline(s_inner)
    assert text_of(s_inner.find("f:Message", NS)) == text_of(r_inner.find("f:Message", NS))
    # DELIBERATE["extended-status"] and ["wmi-error"]: what differs is exactly this.
    assert [local(c.tag) for c in rp] == ["WSManFault", "ExtendedError"]
    assert [local(c.tag) for c in sp] == ["WSManFault"]
    assert [local(c.tag) for c in real.detail] == ["WSManFault"]
    assert [local(c.tag) for c in s.detail] == ["WSManFault", "MSFT_WmiError"]


def test_fault_unknown_class_in_wql_like_winrm_1(sim):
    real = sc.Fault(500, (WSMV / "faults" / "winrb-soap-fault-v1.response.xml").read_bytes())
    c = sim.client(0)
    s = c.fault(sc.ENUMERATE, ALL_CIMV2, body=sc.enumerate_body(filter_xml=wql_filter("select * from Win32_Nope")))
    check_fault_frame(real, s)
    assert s.wsman_code == real.wsman_code
    assert " ".join(real.reason.split()) == " ".join(s.reason.split())
    r_inner, s_inner = real.provider_fault.find("f:WSManFault", NS), s.provider_fault.find("f:WSManFault", NS)
    assert text_of(r_inner.find("f:Message", NS)) == text_of(s_inner.find("f:Message", NS))
    # DELIBERATE["winrm1"]: plugin name and xml:lang.
    assert real.provider_fault.get("provider") == "WMIv1 plugin for Windows Remote Management "
    assert s.provider_fault.get("provider") == "WMI Provider"
    assert r_inner.get(XML_LANG) == "en-US" and s_inner.get(XML_LANG) is None


@pytest.mark.parametrize("capture", ["omi-windows-timedout.response.xml", "pywinrm-server2022-timedout.response.xml"])
def test_fault_timed_out(fresh, capture):
    sim = fresh
    real = sc.Fault(500, (WSMV / "faults" / capture).read_bytes())
    sim.control.latency("WMSIM-01", 600)
    s = sim.client(0).fault(sc.ENUMERATE, wmi_uri("Win32_Service"), timeout="PT0.200S",
                            body=sc.enumerate_body(optimize=True, max_elements=5))
    check_fault_frame(real, s)
    assert detail_outline(real.detail) == detail_outline(s.detail)  # WSManFault(Code, Machine) > Message
    assert s.wsman_code == real.wsman_code == 2150858793
    assert s.reason.strip() == real.reason.strip()
    if "2022" in capture:
        assert s.reason == real.reason  # two trailing spaces
        assert s.message == real.message


def test_fault_max_concurrent_operations(fresh):
    """txwinrm max_concurrent: the quota fault in reply to the txwinrm
    Enumerate (same MessageID, so RelatesTo can be compared too)."""
    sim = fresh
    real = sc.Fault(500, (WSMV / "faults" / "txwinrm-max-concurrent-operations.response.xml").read_bytes())
    sim.control.fail("WMSIM-01", 1, fault="QuotaLimit")
    c = sim.client(0)
    s = c.fault(sc.ENUMERATE, ALL_CIMV2, message_id=TXWINRM_MESSAGE_ID, max_envelope=153600,
                body=sc.enumerate_body(optimize=True, max_elements=32000,
                                       filter_xml=wql_filter("select * from Win32_Service")))
    check_fault_frame(real, s)
    assert s.reply.relates_to == real.reply.relates_to.strip()
    assert s.wsman_code == real.wsman_code == 2150859174
    assert detail_outline(s.detail) == detail_outline(real.detail)
    assert " ".join(s.reason.split()) == " ".join(real.reason.split())


def test_fault_msft_wmierror_shape(sim):
    """winrb wmi_error_v2 (WinRM 3.0+): the MSFT_WmiError instance, every
    property in its order with its xsi:type; compared on a WMI error of
    ours (already exists)."""
    real = sc.Fault(500, (WSMV / "faults" / "winrb-wmi-error-v2.response.xml").read_bytes())
    c = sim.client(0)
    body = sc.instance_xml("Win32_Environment", [("Name", "OS"), ("UserName", "<SYSTEM>"), ("VariableValue", "x")])
    s = c.fault(sc.CREATE, wmi_uri("Win32_Environment"), body=body)
    r_err, s_err = real.wmi_error_elem, s.wmi_error_elem
    assert r_err.tag == s_err.tag
    assert sorted(r_err.attrib) == sorted(s_err.attrib)
    assert [(local(p.tag), p.get(sc.XSI_TYPE), sc.is_nil(p)) for p in s_err] == \
        [(local(p.tag), p.get(sc.XSI_TYPE), sc.is_nil(p)) for p in r_err]
    assert s.wmi_error["MessageID"] == "HRESULT 0x%08x" % int(s.wmi_error["error_Code"])  # lower-case hex
    assert re.fullmatch(r"HRESULT 0x[0-9a-f]{8}", real.wmi_error["MessageID"])
    # DELIBERATE["wmi-error"]: the real WinRM-level quota fault had only the
    # MSFT_WmiError; a WMI error of the simulator has both.
    assert [local(x.tag) for x in real.detail] == ["MSFT_WmiError"]
    assert [local(x.tag) for x in s.detail] == ["WSManFault", "MSFT_WmiError"]


# --- Identify ----------------------------------------------------------------------------------


def test_identify_anonymous_like_2008_r2(sim):
    real = reply_of(WSMV / "identify" / "knife-windows-2008r2-anonymous.response.xml")
    import winrm.protocol
    p = winrm.protocol.Protocol(sim.hosts[0].endpoint, transport="plaintext", username="x", password="x")
    p.transport.build_session()
    p.transport.session.auth = None
    p.transport.session.headers["WSMANIDENTIFY"] = "unauthenticated"
    s = sc.Reply(p.send_message(sc.identify_envelope()))

    def outline(e):
        text = (e.text or "").strip() if not list(e) else None
        if local(e.tag) == "ProductVersion":  # DELIBERATE["winrm3"]
            text = text.replace("Stack: 2.0", "Stack: 3.0")
        return (e.tag, text, tuple(outline(c) for c in e))
    assert outline(s.root) == outline(real.root)  # every element and every text equal
    assert s.root.get(XML_LANG) is None and real.root.get(XML_LANG) is None


# --- MS-WSMV section 4 examples -------------------------------------------------------------------


def spec_request(name, client, subs=()):
    text = (SPEC / name).read_text()
    for a, b in subs:
        text = text.replace(a, b)
    return text


MYCLASS = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/mynamespace/myclass"


def test_spec_4_1_1_get(sim):
    c = sim.client(0)
    real = reply_of(SPEC / "4.1.1-02-GetResponse.xml")
    # DELIBERATE["spec-class"]; the selector keeps the example's "id" (names are case-insensitive).
    s = sc.Reply(c.send_raw(spec_request("4.1.1-01-Get.xml", c, [(MYCLASS, ITEM)])))
    assert s.relates_to == "uuid:5E6FD101-710A-4EEA-A50D-70C0BF863AA3"
    assert s.header_names() == real.header_names()
    assert s.action == real.action
    # DELIBERATE["spec-mustunderstand"]
    assert all(not c.attrib for c in s.header) and real.header.find("a:Action", NS).attrib
    r_inst, s_inst = real.first, s.first
    assert len(real.body) == len(s.body) == 1
    assert split(r_inst.tag) == (MYCLASS, "myclass") and split(s_inst.tag) == (ITEM, "Sim_Item")
    # DELIBERATE["spec-location"]
    assert [local(x.tag) for x in r_inst] == ["Data1", "id", "Location"]
    assert [local(x.tag) for x in s_inst] == ["Id", "Label", "Tags", "Tags"]
    assert read_props(s_inst)["Id"] == "1"


def test_spec_4_1_2_enumerate_and_pulls(sim):
    c = sim.client(0)
    uri = [(MYCLASS, ITEM)]
    r_enum = reply_of(SPEC / "4.1.2.2-01-EnumerateResponse.xml")
    s_enum = sc.Reply(c.send_raw(spec_request("4.1.2.1-01-Enumerate.xml", c, uri)))
    assert [split(x.tag) for x in s_enum.first] == [split(x.tag) for x in r_enum.first] == \
        [(NS["n"], "EnumerationContext")]
    ctx = text_of(s_enum.first.find("n:EnumerationContext", NS))
    r_pull, r_last = reply_of(SPEC / "4.1.2.4-01-PullResponse.xml"), reply_of(SPEC / "4.1.2.6-01-PullResponse.xml")
    example_ctx = "uuid:22EB9809-5543-4020-A75C-FD95FF06217B"
    pulls = []
    while ctx:
        s = sc.Reply(c.send_raw(spec_request("4.1.2.3-01-Pull.xml", c, uri + [(example_ctx, ctx)])))
        pulls.append(s)
        e = s.first.find("n:EnumerationContext", NS)
        ctx = text_of(e) if e is not None else None
    assert len(pulls) == 6  # MaxElements 1, six Sim_Item instances
    for s in pulls[:-1]:
        assert [split(x.tag) for x in s.first] == [split(x.tag) for x in r_pull.first]
        assert len(s.first.find("n:Items", NS)) == len(r_pull.first.find("n:Items", NS)) == 1
    assert [split(x.tag) for x in pulls[-1].first] == [split(x.tag) for x in r_last.first] == \
        [(NS["n"], "Items"), (NS["n"], "EndOfSequence")]


def test_spec_4_1_3_put(fresh):
    c = fresh.client(0)
    real = reply_of(SPEC / "4.1.3-02-PutResponse.xml")
    subs = [(MYCLASS, ITEM), ("p:myclass", "p:Sim_Item"), ("Data1", "Label"), ("<p:id>", "<p:Id>"),
            ("</p:id>", "</p:Id>")]
    text = spec_request("4.1.3-01-Put.xml", c, subs)
    assert "cim:Location" in text  # the example's Location is sent too: WinRM ignores it on input
    s = sc.Reply(c.send_raw(text))
    assert s.action == real.action
    r_props, s_props = read_props(real.first), read_props(s.first)
    assert r_props["Data1"] == s_props["Label"] == "Test Message"
    assert s_props["Id"] == "1"
    assert [x for x in sc.as_list(s_props["Tags"])] == ["red", "green"]  # untouched by the Put
    assert c.get_instance(ITEM, {"Id": "1"})["Label"] == "Test Message"


def test_spec_4_1_4_invoke_create(fresh):
    c = fresh.client(0)
    real = reply_of(SPEC / "4.1.4-02-CreateResponse.xml")
    # Sent as printed, the input's "root/cim" namespace typo included (protocol-notes 1.10).
    s = sc.Reply(c.send_raw(spec_request("4.1.4-01-Create.xml", c)))
    assert s.action == real.action
    assert split(s.first.tag) == split(real.first.tag) == (wmi_uri("Win32_Process"), "Create_OUTPUT")
    assert prop_names(s.first) == prop_names(real.first) == ["ProcessId", "ReturnValue"]
    out = read_props(s.first)
    assert out["ReturnValue"] == "0"
    p = c.get_instance(wmi_uri("Win32_Process"), {"Handle": out["ProcessId"]})
    assert p["Name"] == "notepad.exe"


def test_spec_4_9_selector_filter(sim, model):
    c = sim.client(0)
    s = sc.Reply(c.send_raw(spec_request("4.9-01-Enumerate.xml", c)))
    assert [split(x.tag) for x in s.first] == [(NS["n"], "EnumerationContext")]
    ctx = text_of(s.first.find("n:EnumerationContext", NS))
    names = []
    while ctx:
        p = c.pull(wmi_uri("Win32_Service"), ctx, max_elements=10)
        names += [read_props(i)["Name"] for i in p.first.find("n:Items", NS)]
        e = p.first.find("n:EnumerationContext", NS)
        ctx = text_of(e) if e is not None else None
    want = [i["Name"] for i in model.instances("root/cimv2", "Win32_Service", sim.hosts[0].key)
            if i["StartMode"] == "Auto" and i["State"] == "Stopped"]
    assert names == want


def test_spec_4_10_fault(sim):
    c = sim.client(0)
    real = sc.Fault(500, (SPEC / "4.10-02-fault.xml").read_bytes())
    s = c.fault_raw(spec_request("4.10-01-Get.xml", c), "uuid:B2C3F241-1C90-4B91-9D66-EEA0DEB81879")
    assert s.action == real.action.strip()
    assert (s.code, s.subcode) == (real.code, real.subcode)
    assert " ".join(s.reason.split()) == " ".join(real.reason.split())
    # FaultDetail, then WSManFault > Message > ProviderFault > WSManFault > Message.
    assert [local(x.tag) for x in real.detail] == ["FaultDetail", "WSManFault"]
    assert [local(x.tag) for x in s.detail][:2] == ["FaultDetail", "WSManFault"]
    r_pf, s_pf = real.provider_fault, s.provider_fault
    assert [local(x.tag) for x in r_pf] == [local(x.tag) for x in s_pf] == ["WSManFault"]
    assert [local(x.tag) for x in r_pf.find("f:WSManFault", NS)] == ["Message"]
    assert [local(x.tag) for x in s_pf.find("f:WSManFault", NS)] == ["Message"]
    # DELIBERATE["spec-fault-code"]
    assert real.fault_detail == "wsman:faultDetail/ResourceNotFound"
    assert s.fault_detail == sc.FAULT_DETAIL + "ResourceNotFound"
    assert (real.wsman_code, s.wsman_code) == (32768, 2150858752)
    assert list(r_pf.attrib) == ["providerId"] and sorted(s_pf.attrib) == ["path", "provider"]


# --- requests in the shape Windows clients send ------------------------------------------------


def test_windows_client_enumerate_object_and_epr(sim):
    """omi-posthttp-test1: p:ActivityId/SessionId/OperationID/SequenceId
    headers, an OptionSet with typed options, a __cimnamespace selector,
    EnumerateObjectAndEPR with a WQL filter."""
    c = sim.client(0)
    text = (WSMV / "requests-from-windows-clients" / "omi-posthttp-test1.request.xml").read_text()
    # DELIBERATE["dmtf-uri"]
    text = text.replace("http://schemas.dmtf.org/wbem/wscim/1/*", ALL_CIMV2).replace("root/OMI", "root/cimv2")
    text = text.replace("select * from OMI_Identify", "select * from Win32_OperatingSystem")
    s = sc.Reply(c.send_raw(text))
    assert s.relates_to == "uuid:2CE8AD2B-8EA5-4FA8-A11C-A4C335FE9AAC"
    (item,) = s.first.find("w:Items", NS)
    inst, epr = list(item)
    assert item.tag == q("w", "Item") and local(inst.tag) == "Win32_OperatingSystem"
    assert sc.read_epr(epr).resource_uri == wmi_uri("Win32_OperatingSystem")
    assert s.first.find("w:EndOfSequence", NS) is not None


def test_windows_client_enumerate_class(sim, model):
    """omi-posthttp-test2: a class Enumerate with __cimnamespace."""
    c = sim.client(0)
    text = (WSMV / "requests-from-windows-clients" / "omi-posthttp-test2.request.xml").read_text()
    text = text.replace("http://schemas.microsoft.com/wbem/wscim/1/cim-schema/2/OMI_Datetime",
                        wmi_uri("Win32_LogicalDisk"))  # DELIBERATE["dmtf-uri"]
    s = sc.Reply(c.send_raw(text))
    items = s.first.find("w:Items", NS)
    assert [read_props(i)["DeviceID"] for i in items] == \
        [i["DeviceID"] for i in model.instances("root/cimv2", "Win32_LogicalDisk", sim.hosts[0].key)]
    assert sc.utf16_size(s.text) <= 32768  # its MaxEnvelopeSize


def test_windows_client_get_class(sim, model):
    """omi-test-wsman-getclass: class retrieval with __cimnamespace and
    ClassName selectors and the MI client's options."""
    c = sim.client(0)
    text = (WSMV / "requests-from-windows-clients" / "omi-test-wsman-getclass.request.xml").read_text()
    text = text.replace("test/cpp", "root/cimv2").replace("X_HugeNumber", "Win32_Service")
    s = sc.Reply(c.send_raw(text))
    cls = s.first
    assert cls.tag == "CLASS" and cls.get("NAME") == "Win32_Service" and cls.get("SUPERCLASS") == "Win32_BaseService"
    props = {p.get("NAME") for p in cls if p.tag.startswith("PROPERTY")}
    assert props == set(model.cls("root/cimv2", "Win32_Service").props)
    assert {m.get("NAME") for m in cls.findall("METHOD")} == set(model.cls("root/cimv2", "Win32_Service").methods)


# --- what is replayed, and what is not ------------------------------------------------------------

REPLAYED = {
    r"enumerate/server20(08|12)/(%s)_(star|all)_\d{3}\.xml" % "|".join(SIM_CLASSES): "test_enumeration_*",
    r"enumerate/server20(08|12)/(%s)\.properties" % "|".join(SIM_CLASSES): "query_for (the projections)",
    r"faults/winrb-soap-fault-v[12]\.response\.xml": "test_fault_unknown_class_in_wql_*",
    r"faults/(omi-windows|pywinrm-server2022)-timedout\.response\.xml": "test_fault_timed_out",
    r"faults/txwinrm-max-concurrent-operations\.response\.xml": "test_fault_max_concurrent_operations",
    r"faults/winrb-wmi-error-v2\.response\.xml": "test_fault_msft_wmierror_shape",
    r"identify/knife-windows-2008r2-anonymous\.response\.xml": "test_identify_anonymous_like_2008_r2",
    r"requests-from-windows-clients/.*\.request\.xml": "test_windows_client_*",
    r"spec-ms-wsmv/4\.1\.[1-4](\.\d)?-0\d-\w+\.xml": "test_spec_4_1_*",
    r"spec-ms-wsmv/4\.9-01-Enumerate\.xml": "test_spec_4_9_selector_filter",
    r"spec-ms-wsmv/4\.10-0[12]-\w+\.xml": "test_spec_4_10_fault",
}

NOT_REPLAYED = {
    r"enumerate/server20(08|12)/.*": "classes the fixtures do not model (Win32_Processor, Win32_Volume, "
                                     "Win32_NetworkAdapterConfiguration, Win32_PerfRawData_*, Win32_IP4RouteTable, "
                                     "Win32_SystemEnclosure, Win32_Product)",
    r"config/.*": "WinRM configuration resources (.../wsman/1/config) are not simulated",
    r"events/.*": "WS-Eventing subscriptions are not simulated",
    r"shell/.*": "WinRS remote shells are not simulated",
    r"psrp/.*": "PowerShell remoting is not simulated",
    r"faults/pypsrp-[\w-]+/.*": "shell (WinRS/PSRP) conversations",
    r"faults/(masterzen-command-provider-fault|omi-windows-pwrshplugin-internalerror)\.response\.xml":
        "shell and PowerShell plugin faults",
    r"spec-ms-wsmv/4\.(2|4|5|6|7|8|11)[.-].*": "configuration, eventing, encryption, shells and plugin "
                                                "streaming examples (MS-WSMV 4.2, 4.4-4.8, 4.11)",
    r"spec-ms-wsmv/(index\.json|verbatim/.*)": "index and unwrapped copies of the examples",
}


def test_every_capture_is_replayed_or_listed():
    """Each capture is either replayed above or listed with the reason it
    cannot be (the simulator does not implement that part of WinRM)."""
    unaccounted = []
    for f in sorted(WSMV.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(WSMV).as_posix()
        if not any(re.fullmatch(p, rel) for p in REPLAYED) and not any(re.fullmatch(p, rel) for p in NOT_REPLAYED):
            unaccounted.append(rel)
    assert unaccounted == []
    for p in REPLAYED:
        assert any(re.fullmatch(p, f.relative_to(WSMV).as_posix()) for f in WSMV.rglob("*") if f.is_file()), p
