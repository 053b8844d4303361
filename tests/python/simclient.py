"""
simclient.py: the WS-Management side of the wmsim tests.

Envelopes are built here, by hand, as a WinRM client writes them
(../../shared/protocol-notes.md section 1); they are sent with pywinrm's own
transport and message sending (winrm.protocol.Protocol.send_message), so the
HTTP, authentication and fault handling are those of a client nobody here
wrote.  Answers are read with xml.etree.

Nothing in this file knows what the simulator should answer: the tests
decide that, from the fixture data (fixturemodel.py), the specification and
the real captures.
"""
import re
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import winrm.protocol
from winrm.exceptions import WinRMError, WinRMTransportError, WinRMOperationTimeoutError

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "e": "http://schemas.xmlsoap.org/ws/2004/08/eventing",
    "b": "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "cim": "http://schemas.dmtf.org/wbem/wscim/1/common",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "wsmid": "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
}

ANONYMOUS = NS["a"] + "/role/anonymous"
WMI_PREFIX = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
DMTF_PREFIX = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"

GET = NS["x"] + "/Get"
PUT = NS["x"] + "/Put"
CREATE = NS["x"] + "/Create"
DELETE = NS["x"] + "/Delete"
ENUMERATE = NS["n"] + "/Enumerate"
PULL = NS["n"] + "/Pull"
RELEASE = NS["n"] + "/Release"

WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
SELECTOR_FILTER = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
ASSOCIATION_FILTER = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"
FAULT_DETAIL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"

# WSManFault codes (winrs constants; protocol-notes 1.12).
CODE_RESOURCE_NOT_FOUND = 2150858752
CODE_CANNOT_PROCESS_FILTER = 2150858778
CODE_INVALID_ENUMERATION_CONTEXT = 2150858779
CODE_TIMED_OUT = 2150858793
CODE_ALREADY_EXISTS = 2150858795
CODE_ENCODING_LIMIT = 2150858805
CODE_INSUFFICIENT_SELECTORS = 2150858842
CODE_UNEXPECTED_SELECTORS = 2150858843
CODE_DUPLICATE_SELECTORS = 2150858844
CODE_INVALID_SELECTOR_VALUE = 2150858845


def q(prefix, local):
    """Clark name {uri}local for ElementTree."""
    return "{%s}%s" % (NS[prefix], local)


def split(tag):
    """(namespace, local) of a Clark name."""
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return uri, local
    return None, tag


def local(tag):
    return split(tag)[1]


def wmi_uri(class_name, namespace="root/cimv2"):
    return WMI_PREFIX + namespace + "/" + class_name


# --- building requests ---------------------------------------------------------


class EPR:
    """An endpoint reference: a resource URI and its selectors."""

    def __init__(self, resource_uri, selectors=None):
        self.resource_uri = resource_uri
        self.selectors = selectors or {}

    def body(self):
        return ("<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI>%s"
                "</a:ReferenceParameters>" % (ANONYMOUS, escape(self.resource_uri), selector_set(self.selectors)))


class Datetime:
    """A datetime value as WS-Management carries it (cim:Datetime)."""

    def __init__(self, text):
        self.text = text


class Interval:
    def __init__(self, text):
        self.text = text


class Embedded:
    """An embedded object: class, its namespace and its properties."""

    def __init__(self, class_name, props, namespace="root/cimv2"):
        self.class_name = class_name
        self.props = props
        self.namespace = namespace


def selector_set(selectors, prefix="w"):
    """<w:SelectorSet> from a dict or a list of (name, value) pairs; a value
    may be an EPR (nested endpoint reference)."""
    if not selectors:
        return ""
    items = selectors.items() if isinstance(selectors, dict) else selectors
    out = ["<%s:SelectorSet>" % prefix]
    for name, value in items:
        if isinstance(value, EPR):
            out.append('<%s:Selector Name=%s><a:EndpointReference>%s</a:EndpointReference></%s:Selector>'
                       % (prefix, quoteattr(name), value.body(), prefix))
        else:
            out.append('<%s:Selector Name=%s>%s</%s:Selector>' % (prefix, quoteattr(name), escape(str(value)), prefix))
    out.append("</%s:SelectorSet>" % prefix)
    return "".join(out)


