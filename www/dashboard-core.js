// The dashboard's shared core: the token, the API, formatting and the status line. A module of
// its own so that dashboard.js (charts, page) and dashboard-panels.js (now, errors, feature data,
// downloads) stay readable.

export const TOKEN_KEY = 'usage-admin-token';
export const API = '/api/v1/stats/';
export const $ = (id) => document.getElementById(id);

export let token = sessionStorage.getItem(TOKEN_KEY) || '';

// ---------- formatting ----------
export const number = (n) => (n ?? 0).toLocaleString('en-US');
export const percent = (r) => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(1)}%`);
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
/** A headline figure's change against the previous period of `days` days, as words: "+12 % vs
 *  previous 7 days"; rates change in percentage points; a zero (or missing) previous value has no
 *  percentage, so it says what the previous value was. */
export function change(now, before, days, kind = 'count') {
  const period = `previous ${days === 1 ? 'day' : `${days} days`}`;
  // No figure (a rate without runs): say what the other period had.
  if (before === null || before === undefined) return `none in the ${period}`;
  if (now === null || now === undefined) {
    return `${kind === 'rate' ? percent(before) : number(before)} in the ${period}`;
  }
  const sign = (d) => (d > 0 ? '+' : d < 0 ? '−' : '±');
  if (kind === 'rate') {
    const points = Math.round((now - before) * 1000) / 10;
    return `${sign(points)}${Math.abs(points).toFixed(1)} pts vs ${period}`;
  }
  if (before === 0) return now === 0 ? `none in the ${period} either` : `none in the ${period}`;
  const pct = Math.round(((now - before) / before) * 100);
  return `${sign(pct)}${Math.abs(pct)} % vs ${period}`;
}
export const ms = (v) => (v === null || v === undefined ? '–' : `${number(v)} ms`);
export const isoDay = (date) => date.toISOString().slice(0, 10);
// Today in an IANA zone (the server's report time zone, which every answer names as
// `time_zone`): the days of the reports are its local days. en-CA writes dates as YYYY-MM-DD.
export function todayIn(zone) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .format(new Date());
  } catch {
    return isoDay(new Date());
  }
}
export function daysBefore(last, days) {
  const d = new Date(`${last}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - (days - 1));
  return isoDay(d);
}

// ---------- API ----------
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function api(path, params = {}) {
  const query = new URLSearchParams(params).toString();
  const response = await fetch(API + path + (query ? `?${query}` : ''), {
    headers: { Authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    throw new ApiError(response.status, (body && body.error) || `HTTP ${response.status}`);
  }
  return body;
}


/** Replaces the token (signing in or out); modules read `token` live. */
export function setToken(value) { token = value; }

export function status(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

/** `?site=` for every request when one site is picked. */
export function siteParams(params = {}) {
  const site = $('range-site').value.trim();
  return site ? { ...params, site } : params;
}

/** The site picker offers the sites seen live, plus what is typed or in the URL. */
export function offerSites(sites) {
  const list = $('site-list');
  const known = new Set([...list.options].map((o) => o.value));
  for (const site of sites) {
    if (site && !known.has(site)) list.append(new Option(site, site));
  }
}
