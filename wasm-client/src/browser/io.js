// io.js: every browser call the usage tracker makes, imported by the wasm (src/browser/io.rs).
// One small module instead of dozens of web-sys bindings (each of which adds its own glue), and
// every function that touches something the browser or the host page may make throw catches it,
// so no exception ever reaches the wasm or the page. No decisions are made here: the Rust side owns all the logic.
// The callback `cb(code, number, value)` is the tracker's one entry point for browser events; the
// codes are the `EV_*` constants of src/browser/runtime.rs.

// What counts as the user being active.
const INPUTS = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "scroll"];

export function has_window() {
  return typeof window == "object" && typeof document == "object";
}

export function now() {
  return Date.now();
}

export function random() {
  return Math.random();
}

// 32 random bits for ids: Web Crypto, or Math.random in (very old) browsers without it.
export function random_u32() {
  try {
    return crypto.getRandomValues(new Uint32Array(1))[0];
  } catch (e) {
    return (Math.random() * 4294967296) >>> 0;
  }
}

export function hidden() {
  return document.hidden === true;
}

// Not in every browser's types yet, so read as a plain property (a page may have replaced it).
export function gpc() {
  try {
    return navigator.globalPrivacyControl === true;
  } catch (e) {
    return false;
  }
}

// Do Not Track: "1" when on; Safari and old Edge put it on window instead of navigator.
export function dnt() {
  try {
    return navigator.doNotTrack === "1" || window.doNotTrack === "1";
  } catch (e) {
    return false;
  }
}

export function origin() {
  try {
    return location.origin;
  } catch (e) {}
}

// Web Storage: merely touching localStorage throws when storage is disabled, and writes throw
// when it is full. `local` (1 or 0) picks localStorage, else sessionStorage.
function area(local) {
  return local ? localStorage : sessionStorage;
}

export function store_get(local, key) {
  try {
    return area(local).getItem(key);
  } catch (e) {}
}

export function store_set(local, key, value) {
  try {
    area(local).setItem(key, value);
    return true;
  } catch (e) {
    return false;
  }
}

export function store_remove(local, key) {
  try {
    area(local).removeItem(key);
  } catch (e) {}
}

// The keys starting with `prefix`, one per line.
export function store_keys(local, prefix) {
  const out = [];
  try {
    const s = area(local);
    for (let i = 0; i < s.length; i++) {
      const k = s.key(i);
      if (k.startsWith(prefix)) out.push(k);
    }
  } catch (e) {}
  return out.join("\n");
}

// Page lifecycle (codes 2 and 3) and input (code 4) listeners; returns the function removing them.
// On window (document for visibilitychange), capturing and passive: the page's own handlers and
// stopPropagation are unaffected, and scrolling is never delayed.
export function listen(cb) {
  const hooks = [
    [document, "visibilitychange", 2],
    // Back from the back/forward cache: resynchronise visibility and timers.
    [window, "pageshow", 2],
    [window, "pagehide", 3],
    ...INPUTS.map((name) => [window, name, 4]),
  ].map(([target, name, code]) => [target, name, () => cb(code, 0, null)]);
  for (const [target, name, f] of hooks) {
    target.addEventListener(name, f, { capture: true, passive: true });
  }
  return () => {
    for (const [target, name, f] of hooks) target.removeEventListener(name, f, true);
  };
}

export function unlisten(off) {
  off();
}

// setInterval (`repeat`) or setTimeout calling `cb(code)`; returns the handle for clear_timer.
export function timer(cb, code, ms, repeat) {
  const f = () => cb(code, 0, null);
  return repeat ? setInterval(f, ms) : setTimeout(f, ms);
}

// Interval and timeout handles share one pool, so clearTimeout clears either.
export function clear_timer(id) {
  clearTimeout(id);
}

// POSTs `body` as text/plain (a string body: a "simple" request, no CORS preflight), without
// cookies or HTTP auth, with keepalive so a send started just before unload completes. Later
// calls cb(5, status, retryAfterHeader) or cb(6) on a network error. Returns false if the request
// could not even start (the page may have replaced fetch with something that throws).
export function post(url, body, cb) {
  try {
    const init = { method: "POST", body, mode: "cors", credentials: "omit", keepalive: true };
    fetch(url, init).then(
      (r) => {
        let status = 0;
        let retry = null;
        try {
          status = r.status;
          // Cross-origin, readable only if the server lists it in Access-Control-Expose-Headers.
          retry = r.headers.get("retry-after");
        } catch (e) {}
        cb(5, status, retry);
      },
      () => cb(6, 0, null),
    );
    return true;
  } catch (e) {
    return false;
  }
}

// navigator.sendBeacon (sent as text/plain); false if the browser refused it (over its budget).
export function beacon(url, body) {
  try {
    return navigator.sendBeacon(url, body) === true;
  } catch (e) {
    return false;
  }
}

export function log(msg, detail) {
  console.log("[usage]", msg, detail);
}

// `o[key]` for option and argument objects; undefined if `o` is not an object or a getter throws.
export function get(o, key) {
  try {
    if (typeof o == "object" && o !== null) return o[key];
  } catch (e) {}
}

// A number as is, or a string converted (HTML data attributes give numbers as strings); NaN for
// anything else or a string that is not numeric.
export function number(v) {
  return typeof v == "number" || typeof v == "string" ? Number(v) : NaN;
}

// A boolean option: 1 for true (also "true", "1" and "", a bare HTML data attribute), 0 for false
// (also "false" and "0"), -1 for anything else.
export function flag(v) {
  if (v === true || v === "true" || v === "1" || v === "") return 1;
  return v === false || v === "false" || v === "0" ? 0 : -1;
}

// JSON of a plain (non-array) object; undefined for anything else or if JSON.stringify throws
// (cycles, BigInt).
export function json_object(v) {
  try {
    if (typeof v == "object" && v !== null && !Array.isArray(v)) return JSON.stringify(v);
  } catch (e) {}
}

// Epoch ms of an HTTP date (Retry-After's other form), NaN if it is none.
export function parse_date(s) {
  return Date.parse(s);
}
