"""
fixturemodel.py: what a simulated host holds, read from the same fixture
files wmsim loads (tests/sim/fixtures/README.md), so the tests compare the
simulator's answers with its data instead of hard-coding numbers.

Only the host variables the README defines exactly are known here (HOST,
host, N, ADDRESS, DOMAIN, EXTRA_SERVICES, BENCH_COUNT); values built from
the others (disk sizes, memory) come back as UNKNOWN and are not compared.
"""
import datetime
import glob
import json
import math
import os
import re

UNKNOWN = object()


class ClassDef:
    def __init__(self, ns, name, superclass, qualifiers, props, methods):
        self.ns = ns
        self.name = name
        self.superclass = superclass
        self.qualifiers = {q.lower() for q in qualifiers}
        self.props = props  # name -> {"type":..., "key":..., "write":...}
        self.methods = methods

    @property
    def keys(self):
        return sorted((n for n, p in self.props.items() if p.get("key")), key=str.lower)

    def prop(self, name):
        for n, p in self.props.items():
            if n.lower() == name.lower():
                return n, p
        return None, None


class Model:
    def __init__(self, fixtures_dir, bench_count=1000):
        self.dir = fixtures_dir
        self.bench_count = bench_count
        self.files = [json.load(open(f, encoding="utf-8")) for f in sorted(glob.glob(os.path.join(fixtures_dir, "*.json")))]
        self.classes = {}  # (ns, lower name) -> ClassDef
        for f in self.files:
            ns = f["namespace"]
            for c in f.get("classes", []):
                props, methods = {}, {}
                sup = c.get("superclass")
                if sup:
                    base = self.cls(ns, sup)
                    props = {k: dict(v) for k, v in base.props.items()}
                    methods = dict(base.methods)
                for p in c.get("properties", []):
                    for k in list(props):
                        if k.lower() == p["name"].lower():
                            del props[k]
                    props[p["name"]] = p
                for m in c.get("methods", []):
                    methods[m["name"]] = m
                quals = list(c.get("qualifiers", []))
                if sup:
                    inherited = self.cls(ns, sup).qualifiers & {"association", "supportscreate", "supportsupdate",
                                                                "supportsdelete"}
                    quals += list(inherited)
                self.classes[(ns, c["name"].lower())] = ClassDef(ns, c["name"], sup, quals, props, methods)

    def cls(self, ns, name):
        return self.classes[(ns, name.lower())]

    def isa(self, ns, name, base):
        while name:
            if name.lower() == base.lower():
                return True
            name = self.cls(ns, name).superclass
        return False

    def class_names(self, ns):
        return [c.name for (n, _), c in self.classes.items() if n == ns]

    def host_vars(self, number, name, address):
        return {"HOST": name, "host": name.lower(), "N": str(number), "ADDRESS": address, "DOMAIN": "WORKGROUP",
                "EXTRA_SERVICES": str(number % 4), "BENCH_COUNT": str(self.bench_count)}

    def instances(self, ns, class_name, host):
        """The instances of class_name and its subclasses on host (number,
        name, address), as expanded fixture dicts, in load order."""
        hv = self.host_vars(*host)
        out = []
        for f in self.files:
            if f["namespace"] != ns:
                continue
            for j in f.get("instances", []):
                if not self.isa(ns, j["@class"], class_name) or not _on_host(j.get("@hosts"), host[0]):
                    continue
                rep = j.get("@repeat")
                if rep is None:
                    made = [_expand(j, hv, None)]
                else:
                    n = int(_expand(rep, hv, None)) if isinstance(rep, str) else rep
                    made = [_expand(j, hv, i) for i in range(n)]
                for m in made:
                    # Properties a fixture leaves out are NULL or the class default.
                    for name, p in self.cls(ns, m["@class"]).props.items():
                        m.setdefault(name, p.get("default"))
                out.extend(made)
        return out

    def find(self, ns, class_name, host, **keys):
        for inst in self.instances(ns, class_name, host):
            if all(str(inst.get(k)).lower() == str(v).lower() for k, v in keys.items()):
                return inst
        return None


def _on_host(spec, n):
    if spec is None or spec == "all":
        return True
    if spec == "odd":
        return n % 2 == 1
    if spec == "even":
        return n % 2 == 0
    return n in spec


