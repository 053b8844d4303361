#!/usr/bin/env node
/*
 * validate.mjs: checks openapi/openapi.json, the document the gateway serves
 * and builds its router from.
 *
 *   1. OpenAPI 3.1 structure and $refs, by an independent validator
 *      (@apidevtools/swagger-parser, pinned in package.json).
 *   2. Every schema compiles as JSON Schema 2020-12 in Ajv's strict mode
 *      (unknown keywords are errors), and every example (media types,
 *      parameters, headers, schemas) validates against its schema;
 *      NDJSON examples line by line.
 *   3. wmgw's own rules: the operations are exactly those of routes.txt,
 *      every path parameter is declared (and every declared one is used),
 *      every response says X-Request-Id and has a schema for each media type,
 *      every 4xx/5xx is application/problem+json with the Problem schema,
 *      problem examples use the slugs and statuses of util/err.h, and the
 *      conventions of the API (ETag/304 on single-resource GETs, 413/415 on
 *      bodies, 401/403 on authenticated operations, ...) hold.
 *
 * Usage: node tests/openapi/validate.mjs [path/to/openapi.json]
 * Exit status: 0 valid, 1 errors (each on its own line), 2 setup failure.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const docPath = resolve(process.argv[2] ?? resolve(repo, "openapi", "openapi.json"));
const routesPath = resolve(here, "routes.txt");
const errHeader = resolve(repo, "util", "err.h");

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const PROBLEM = "application/problem+json";
const JSON_MT = "application/json";
const NDJSON = "application/x-ndjson";
const PROBLEM_REF = "#/components/schemas/Problem";
const BASE = "https://wmgw.invalid/openapi.json";

/* Operations that GET one resource: ETag on 200, If-None-Match, 304. */
const CONDITIONAL_GETS = new Set(["getOpenApi", "getHost", "getClass", "getInstance"]);
/* Enumerations: JSON pages and NDJSON streams, limit and cursor. */
const LISTINGS = new Set(["listInstances", "listAssociators", "listReferences", "queryHost"]);
/* Problem types the HTTP layer answers without a WMGW_ERR_MAP entry (util/err.h):
 * gateway/respond.c writes 415 itself.  If err.h gains one, both must agree. */
const HTTP_ONLY_SLUGS = { "unsupported-media-type": 415 };
/* Texts the top-level description must keep (the encodings, the 64-bit rule, the error model). */
const DESCRIPTION_MUST_MENTION = [
  "root%2Fcimv2",
  "Name=WinRM",
  "Name=TEMP,UserName=%3CSYSTEM%3E",
  "/instances/@",
  "2^53",
  "application/problem+json",
  "urn:wmgw:problem:",
];

const errors = [];
const fail = (where, msg) => errors.push(`${where}: ${msg}`);

function readText(path) {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    console.error(`validate: cannot read ${path}: ${e.message}`);
    process.exit(2);
  }
}

/* --- inputs ----------------------------------------------------------------------------- */

let doc;
try {
  doc = JSON.parse(readText(docPath));
} catch (e) {
  console.error(`${docPath}: not valid JSON: ${e.message}`);
  process.exit(1);
}

const expectedRoutes = [];
readText(routesPath)
  .split("\n")
  .forEach((line, i) => {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) return;
    const f = t.split(/\s+/);
    if (f.length !== 3) {
      console.error(`${routesPath}:${i + 1}: expected "METHOD PATH operationId"`);
      process.exit(2);
    }
    expectedRoutes.push({ method: f[0].toUpperCase(), path: f[1], operationId: f[2] });
  });

