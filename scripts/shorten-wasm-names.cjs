// Shortens the names the wasm and its wasm-bindgen glue share, in both at once (run by
// scripts/build-client.sh after wasm-opt, before the JS is minified):
//   node shorten-wasm-names.cjs DIR NAME
// rewrites DIR/NAME_bg.wasm, DIR/NAME.js and the two .d.ts files beside them.
//
// Why: wasm-bindgen names every import `__wbg_<method>_<16 hex digits of hash>` and its module
// "./NAME_bg.js", and exports carry Rust names (`usagetracker_programRun`,
// `wasm_bindgen__convert__closures_____invoke__h<hash>`). Each name is written twice, in the
// wasm's import/export sections and in the glue, and the hashes do not compress at all: with
// one- or two-letter names a page downloads about 1 KB less (brotli; BENCHMARKS.md, figure e).
// binaryen's --minify-imports-and-exports leaves these imports alone (it only renames those of
// the "env" module), hence this script. Nothing else changes: the same functions are imported and
// exported, under other names.
//
// Safe by construction, or it fails the build: every import name must occur exactly once in the
// glue (as the key of its import function), every export must be read as `wasm.<name>` (never by a quoted name) and the
// import module must be named once.
"use strict";
const fs = require("fs");
const path = require("path");

const [dir, name] = process.argv.slice(2);
if (!dir || !name) {
  console.error("usage: shorten-wasm-names.cjs DIR NAME");
  process.exit(2);
}
const wasmPath = path.join(dir, `${name}_bg.wasm`);
const jsPath = path.join(dir, `${name}.js`);
const dtsPaths = [path.join(dir, `${name}.d.ts`), path.join(dir, `${name}_bg.wasm.d.ts`)];
const fail = (msg) => {
  console.error(`shorten-wasm-names: ${msg}`);
  process.exit(1);
};

// --- a minimal reader and writer of the binary format (sections, LEB128, names)
function readU32(b, pos) {
  let result = 0, shift = 0, byte;
  do {
    byte = b[pos.i++];
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return result >>> 0;
}
function u32(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}
function readName(b, pos) {
  const len = readU32(b, pos);
  const s = b.subarray(pos.i, pos.i + len).toString("utf8");
  pos.i += len;
  return s;
}
const nameBytes = (s) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s, "utf8")]);
// Skips a limits structure (tables, memories): flags, min, optional max.
function skipLimits(b, pos) {
  const flags = readU32(b, pos);
  readU32(b, pos);
  if (flags & 1) readU32(b, pos);
}

// Short names: a..z, A..Z, then two letters.
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
function shortName(i) {
  if (i < ALPHABET.length) return ALPHABET[i];
  i -= ALPHABET.length;
  return ALPHABET[Math.floor(i / ALPHABET.length) % ALPHABET.length] + ALPHABET[i % ALPHABET.length];
}

const wasm = fs.readFileSync(wasmPath);
if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmPath} is not a wasm module`);
const glueModule = `./${name}_bg.js`;
const IMPORT_MODULE = "a";
const imported = new Map(); // old name -> new
const exported = new Map();
const out = [wasm.subarray(0, 8)];
const pos = { i: 8 };
while (pos.i < wasm.length) {
  const id = wasm[pos.i++];
  const size = readU32(wasm, pos);
  const start = pos.i;
  const end = start + size;
  let body = wasm.subarray(start, end);
  if (id === 2) {
    // Import section: module, field, kind, type.
    const p = { i: start };
    const n = readU32(wasm, p);
    const parts = [u32(n)];
    for (let k = 0; k < n; k++) {
      const module = readName(wasm, p);
      const field = readName(wasm, p);
      const descStart = p.i;
      const kind = wasm[p.i++];
      if (kind === 0) readU32(wasm, p);
      else if (kind === 1) (p.i++, skipLimits(wasm, p));
      else if (kind === 2) skipLimits(wasm, p);
      else if (kind === 3) p.i += 2;
      else if (kind === 4) (p.i++, readU32(wasm, p));
      else fail(`unknown import kind ${kind}`);
      if (module !== glueModule) fail(`import ${module}.${field} not from the glue`);
      if (!imported.has(field)) imported.set(field, shortName(imported.size));
      parts.push(nameBytes(IMPORT_MODULE), nameBytes(imported.get(field)), wasm.subarray(descStart, p.i));
    }
    body = Buffer.concat(parts);
  } else if (id === 7) {
    // Export section: name, kind, index. `memory` keeps its name (it is short already).
    const p = { i: start };
    const n = readU32(wasm, p);
    const parts = [u32(n)];
    for (let k = 0; k < n; k++) {
      const field = readName(wasm, p);
      const descStart = p.i;
      p.i++;
      readU32(wasm, p);
      const short = field === "memory" ? field : shortName(exported.size);
      if (field !== "memory") exported.set(field, short);
      parts.push(nameBytes(short), wasm.subarray(descStart, p.i));
    }
    body = Buffer.concat(parts);
  }
  out.push(Buffer.from([id]), u32(body.length), body);
  pos.i = end;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
let js = fs.readFileSync(jsPath, "utf8");
const moduleKey = JSON.stringify(glueModule);
if (js.split(moduleKey).length !== 2) fail(`the glue names ${moduleKey} other than once`);
js = js.replace(moduleKey, JSON.stringify(IMPORT_MODULE));
for (const [from, to] of imported) {
  const re = new RegExp(`\\b${escape(from)}\\b`, "g");
  const n = (js.match(re) || []).length;
  if (n !== 1 || !new RegExp(`\\b${escape(from)}:`).test(js)) {
    fail(`import ${from} occurs ${n} times in ${jsPath}, expected once as a key`);
  }
  js = js.replace(re, to);
}
for (const [from, to] of exported) {
  const re = new RegExp(`\\bwasm\\.${escape(from)}\\b`, "g");
  js = js.replace(re, `wasm.${to}`);
  // Any other way of reading exports (wasm["name"], destructuring) would miss the new name. The
  // glue may have a local function of the same name (closure invokers): those are left alone.
  if (new RegExp(`["'\`]${escape(from)}["'\`]`).test(js)) {
    fail(`export ${from} is read in ${jsPath} other than as wasm.${from}`);
  }
}
for (const p of dtsPaths) {
  let dts = fs.readFileSync(p, "utf8");
  for (const [from, to] of exported) dts = dts.replace(new RegExp(`\\b${escape(from)}\\b`, "g"), to);
  fs.writeFileSync(p, dts);
}
fs.writeFileSync(wasmPath, Buffer.concat(out));
fs.writeFileSync(jsPath, js);
console.log(`shorten-wasm-names: ${imported.size} imports, ${exported.size} exports renamed`);