def value_xml(name, value, pfx):
    """One property element (repeated for lists); None is xsi:nil."""
    tag = "%s:%s" % (pfx, name) if pfx else name
    if isinstance(value, list):
        return "".join(value_xml(name, v, pfx) for v in value)
    if value is None:
        return '<%s xsi:nil="true"/>' % tag
    if isinstance(value, bool):
        return "<%s>%s</%s>" % (tag, "true" if value else "false", tag)
    if isinstance(value, Datetime):
        return "<%s><cim:Datetime>%s</cim:Datetime></%s>" % (tag, escape(value.text), tag)
    if isinstance(value, Interval):
        return "<%s><cim:Interval>%s</cim:Interval></%s>" % (tag, escape(value.text), tag)
    if isinstance(value, EPR):
        return "<%s>%s</%s>" % (tag, value.body(), tag)
    if isinstance(value, Embedded):
        uri = wmi_uri(value.class_name, value.namespace)
        inner = "".join(value_xml(k, v, "q") for k, v in value.props)
        return '<%s xmlns:q=%s xsi:type="q:%s_Type">%s</%s>' % (tag, quoteattr(uri), value.class_name, inner, tag)
    return "<%s>%s</%s>" % (tag, escape(str(value)), tag)


def instance_xml(class_name, props, namespace="root/cimv2"):
    """A class-qualified instance body, props a list of (name, value)."""
    uri = wmi_uri(class_name, namespace)
    inner = "".join(value_xml(k, v, "p") for k, v in props)
    return ('<p:%s xmlns:p=%s xmlns:xsi="%s" xmlns:cim="%s">%s</p:%s>'
            % (class_name, quoteattr(uri), NS["xsi"], NS["cim"], inner, class_name))


def fragment_xml(props):
    inner = "".join(value_xml(k, v, None) for k, v in props)
    return '<w:XmlFragment xmlns:xsi="%s" xmlns:cim="%s">%s</w:XmlFragment>' % (NS["xsi"], NS["cim"], inner)


def method_input_xml(method, resource_uri, params):
    inner = "".join(value_xml(k, v, "p") for k, v in params)
    return ('<p:%s_INPUT xmlns:p=%s xmlns:xsi="%s" xmlns:cim="%s">%s</p:%s_INPUT>'
            % (method, quoteattr(resource_uri), NS["xsi"], NS["cim"], inner, method))


def envelope(action, resource_uri, body="", selectors=None, to="http://localhost:5985/wsman", max_envelope=153600,
             timeout="PT60.000S", options=None, fragment=None, message_id=None, extra_headers="",
             reply_to=ANONYMOUS, locale=True):
    """A request envelope; returns (text, message_id).  Leaving a header
    out: pass None for it (resource_uri, action, max_envelope, timeout,
    reply_to), or message_id=False."""
    mid = "uuid:%s" % str(uuid.uuid4()).upper() if message_id is None else message_id
    h = ['<a:To>%s</a:To>' % escape(to)]
    if resource_uri is not None:
        h.append('<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>' % escape(resource_uri))
    if reply_to is not None:
        h.append('<a:ReplyTo><a:Address s:mustUnderstand="true">%s</a:Address></a:ReplyTo>' % escape(reply_to))
    if action is not None:
        h.append('<a:Action s:mustUnderstand="true">%s</a:Action>' % escape(action))
    if max_envelope is not None:
        h.append('<w:MaxEnvelopeSize s:mustUnderstand="true">%s</w:MaxEnvelopeSize>' % max_envelope)
    if mid is not False:
        h.append("<a:MessageID>%s</a:MessageID>" % escape(mid))
    if locale:
        h.append('<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>'
                 '<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>')
    if timeout is not None:
        h.append("<w:OperationTimeout>%s</w:OperationTimeout>" % timeout)
    if selectors:
        h.append(selector_set(selectors))
    if options:
        h.append('<w:OptionSet s:mustUnderstand="true">%s</w:OptionSet>'
                 % "".join('<w:Option Name=%s>%s</w:Option>' % (quoteattr(k), escape(v)) for k, v in options))
    if fragment is not None:
        h.append('<w:FragmentTransfer s:mustUnderstand="true">%s</w:FragmentTransfer>' % escape(fragment))
    h.append(extra_headers)
    text = ('<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s" xmlns:p="%s" xmlns:n="%s" xmlns:b="%s">'
            '<s:Header>%s</s:Header><s:Body>%s</s:Body></s:Envelope>'
            % (NS["s"], NS["a"], NS["w"], NS["p"], NS["n"], NS["b"], "".join(h), body))
    return text, mid


