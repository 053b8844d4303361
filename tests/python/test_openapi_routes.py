"""openapi/openapi.json against its validator and against the gateway's router.

The gateway builds its router from openapi/openapi.json (each operationId is
bound to the C handler of that name) and prints what it serves with
`wmgw --list-routes`, one "METHOD PATH operationId" line per route.  These
tests check that:

1. the document is valid OpenAPI 3.1 and follows wmgw's rules
   (tests/openapi/validate.mjs, run with Node; its pinned npm packages are
   installed with `npm ci` into tests/openapi/node_modules when missing or
   stale);
2. the document defines exactly the routes of tests/openapi/routes.txt
   (also checked by validate.mjs; repeated here so that it holds without Node);
3. the gateway serves every documented operation and documents every route it
   serves (skipped only while the binary is not built: WMGW_BIN, default
   build/wmgw).

Run: /usr/bin/python3 -m pytest -q tests/python/test_openapi_routes.py
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "openapi" / "openapi.json"
TESTS_OPENAPI = REPO / "tests" / "openapi"
ROUTES_TXT = TESTS_OPENAPI / "routes.txt"
VALIDATOR = TESTS_OPENAPI / "validate.mjs"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def documented_routes():
    """{(METHOD, path): operationId} from openapi/openapi.json."""
    doc = json.loads(DOC.read_text(encoding="utf-8"))
    routes = {}
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                routes[(method.upper(), path)] = item[method].get("operationId")
    return routes


def parse_route_lines(text, source):
    """Parses "METHOD PATH operationId" lines; fails on malformed or duplicate ones."""
    routes = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 3:
            pytest.fail(f"{source}:{n}: expected 'METHOD PATH operationId', got {line!r}")
        method, path, op_id = fields
        key = (method.upper(), path)
        if key in routes:
            pytest.fail(f"{source}:{n}: {method} {path} listed twice")
        routes[key] = op_id
    return routes


def compare(documented, other, other_name):
    """Differences between the documented routes and another list, as readable lines."""
    problems = []
    for key in sorted(documented.keys() - other.keys()):
        problems.append(f"documented but not in {other_name}: {key[0]} {key[1]} ({documented[key]})")
    for key in sorted(other.keys() - documented.keys()):
        problems.append(f"in {other_name} but not documented: {key[0]} {key[1]} ({other[key]})")
    for key in sorted(documented.keys() & other.keys()):
        if documented[key] != other[key]:
            problems.append(
                f"{key[0]} {key[1]}: operationId {documented[key]} in openapi.json, {other[key]} in {other_name}"
            )
    return problems


def node_modules_stale():
    installed = TESTS_OPENAPI / "node_modules" / ".package-lock.json"
    lock = TESTS_OPENAPI / "package-lock.json"
    return not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime


def test_openapi_validates():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "node and npm are needed to validate openapi/openapi.json "
            "(Debian: apt-get install nodejs npm; Node 18 or later)"
        )
    if node_modules_stale():
        r = subprocess.run(
            [npm, "ci", "--prefix", str(TESTS_OPENAPI), "--no-audit", "--no-fund"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, f"npm ci failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    r = subprocess.run([node, str(VALIDATOR), str(DOC)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"validate.mjs failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"


def test_documented_routes_match_route_table():
    documented = documented_routes()
    table = parse_route_lines(ROUTES_TXT.read_text(encoding="utf-8"), "tests/openapi/routes.txt")
    problems = compare(documented, table, "tests/openapi/routes.txt")
    assert not problems, "\n".join(problems)


def test_gateway_serves_exactly_the_documented_routes():
    binary = Path(os.environ.get("WMGW_BIN", REPO / "build" / "wmgw"))
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"gateway binary not built: {binary} (build it, or set WMGW_BIN)")
    r = subprocess.run([str(binary), "--list-routes"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{binary} --list-routes exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    served = parse_route_lines(r.stdout, f"{binary.name} --list-routes")
    assert served, f"{binary} --list-routes printed no routes"
    problems = compare(documented_routes(), served, "wmgw --list-routes")
    assert not problems, "\n".join(problems)
