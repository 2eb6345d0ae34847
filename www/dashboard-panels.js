// The dashboard's panels beside the charts: the Now panel (refreshing itself), program errors,
// a feature's data, and "Download CSV" for every section.

import {
  $, API, api, duration, number, offerSites, percent, siteParams, status, token,
} from './dashboard-core.js';
import { dataTable } from './dashboard-tables.js';

// ---------- now (refreshes itself every heartbeat period) ----------
let nowTimer = null;

function setNow(live) {
  const runs = (r) => `${number(r.runs)} / ${number(r.errors)}`;
  $('now-sessions').textContent = number(live.sessions);
  $('now-sessions').dataset.value = live.sessions;
  $('now-5m').textContent = runs(live.programs_5m);
  $('now-5m').dataset.value = `${live.programs_5m.runs}/${live.programs_5m.errors}`;
  $('now-30m').textContent = runs(live.programs_30m);
  $('now-30m').dataset.value = `${live.programs_30m.runs}/${live.programs_30m.errors}`;
  $('now-window').textContent = `${2 * live.heartbeat_interval_secs} s`;
  $('now-at').textContent = `at ${live.at.slice(11, 19)} UTC, every ${live.heartbeat_interval_secs} s`;
  const body = $('now-sites').querySelector('tbody');
  body.replaceChildren(...live.sites.map((site) => {
    const tr = document.createElement('tr');
    tr.dataset.site = site.site;
    tr.dataset.sessions = site.sessions;
    for (const text of [site.site || '(no site)', number(site.sessions), number(site.programs_5m.runs),
      number(site.programs_5m.errors), number(site.programs_30m.runs), number(site.programs_30m.errors)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  if (live.other?.count > 0) {
    body.append(otherRow(6, `${number(live.other.count)} sessions on other sites`, 'now-other'));
  }
  const now = $('now');
  now.dataset.refreshes = Number(now.dataset.refreshes || 0) + 1;
}

/** Reads the live view, then again one heartbeat period later, until the page signs out. */
export async function refreshNow() {
  clearTimeout(nowTimer);
  let every = 15;
  try {
    const live = await api('live', siteParams());
    offerSites(live.sites.map((s) => s.site));
    setNow(live);
    every = live.heartbeat_interval_secs;
  } catch (error) {
    if (error.status === 401) return;
    $('now-at').textContent = `not refreshed: ${error.message}`;
  }
  if (token) nowTimer = setTimeout(refreshNow, every * 1000);
}

/** The row saying what a table's answer left out (its `other`), across all its columns. */
function otherRow(columns, text, id) {
  const tr = document.createElement('tr');
  tr.className = 'other';
  tr.id = id;
  const td = document.createElement('td');
  td.colSpan = columns;
  td.textContent = text;
  tr.append(td);
  return tr;
}

export function setErrors(errors) {
  const body = $('program-errors').querySelector('tbody');
  body.replaceChildren(...errors.errors.map((e) => {
    const tr = document.createElement('tr');
    tr.dataset.error = e.error;
    tr.dataset.runs = e.runs;
    for (const text of [e.error, number(e.runs), number(e.sessions),
      e.last_seen.replace('T', ' ').replace(/(\.\d+)?Z$/, ''), e.example]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  if (errors.other?.count > 0) {
    body.append(otherRow(5, `${number(errors.other.count)} failed runs in other groups`, 'errors-other'));
  }
  if (errors.errors.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 5;
    td.className = 'empty';
    td.textContent = 'No failed runs in this range.';
    tr.append(td);
    body.append(tr);
  }
  $('program-errors').dataset.rows = errors.errors.length;
}

/** The drill-down of one feature: its data's keys and their most frequent values. */
export async function showFeature(name) {
  const range = siteParams({ from: $('range-from').value, to: $('range-to').value });
  const data = await api(`features/${encodeURIComponent(name)}`, range);
  $('feature-detail-title').textContent = `Feature data: ${name} (${number(data.events)} events with data)`;
  const body = $('feature-data').querySelector('tbody');
  const rows = [];
  for (const key of data.keys) {
    for (const value of key.values) {
      const tr = document.createElement('tr');
      tr.dataset.key = key.key;
      tr.dataset.value = value.value;
      tr.dataset.events = value.events;
      for (const text of [key.key, value.value, number(value.events)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      rows.push(tr);
    }
  }
  body.replaceChildren(...rows);
  $('feature-detail').hidden = false;
  $('feature-detail').dataset.feature = name;
}

/** "Download CSV": the section's route with the page's range and site as `?format=csv` (fetched
 *  with the token, which a plain link could not send), saved under the server's file name. */
export async function downloadCsv(button) {
  const route = button.dataset.csv;
  const params = { format: 'csv' };
  if (route === 'sessions') params.limit = 20;
  else if (route === 'errors') params.limit = 10;
  if (!['sessions', 'live'].includes(route)) {
    params.from = $('range-from').value;
    params.to = $('range-to').value;
  }
  const query = new URLSearchParams(siteParams(params)).toString();
  const response = await fetch(`${API}${route}?${query}`, {
    headers: { Authorization: `Bearer ${token}` }, cache: 'no-store',
  });
  if (!response.ok) {
    status(`Download failed: HTTP ${response.status}`, true);
    return;
  }
  const blob = await response.blob();
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') || '');
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name ? name[1] : `usage-${route}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  button.dataset.downloaded = link.download;
  button.dataset.bytes = blob.size;
}

/** Where the time goes (`/time`): the range's averages per session, and a row a day in the data
 *  table. Only sessions whose browser measured a visible time count (docs/reports.md). */
export function setTime(time) {
  const t = time.totals;
  const shown = {
    'time-visible': [duration(t.avg_visible_seconds), t.avg_visible_seconds],
    'time-active': [duration(t.avg_active_seconds), t.avg_active_seconds],
    'time-running': [duration(t.avg_running_seconds), t.avg_running_seconds],
    'time-idle': [duration(t.avg_idle_seconds), t.avg_idle_seconds],
    'time-no-input': [`${number(t.no_input_sessions)} of ${number(t.sessions)} · ${percent(t.no_input_share)}`,
      t.no_input_share],
  };
  for (const [id, [text, value]] of Object.entries(shown)) {
    $(id).textContent = text;
    $(id).dataset.value = value ?? '';
  }
  const figure = $('time-split');
  dataTable(figure, ['Day (UTC)', 'Sessions measured', 'Visible', 'Active', 'Running', 'Idle', 'Without input'],
    time.days.map((d) => [d.date, number(d.sessions), duration(d.avg_visible_seconds), duration(d.avg_active_seconds),
      duration(d.avg_running_seconds), duration(d.avg_idle_seconds), percent(d.no_input_share)]));
  figure.dataset.rendered = 'true';
}

/** Stops the Now panel's refreshes (signing out). */
export function stopNow() { clearTimeout(nowTimer); }