def enumerate_body(optimize=False, max_elements=None, mode=None, filter_xml=""):
    parts = []
    if optimize:
        parts.append("<w:OptimizeEnumeration/>")
    if max_elements is not None:
        parts.append("<w:MaxElements>%d</w:MaxElements>" % max_elements)
    if mode:
        parts.append("<w:EnumerationMode>%s</w:EnumerationMode>" % mode)
    parts.append(filter_xml or "")
    return "<n:Enumerate>%s</n:Enumerate>" % "".join(parts)


def wql_filter(query):
    return '<w:Filter Dialect="%s">%s</w:Filter>' % (WQL, escape(query))


def selector_filter(selectors):
    return '<w:Filter Dialect="%s">%s</w:Filter>' % (SELECTOR_FILTER, selector_set(selectors))


def association_filter(obj, kind="AssociatedInstances", association_class=None, result_class=None, role=None,
                       result_role=None):
    parts = ["<b:Object>%s</b:Object>" % obj.body()]
    for name, value in (("AssociationClassName", association_class), ("Role", role),
                        ("ResultClassName", result_class), ("ResultRole", result_role)):
        if value is not None:
            parts.append("<b:%s>%s</b:%s>" % (name, escape(value), name))
    return '<w:Filter Dialect="%s"><b:%s>%s</b:%s></w:Filter>' % (ASSOCIATION_FILTER, kind, "".join(parts), kind)


def pull_body(context, max_elements=None):
    m = "<n:MaxElements>%d</n:MaxElements>" % max_elements if max_elements is not None else ""
    return "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>%s</n:Pull>" % (escape(context), m)


def release_body(context):
    return "<n:Release><n:EnumerationContext>%s</n:EnumerationContext></n:Release>" % escape(context)


IDENTIFY_BODY = '<wsmid:Identify xmlns:wsmid="%s"/>' % NS["wsmid"]


def identify_envelope():
    return ('<s:Envelope xmlns:s="%s" xmlns:wsmid="%s"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>'
            % (NS["s"], NS["wsmid"]))


# --- reading answers -----------------------------------------------------------


class Reply:
    """A parsed response envelope."""

    def __init__(self, raw):
        self.raw = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        self.text = self.raw.decode("utf-8")
        self.root = ET.fromstring(self.raw)
        self.header = self.root.find("s:Header", NS)
        self.body = self.root.find("s:Body", NS)

    def hdr(self, prefix, name):
        e = self.header.find("%s:%s" % (prefix, name), NS) if self.header is not None else None
        return e.text.strip() if e is not None and e.text else (None if e is None else "")

    @property
    def action(self):
        return self.hdr("a", "Action")

    @property
    def relates_to(self):
        return self.hdr("a", "RelatesTo")

    @property
    def first(self):
        """The first element of the body (or None)."""
        return next(iter(self.body), None)

    def header_names(self):
        return [local(c.tag) for c in self.header] if self.header is not None else []


class Fault:
    """A SOAP fault as a client sees it, from the HTTP error pywinrm raised."""

    def __init__(self, status, text, exc=None):
        self.status = status
        self.exc = exc
        self.reply = Reply(text)
        self.fault = self.reply.body.find("s:Fault", NS)
        assert self.fault is not None, "no s:Fault in %r" % text[:300]
        f = self.fault
        self.action = self.reply.action
        self.code = _text(f.find("s:Code/s:Value", NS))
        self.subcode = _text(f.find("s:Code/s:Subcode/s:Value", NS))
        self.reason = _text(f.find("s:Reason/s:Text", NS), strip=False)
        self.detail = f.find("s:Detail", NS)
        self.fault_detail = _text(self.detail.find("w:FaultDetail", NS)) if self.detail is not None else None
        wf = self.detail.find("f:WSManFault", NS) if self.detail is not None else None
        self.wsman_fault = wf
        self.wsman_code = int(wf.get("Code")) if wf is not None else None
        self.machine = wf.get("Machine") if wf is not None else None
        self.provider_fault = wf.find("f:Message/f:ProviderFault", NS) if wf is not None else None
        self.message = "".join(wf.find("f:Message", NS).itertext()) if wf is not None else None
        self.wmi_error = None
        if self.detail is not None:
            for c in self.detail:
                if local(c.tag) == "MSFT_WmiError":
                    self.wmi_error = {local(p.tag): (p.text or "") for p in c}
                    self.wmi_error_elem = c

    def subcode_qname(self):
        """The subcode as (namespace URI, local name), resolving its prefix
        the way the fault itself declares it."""
        if self.subcode is None:
            return None
        pfx, _, name = self.subcode.partition(":")
        uri = _prefix_uri(self.reply.text, pfx)
        return uri, name

    def __repr__(self):
        return "<Fault %s %s %s %s>" % (self.status, self.code, self.subcode, self.wsman_code)


