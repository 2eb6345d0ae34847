// usage.js: one-tag loader for the usage tracker.
//
//   <script type="module" src="https://HOST/usage/usage.js" data-site="ide"></script>
//
// Sets `window.usage` at once (calls made before the wasm is loaded are queued, not lost), then
// loads the wasm and starts a UsageTracker configured from the tag's data-* attributes
// (data-endpoint defaults to this script's origin; data-heartbeat-interval becomes the
// `heartbeatInterval` option, and so on). Nothing here may throw into the page.
//
// The wasm-bindgen glue is imported statically: the release build bundles it into this file, and
// a static import lets the bundler drop what the loader does not use (initSync, the lazy-module
// wrappers a dynamic import() needs): ~0.4 KB less over the wire. Unbundled, the browser fetches
// it from next to this file before running this module.
import init, { UsageTracker } from "./usage_client.js";

const here = import.meta.url;
const MAX_QUEUED = 100;
const queued = [];
let tracker = null;
let debug = false;

function call(name, args) {
  if (!tracker) {
    if (queued.length < MAX_QUEUED) queued.push([name, args]);
    return;
  }
  try {
    tracker[name](...args);
  } catch (e) {
    // The tracker catches its own errors; this only guards against a trapped wasm instance.
    if (debug) console.log("[usage]", name, e);
  }
}

function read(prop) {
  try {
    return tracker ? tracker[prop] : undefined;
  } catch (e) {
    return undefined;
  }
}

// A page may have installed a stub before this module ran (see docs/integration.md): keep the
// calls it recorded as `q: [[method, args], ...]`.
const earlier = window.usage && Array.isArray(window.usage.q) ? window.usage.q : [];
for (const c of earlier.slice(0, MAX_QUEUED)) {
  if (Array.isArray(c) && typeof c[0] === "string") queued.push([c[0], Array.from(c[1] || [])]);
}

const api = {
  feature: (name, data) => call("feature", [name, data]),
  programRun: (run) => call("programRun", [run]),
  end: () => call("end", []),
  flush: () => call("flush", []),
  optOut: () => call("optOut", []),
  optIn: () => call("optIn", []),
  get sessionId() {
    return read("sessionId");
  },
  get enabled() {
    return read("enabled");
  },
  ready: null,
};

function findTag() {
  for (const s of document.querySelectorAll("script[src]")) {
    if (s.src === here) return s;
  }
  return document.querySelector("script[data-site]");
}

async function boot() {
  const tag = findTag();
  // dataset turns data-flush-interval into flushInterval: the options' names.
  const opts = Object.assign({}, tag ? tag.dataset : {});
  if (!opts.endpoint) opts.endpoint = new URL(here).origin;
  debug = opts.debug !== undefined && opts.debug !== "false";
  await init();
  const t = new UsageTracker(opts);
  t.start();
  tracker = t;
  for (const [name, args] of queued.splice(0)) call(name, args);
  return t.enabled;
}

api.ready = boot().catch((e) => {
  if (debug) console.log("[usage] tracker not loaded", e);
  return false;
});
window.usage = api;