_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def _expand(j, hv, i):
    if isinstance(j, str):
        if "${" not in j:
            return j
        unknown = []

        def sub(m):
            name = m.group(1)
            if name == "i" and i is not None:
                return str(i)
            if name == "i1000" and i is not None:
                return str(i + 1000)
            if name in hv:
                return hv[name]
            unknown.append(name)
            return ""
        s = _VAR.sub(sub, j)
        return UNKNOWN if unknown else s
    if isinstance(j, list):
        return [_expand(x, hv, i) for x in j]
    if isinstance(j, dict):
        return {k: _expand(v, hv, i) for k, v in j.items()}
    return j


# --- comparing fixture values with values read off the wire ------------------------


def parse_datetime(text):
    """RFC 3339 or DMTF (yyyymmddHHMMSS.mmmmmmsUUU) to an aware datetime."""
    m = re.fullmatch(r"(\d{14})\.(\d{6})([+-])(\d{3})", text)
    if m:
        d = datetime.datetime.strptime(m.group(1), "%Y%m%d%H%M%S").replace(microsecond=int(m.group(2)))
        off = int(m.group(4)) * (1 if m.group(3) == "+" else -1)
        return d.replace(tzinfo=datetime.timezone(datetime.timedelta(minutes=off)))
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)", text)
    assert m, "not a datetime: %r" % text
    d = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    if m.group(2):
        d = d.replace(microsecond=int(m.group(2).ljust(6, "0")))
    tz = m.group(3)
    if tz == "Z":
        off = 0
    else:
        off = (int(tz[1:3]) * 60 + int(tz[4:6])) * (1 if tz[0] == "+" else -1)
    return d.replace(tzinfo=datetime.timezone(datetime.timedelta(minutes=off)))


def parse_interval(text):
    """ISO 8601 duration (PnDTnHnMn.nS) or DMTF interval to microseconds."""
    m = re.fullmatch(r"(\d{8})(\d\d)(\d\d)(\d\d)\.(\d{6}):000", text)
    if m:
        d, h, mi, s, us = (int(x) for x in m.groups())
        return (((d * 24 + h) * 60 + mi) * 60 + s) * 1000000 + us
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,6}))?S)?)?", text)
    assert m, "not an interval: %r" % text
    d, h, mi, s = (int(x or 0) for x in m.groups()[:4])
    us = int((m.group(5) or "0").ljust(6, "0"))
    return (((d * 24 + h) * 60 + mi) * 60 + s) * 1000000 + us


def wire_matches(fixture, wire, cim_type, wire_mod):
    """True when a value read off the wire (simclient.decode_value, lists
    for arrays) is the fixture's value of type cim_type."""
    if fixture is UNKNOWN:
        return True
    base = cim_type.rstrip("[]")
    if cim_type.endswith("[]"):
        items = wire_mod.as_list(wire)
        if fixture is None or fixture == []:
            # A NULL or empty array has no elements on the wire (a nil
            # element is read as [] by as_list when None).
            return items == [] or wire is None
        return len(items) == len(fixture) and all(wire_matches(f, w, base, wire_mod) for f, w in zip(fixture, items))
    if fixture is None:
        return wire is None
    if wire is None:
        return False
    if base == "boolean":
        return wire == ("true" if fixture else "false")
    if base in ("sint8", "sint16", "sint32", "sint64", "uint8", "uint16", "uint32", "uint64"):
        return re.fullmatch(r"-?\d+", wire) is not None and int(wire) == int(fixture)
    if base in ("real32", "real64"):
        f = float(fixture) if not isinstance(fixture, str) else float(fixture.replace("Infinity", "inf"))
        w = float(wire.replace("INF", "inf"))
        if math.isnan(f):
            return math.isnan(w)
        if base == "real32" and f != 0 and not math.isinf(f):
            return abs(w - f) <= abs(f) * 1e-7
        return w == f and math.copysign(1, w) == math.copysign(1, f)
    if base == "datetime":
        return isinstance(wire, wire_mod.Datetime) and parse_datetime(wire.text) == parse_datetime(fixture)
    if base == "interval":
        return isinstance(wire, wire_mod.Interval) and parse_interval(wire.text) == parse_interval(fixture)
    if base.startswith("ref:"):
        if not isinstance(wire, wire_mod.Ref):
            return False
        cls = fixture["@class"]
        return (wire.resource_uri.rsplit("/", 1)[1].lower() == cls.lower()
                and {k.lower(): str(v).lower() for k, v in wire.selectors.items()}
                == {k.lower(): str(v).lower() for k, v in fixture["@keys"].items()})
    if base.startswith("object:"):
        return isinstance(wire, wire_mod.Obj) and wire.type_name == fixture["@class"]
    return wire == fixture