def _prefix_uri(text, prefix):
    m = re.search(r'xmlns:%s=(?:"([^"]*)"|\'([^\']*)\')' % re.escape(prefix), text)
    return (m.group(1) if m.group(1) is not None else m.group(2)) if m else None


def _text(e, strip=True):
    if e is None:
        return None
    t = "".join(e.itertext())
    return t.strip() if strip else t


def fault_from(exc):
    """The Fault behind an exception pywinrm raised for an HTTP error."""
    tr = exc if isinstance(exc, WinRMTransportError) else exc.__context__
    assert isinstance(tr, WinRMTransportError), "expected an HTTP error behind %r" % (exc,)
    return Fault(tr.code, tr.response_text, exc)


# Values of properties, as a client decodes them without the schema.

class Ref:
    def __init__(self, resource_uri, selectors):
        self.resource_uri = resource_uri
        self.selectors = selectors

    def __repr__(self):
        return "Ref(%s, %s)" % (self.resource_uri, self.selectors)


class Obj:
    def __init__(self, type_name, type_uri, props):
        self.type_name = type_name
        self.type_uri = type_uri
        self.props = props

    def __repr__(self):
        return "Obj(%s, %s)" % (self.type_name, self.props)


NIL = "{%s}nil" % NS["xsi"]
XSI_TYPE = "{%s}type" % NS["xsi"]


def is_nil(e):
    return e.get(NIL) == "true"


def decode_value(e):
    """One property element: None (nil), str, Datetime, Interval, Ref or Obj."""
    if is_nil(e):
        return None
    kids = list(e)
    t = e.get(XSI_TYPE)
    if t is not None and t.endswith("_Type"):  # an embedded object, maybe with no properties
        pfx = t.split(":")[0]
        return Obj(t.split(":")[-1][:-5], _declared(e, pfx), read_props(e))
    if not kids:
        return e.text or ""
    first = kids[0]
    ns, name = split(first.tag)
    if name == "Datetime" and ns in (NS["cim"], None):
        return Datetime(first.text or "")
    if name == "Interval" and ns in (NS["cim"], None):
        return Interval(first.text or "")
    if ns == NS["a"] and name == "Address":
        return read_epr(e)
    if ns is not None:
        return Obj(None, ns, read_props(e))
    return "".join(e.itertext())


def _declared(e, pfx):
    """The namespace an embedded object's type prefix stands for: that of
    its children, or (no children) the class URI its type names."""
    kids = list(e)
    if kids:
        return split(kids[0].tag)[0]
    return None


def read_epr(e):
    rp = e.find("a:ReferenceParameters", NS)
    uri = _text(rp.find("w:ResourceURI", NS)) if rp is not None else None
    sels = {}
    if rp is not None:
        for s in rp.findall("w:SelectorSet/w:Selector", NS):
            inner = s.find("a:EndpointReference", NS)
            sels[s.get("Name")] = read_epr(inner) if inner is not None else (s.text or "")
    return Ref(uri, sels)


def read_props(elem):
    """Properties of an instance element, in document order: a dict whose
    values are single values or lists (repeated elements)."""
    out = {}
    for c in elem:
        name = local(c.tag)
        v = decode_value(c)
        if name in out:
            if not isinstance(out[name], list) or not getattr(out[name], "_repeated", False):
                out[name] = _Rep([out[name]])
            out[name].append(v)
        else:
            out[name] = v
    return out


class _Rep(list):
    _repeated = True


def as_list(v):
    """A property value as a list (arrays of one element look scalar)."""
    if v is None:
        return []
    return list(v) if isinstance(v, _Rep) else [v]


def prop_names(elem):
    return [local(c.tag) for c in elem]


# --- the client ----------------------------------------------------------------