/* slug -> HTTP status, from WMGW_ERR_MAP. */
const slugStatus = {};
for (const m of readText(errHeader).matchAll(/X\(\s*(\w+)\s*,\s*-?\d+\s*,\s*(\d+)\s*,\s*"([a-z0-9-]+)"/g))
  slugStatus[m[3]] = Number(m[2]);
if (Object.keys(slugStatus).length === 0) {
  console.error(`${errHeader}: no WMGW_ERR_MAP entries found`);
  process.exit(2);
}
for (const [slug, status] of Object.entries(HTTP_ONLY_SLUGS)) {
  if (slug in slugStatus && slugStatus[slug] !== status)
    fail("util/err.h", `slug ${slug} is ${slugStatus[slug]} there but ${status} in validate.mjs`);
  slugStatus[slug] ??= status;
}

/* --- helpers ------------------------------------------------------------------------------ */

/* Resolves a local "$ref" (one level at a time, following chains). */
function deref(obj, where) {
  const seen = new Set();
  while (obj && typeof obj === "object" && typeof obj.$ref === "string") {
    const r = obj.$ref;
    if (!r.startsWith("#/") || seen.has(r)) {
      fail(where, `unresolvable $ref ${r}`);
      return undefined;
    }
    seen.add(r);
    let cur = doc;
    for (const part of r.slice(2).split("/")) {
      const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
      cur = cur?.[key];
    }
    if (cur === undefined) {
      fail(where, `$ref ${r} points nowhere`);
      return undefined;
    }
    obj = cur;
  }
  return obj;
}

/* RFC 3986 unreserved set kept, everything else %XX upper-case (util/url.h). */
function enc(s) {
  let out = "";
  for (const b of Buffer.from(String(s), "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function keyText(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/* Case-insensitive (ASCII) order, as cim/path.c writes keys. */
function canonicalKeys(keys) {
  const names = Object.keys(keys).sort((a, b) => {
    const x = a.toLowerCase(), y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
  if (names.length === 0) return "@";
  const parts = [];
  for (const n of names) {
    const t = keyText(keys[n]);
    if (t === undefined) return undefined; /* references etc.: not checked here */
    parts.push(`${enc(n)}=${enc(t)}`);
  }
  return parts.join(",");
}

function parseKeys(seg) {
  if (seg === "@") return {};
  const keys = {};
  for (const pair of seg.split(",")) {
    const eq = pair.indexOf("=");
    if (eq < 0) return undefined;
    keys[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
  }
  return keys;
}

/* --- 1. structure: swagger-parser --------------------------------------------------------- */

try {
  await SwaggerParser.validate(structuredClone(doc));
} catch (e) {
  fail("swagger-parser", String(e.message || e).trim());
}

if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.1."))
  fail("openapi", `expected an OpenAPI 3.1.x document, got ${JSON.stringify(doc.openapi)}`);
const description = doc.info?.description ?? "";
for (const s of DESCRIPTION_MUST_MENTION)
  if (!description.includes(s)) fail("info.description", `must explain the encodings and rules; "${s}" is missing`);

/* --- 2. operations and routes --------------------------------------------------------------- */

const operations = []; /* {method, path, op, pathItem, where} */
for (const [path, pathItem] of Object.entries(doc.paths ?? {})) {
  let n = 0;
  for (const m of METHODS) {
    if (!pathItem[m]) continue;
    n++;
    operations.push({ method: m.toUpperCase(), path, op: pathItem[m], pathItem, where: `${m.toUpperCase()} ${path}` });
  }
  if (n === 0) fail(`paths["${path}"]`, "has no operation");
}

const byRoute = new Map(operations.map((o) => [`${o.method} ${o.path}`, o]));
const expectedIds = new Set(expectedRoutes.map((r) => r.operationId));
for (const r of expectedRoutes) {
  const o = byRoute.get(`${r.method} ${r.path}`);
  if (!o) fail("routes", `${r.method} ${r.path} (${r.operationId}) is in routes.txt but not documented`);
  else if (o.op.operationId !== r.operationId)
    fail(o.where, `operationId is ${JSON.stringify(o.op.operationId)}, routes.txt says ${r.operationId}`);
}
const seenIds = new Map();
for (const o of operations) {
  const id = o.op.operationId;
  if (typeof id !== "string" || id === "") {
    fail(o.where, "has no operationId");
    continue;
  }
  if (seenIds.has(id)) fail(o.where, `operationId ${id} is also used by ${seenIds.get(id)}`);
  seenIds.set(id, o.where);
  if (!expectedIds.has(id)) fail(o.where, `operationId ${id} is not in routes.txt`);
  else if (!expectedRoutes.some((r) => r.operationId === id && r.method === o.method && r.path === o.path))
    fail(o.where, `operationId ${id} belongs to another route in routes.txt`);
}

/* --- 3. parameters ------------------------------------------------------------------------- */

function effectiveParams(o) {
  const params = new Map();
  for (const [level, list] of [["path item", o.pathItem.parameters], ["operation", o.op.parameters]]) {
    for (const p0 of list ?? []) {
      const p = deref(p0, `${o.where} ${level} parameter`);
      if (!p) continue;
      const k = `${p.in}:${p.name}`;
      if (level === "operation" && (o.op.parameters ?? []).filter((q) => {
        const d = deref(q, o.where);
        return d && `${d.in}:${d.name}` === k;
      }).length > 1)
        fail(o.where, `parameter ${k} declared twice`);
      params.set(k, p);
    }
  }
  return params;
}

for (const o of operations) {
  const params = effectiveParams(o);
  o.params = params;
  const inTemplate = [...o.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  for (const name of inTemplate) {
    const p = params.get(`path:${name}`);
    if (!p) fail(o.where, `path parameter {${name}} is not declared`);
    else if (p.required !== true) fail(o.where, `path parameter {${name}} must be required: true`);
  }
  for (const p of params.values()) {
    if (p.in === "path" && !inTemplate.includes(p.name))
      fail(o.where, `declares path parameter ${p.name}, which is not in the path`);
    if (!p.schema && !p.content) fail(o.where, `parameter ${p.name} has no schema`);
    if (!p.description) fail(o.where, `parameter ${p.name} has no description`);
  }
}

/* --- 4. responses and conventions ---------------------------------------------------------- */

function hasHeader(resp, name) {
  return Object.keys(resp.headers ?? {}).some((h) => h.toLowerCase() === name.toLowerCase());
}

for (const o of operations) {
  const { op, where } = o;
  const id = op.operationId;
  const responses = op.responses ?? {};
  const codes = Object.keys(responses);
  if (!codes.some((c) => /^2\d\d$/.test(c))) fail(where, "has no 2xx response");
  if (!op.description && !op.summary) fail(where, "has neither summary nor description");
  const resolved = {};
  for (const code of codes) {
    const w = `${where} ${code}`;
    const raw = responses[code];
    const resp = deref(raw, w);
    if (!resp) continue;
    resolved[code] = resp;
    if (!resp.description) fail(w, "response has no description");
    if (!hasHeader(resp, "X-Request-Id")) fail(w, "response does not declare the X-Request-Id header");
    const content = resp.content ?? {};
    const media = Object.keys(content);
    if (code === "204" || code === "304") {
      if (media.length) fail(w, `a ${code} response has no body, but content is declared`);
      continue;
    }
    if (media.length === 0) fail(w, "response has no content (every response but 204/304 has a body)");
    for (const mt of media) if (!content[mt]?.schema) fail(w, `${mt} has no schema`);
    const isError = code === "default" || /^[45]/.test(code);
    if (isError) {
      if (media.length !== 1 || media[0] !== PROBLEM)
        fail(w, `an error response must be ${PROBLEM} only, not ${media.join(", ")}`);
      const s = content[PROBLEM]?.schema;
      if (s && s.$ref !== PROBLEM_REF) fail(w, `${PROBLEM} must use ${PROBLEM_REF}`);
    } else if (media.includes(PROBLEM)) {
      fail(w, `a success response must not be ${PROBLEM}`);
    }
    if (code === "201" && !hasHeader(resp, "Location")) fail(w, "201 without a Location header");
    if (code === "401" && !hasHeader(resp, "WWW-Authenticate")) fail(w, "401 without WWW-Authenticate");
    if (code === "405" && !hasHeader(resp, "Allow")) fail(w, "405 without Allow");
  }

  const need = (code, why) => {
    if (!(code in responses)) fail(where, `must list ${code} (${why})`);
  };
  need("500", "every operation");
  const successHasBody = codes.some((c) => /^2\d\d$/.test(c) && resolved[c] && Object.keys(resolved[c].content ?? {}).length);
  if (successHasBody) need("406", "it produces a body, so Accept can exclude it");
  const security = op.security ?? doc.security ?? [];
  if (security.length > 0) {
    need("401", "authenticated operation");
    need("403", "authenticated operation");
  }
  if (o.path.includes("{") && id !== undefined && !["getHealth", "getReady", "getOpenApi"].includes(id))
    if (!("404" in responses) && !["putHost"].includes(id)) fail(where, "must list 404 (it names a resource)");
  if (op.requestBody) {
    const rb = deref(op.requestBody, `${where} requestBody`);
    const mts = Object.keys(rb?.content ?? {});
    if (mts.length !== 1 || mts[0] !== JSON_MT) fail(where, `request body must be ${JSON_MT} only`);
    if (rb && !rb.content?.[JSON_MT]?.schema) fail(where, "request body has no schema");
    need("400", "it takes a body");
    need("413", "it takes a body");
    need("415", "it takes a body");
  }
  if (CONDITIONAL_GETS.has(id)) {
    need("304", "conditional GET");
    if (resolved["200"] && !hasHeader(resolved["200"], "ETag")) fail(where, "200 must carry ETag");
    if (!o.params.has("header:If-None-Match")) fail(where, "must accept If-None-Match");
  }
  if (["patchInstance"].includes(id) && !o.params.has("header:If-Match")) fail(where, "must accept If-Match");
  if (o.params.has("header:If-Match")) need("412", "it accepts If-Match");
  if (LISTINGS.has(id)) {
    const c = resolved["200"]?.content ?? {};
    if (c[JSON_MT]?.schema?.$ref !== "#/components/schemas/InstancePage")
      fail(where, `200 ${JSON_MT} must be an InstancePage`);
    if (c[NDJSON]?.schema?.$ref !== "#/components/schemas/NdjsonLine") fail(where, `200 must offer ${NDJSON} (NdjsonLine)`);
    for (const p of ["limit", "cursor"]) if (!o.params.has(`query:${p}`)) fail(where, `must accept ?${p}`);
    need("410", "cursors expire");
  }
}

/* --- 5. schemas and examples (Ajv, JSON Schema 2020-12, strict) ------------------------------ */

function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === "object") {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/"))
        out[k] = `${BASE}#/$defs/${v.slice("#/components/schemas/".length)}`;
      else out[k] = rewriteRefs(v);
    }
    return out;
  }
  return node;
}

const ajv = new Ajv2020({
  strict: true,
  strictTypes: false,
  strictRequired: false,
  allErrors: true,
  validateFormats: true,
});
addFormats(ajv);
/* OpenAPI's own keywords and formats. */
ajv.addVocabulary(["example", "discriminator", "xml", "externalDocs"]);
ajv.addFormat("password", true);
for (const f of ["int32", "int64"]) ajv.addFormat(f, { type: "number", validate: Number.isInteger });
for (const f of ["float", "double"]) ajv.addFormat(f, { type: "number", validate: () => true });

const componentSchemas = doc.components?.schemas ?? {};
let schemasOk = true;
try {
  ajv.addSchema({ $id: BASE, $defs: rewriteRefs(componentSchemas) });
  for (const name of Object.keys(componentSchemas)) {
    try {
      ajv.getSchema(`${BASE}#/$defs/${name}`);
    } catch (e) {
      schemasOk = false;
      fail(`components.schemas.${name}`, `does not compile: ${e.message}`);
    }
  }
} catch (e) {
  schemasOk = false;
  fail("components.schemas", `do not compile: ${e.message}`);
}

const compiled = new Map();
function validator(schema, where) {
  const key = JSON.stringify(schema);
  if (compiled.has(key)) return compiled.get(key);
  let v = null;
  try {
    v = ajv.compile(rewriteRefs(schema));
  } catch (e) {
    fail(where, `schema does not compile: ${e.message}`);
  }
  compiled.set(key, v);
  return v;
}

const checkedPairs = new Set();
function checkValue(schema, value, where) {
  /* A shared example under a shared schema is reported once, where first met. */
  const pair = JSON.stringify(schema) + "\u0000" + JSON.stringify(value);
  if (checkedPairs.has(pair)) return;
  checkedPairs.add(pair);
  const v = validator(schema, where);
  if (v && !v(value))
    for (const e of v.errors.slice(0, 5)) fail(where, `example ${e.instancePath || "(root)"} ${e.message}`);
}

/* Problem examples: type slug and status agree with util/err.h and the response code. */
function checkProblem(value, code, where) {
  const m = /^urn:wmgw:problem:([a-z0-9-]+)$/.exec(value?.type ?? "");
  if (!m) return fail(where, `problem type ${JSON.stringify(value?.type)} is not urn:wmgw:problem:<slug>`);
  const slug = m[1];
  if (!(slug in slugStatus)) return fail(where, `problem slug ${slug} is not in util/err.h WMGW_ERR_MAP`);
  if (value.status !== slugStatus[slug])
    fail(where, `problem ${slug} has status ${value.status}, util/err.h says ${slugStatus[slug]}`);
  if (/^\d{3}$/.test(code) && value.status !== Number(code))
    fail(where, `problem status ${value.status} under response ${code}`);
}

/* Instances and references in examples: "@id" agrees with "@host", "@namespace", "@class",
 * and its {keys} segment is the canonical encoding of the key values it names. */
function checkLinks(value, where) {
  if (Array.isArray(value)) return value.forEach((v, i) => checkLinks(v, `${where}[${i}]`));
  if (!value || typeof value !== "object") return;
  const id = value["@id"];
  if (typeof id === "string" && value["@class"] && id.includes("/instances/")) {
    const m = /^\/v1\/hosts\/([^/]+)\/namespaces\/([^/]+)\/classes\/([^/]+)\/instances\/([^/?#]+)$/.exec(id);
    if (!m) fail(where, `@id ${id} is not an instance URL`);
    else {
      const [, host, ns, cls, seg] = m;
      if (value["@host"] !== undefined && host !== enc(value["@host"])) fail(where, `@id host ${host} vs @host ${value["@host"]}`);
      if (value["@namespace"] !== undefined && ns !== enc(value["@namespace"]))
        fail(where, `@id namespace ${ns} vs @namespace ${value["@namespace"]}`);
      if (cls !== value["@class"]) fail(where, `@id class ${cls} vs @class ${value["@class"]}`);
      const named = parseKeys(seg);
      if (!named) fail(where, `@id keys segment ${seg} is malformed`);
      else {
        const source = value["@keys"] ?? value;
        const keys = {};
        for (const k of Object.keys(named)) keys[k] = source[k];
        const canon = canonicalKeys(keys);
        if (canon !== undefined && canon !== seg) fail(where, `@id keys segment ${seg}, expected ${canon}`);
        if (value["@keys"] && Object.keys(value["@keys"]).length !== Object.keys(named).length)
          fail(where, `@id names ${Object.keys(named).length} keys, @keys has ${Object.keys(value["@keys"]).length}`);
      }
    }
  }
  for (const [k, v] of Object.entries(value)) if (k !== "@keys") checkLinks(v, `${where}.${k}`);
}

function exampleValues(holder, where) {
  const out = [];
  if (holder.example !== undefined) out.push([holder.example, `${where} example`]);
  for (const [name, ex0] of Object.entries(holder.examples ?? {})) {
    const ex = deref(ex0, `${where} examples.${name}`);
    if (!ex) continue;
    if (ex.value === undefined && ex.externalValue === undefined) fail(`${where} examples.${name}`, "has no value");
    if (ex.value !== undefined) out.push([ex.value, `${where} examples.${name}`]);
  }
  return out;
}

if (schemasOk) {
  for (const o of operations) {
    for (const p of o.params.values()) {
      if (!p.schema) continue;
      for (const [v, w] of exampleValues(p, `${o.where} parameter ${p.name}`)) checkValue(p.schema, v, w);
    }
    const bodies = [];
    if (o.op.requestBody) {
      const rb = deref(o.op.requestBody, o.where);
      if (rb) bodies.push(["request", rb.content ?? {}]);
    }
    for (const [code, r0] of Object.entries(o.op.responses ?? {})) {
      const r = deref(r0, o.where);
      if (!r) continue;
      bodies.push([code, r.content ?? {}]);
      for (const [hn, h0] of Object.entries(r.headers ?? {})) {
        const h = deref(h0, `${o.where} ${code} header ${hn}`);
        if (h?.schema) for (const [v, w] of exampleValues(h, `${o.where} ${code} header ${hn}`)) checkValue(h.schema, v, w);
      }
    }
    for (const [code, content] of bodies) {
      for (const [mt, media] of Object.entries(content)) {
        const w0 = `${o.where} ${code} ${mt}`;
        const examples = exampleValues(media, w0);
        if (examples.length === 0 && code !== "request" && mt !== JSON_MT) continue;
        if (examples.length === 0 && !/^2/.test(code) && code !== "request") fail(w0, "has no example");
        if (!media.schema) continue;
        for (const [value, w] of examples) {
          if (mt === NDJSON) {
            if (typeof value !== "string" || !value.endsWith("\n")) {
              fail(w, "an NDJSON example is a string of lines, each ending in \\n");
              continue;
            }
            const lines = value.slice(0, -1).split("\n");
            lines.forEach((line, i) => {
              let parsed;
              try {
                parsed = JSON.parse(line);
              } catch (e) {
                return fail(`${w} line ${i + 1}`, `not JSON: ${e.message}`);
              }
              checkValue(media.schema, parsed, `${w} line ${i + 1}`);
              checkLinks(parsed, `${w} line ${i + 1}`);
              if (i < lines.length - 1 && (parsed["@next"] !== undefined || parsed["@error"] !== undefined))
                fail(`${w} line ${i + 1}`, "@next / @error may only be the last line");
            });
            continue;
          }
          checkValue(media.schema, value, w);
          checkLinks(value, w);
          if (mt === PROBLEM) checkProblem(value, code, w);
        }
      }
    }
  }

  /* "examples" arrays inside component schemas. */
  const walk = (node, where) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node.examples) && (node.type !== undefined || node.$ref !== undefined || node.pattern !== undefined))
      node.examples.forEach((ex, i) => checkValue(node, ex, `${where}.examples[${i}]`));
    for (const [k, v] of Object.entries(node)) if (k !== "examples" && k !== "enum" && k !== "default") walk(v, `${where}.${k}`);
  };
  walk(componentSchemas, "components.schemas");

  /* Named examples nobody uses are probably a mistake. */
  const used = new Set(JSON.stringify(doc).match(/#\/components\/examples\/[A-Za-z0-9_.-]+/g) ?? []);
  for (const name of Object.keys(doc.components?.examples ?? {}))
    if (!used.has(`#/components/examples/${name}`)) fail(`components.examples.${name}`, "is not used");
}

/* --- report ---------------------------------------------------------------------------------- */

if (errors.length) {
  for (const e of errors) console.log(`openapi.json: ${e}`);
  console.log(`validate: ${errors.length} error(s) in ${docPath}`);
  process.exit(1);
}
console.log(
  `validate: ok: ${docPath}: OpenAPI ${doc.openapi}, ${operations.length} operations, ` +
    `${Object.keys(componentSchemas).length} schemas, ${compiled.size} schemas checked against examples`
);