class Client:
    """A WS-Management client for one simulated host: envelopes from here,
    transport and fault handling from pywinrm."""

    def __init__(self, endpoint, username="alice", password="Secret-1", read_timeout=30, operation_timeout=20):
        self.endpoint = endpoint
        self.protocol = winrm.protocol.Protocol(endpoint, transport="plaintext", username=username, password=password,
                                                read_timeout_sec=read_timeout,
                                                operation_timeout_sec=operation_timeout)

    def send_raw(self, text):
        return self.protocol.send_message(text)

    def request(self, action, resource_uri, **kw):
        """Sends one request and returns the Reply; checks RelatesTo."""
        kw.setdefault("to", self.endpoint)
        text, mid = envelope(action, resource_uri, **kw)
        raw = self.send_raw(text)
        assert raw is not None, "pywinrm returned nothing (an XML answer that is not a fault on an error status?)"
        r = Reply(raw)
        assert r.relates_to == mid, "RelatesTo %r is not the request's MessageID %r" % (r.relates_to, mid)
        return r

    def fault(self, action, resource_uri, **kw):
        """Sends a request that must fail with a SOAP fault; returns the Fault."""
        kw.setdefault("to", self.endpoint)
        text, mid = envelope(action, resource_uri, **kw)
        return self.fault_raw(text, mid)

    def fault_raw(self, text, mid=None):
        try:
            raw = self.send_raw(text)
        except WinRMOperationTimeoutError as e:
            f = fault_from(e)
        except WinRMError as e:
            f = fault_from(e)
        else:
            raise AssertionError("expected a fault, got %r" % (raw[:400],))
        if mid is not None:
            assert f.reply.relates_to == mid
        return f

    # WS-Transfer

    def get(self, resource_uri, selectors=None, **kw):
        r = self.request(GET, resource_uri, selectors=selectors, **kw)
        assert r.action == GET + "Response"
        return r

    def get_instance(self, resource_uri, selectors=None, **kw):
        return read_props(self.get(resource_uri, selectors, **kw).first)

    def put(self, resource_uri, selectors, body, **kw):
        r = self.request(PUT, resource_uri, selectors=selectors, body=body, **kw)
        assert r.action == PUT + "Response"
        return r

    def create(self, resource_uri, body, **kw):
        r = self.request(CREATE, resource_uri, body=body, **kw)
        assert r.action == CREATE + "Response"
        return r

    def delete(self, resource_uri, selectors, **kw):
        r = self.request(DELETE, resource_uri, selectors=selectors, **kw)
        assert r.action == DELETE + "Response"
        return r

    def invoke(self, resource_uri, method, params=(), selectors=None, **kw):
        body = method_input_xml(method, resource_uri, list(params))
        r = self.request(resource_uri + "/" + method, resource_uri, selectors=selectors, body=body, **kw)
        assert r.action == resource_uri + "/" + method + "Response", r.action
        out = r.first
        assert local(out.tag) == method + "_OUTPUT" and split(out.tag)[0] == resource_uri
        return read_props(out), r

    # WS-Enumeration

    def enumerate(self, resource_uri, **kw):
        body_kw = {k: kw.pop(k) for k in ("optimize", "max_elements", "mode", "filter_xml") if k in kw}
        r = self.request(ENUMERATE, resource_uri, body=enumerate_body(**body_kw), **kw)
        assert r.action == ENUMERATE + "Response"
        return r

    def pull(self, resource_uri, context, max_elements=None, **kw):
        r = self.request(PULL, resource_uri, body=pull_body(context, max_elements), **kw)
        assert r.action == PULL + "Response"
        return r

    def release(self, resource_uri, context, **kw):
        r = self.request(RELEASE, resource_uri, body=release_body(context), **kw)
        assert r.action == RELEASE + "Response"
        return r

    def enumerate_all(self, resource_uri, pull_max=None, limit=10000, **kw):
        """Enumerate, then Pull until EndOfSequence.  Returns (items, replies)
        where items are the elements inside the Items of every reply."""
        replies = [self.enumerate(resource_uri, **kw)]
        kw.pop("optimize", None), kw.pop("max_elements", None), kw.pop("mode", None), kw.pop("filter_xml", None)
        items = []
        while True:
            r = replies[-1]
            resp = r.first
            its = resp.find("w:Items", NS) if len(replies) == 1 else resp.find("n:Items", NS)
            if its is not None:
                items.extend(list(its))
            eos = resp.find("w:EndOfSequence" if len(replies) == 1 else "n:EndOfSequence", NS)
            if eos is not None:
                return items, replies
            ctx = _text(resp.find("n:EnumerationContext", NS))
            assert ctx, "no EndOfSequence and no EnumerationContext"
            assert len(replies) < limit
            replies.append(self.pull(resource_uri, ctx, max_elements=pull_max, **kw))

    def identify(self):
        return Reply(self.send_raw(identify_envelope()))


def context_of(reply):
    return _text(reply.first.find("n:EnumerationContext", NS))


def utf16_size(text):
    return len(text.encode("utf-16-le"))
