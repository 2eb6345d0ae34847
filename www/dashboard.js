// The usage dashboard: asks for the admin token, reads /api/v1/stats/* and draws hand-written
// SVG charts. No build step, no dependencies. Every number the page shows sits in an element
// with a stable id or data attribute, and <body data-state> says "ready" once all is drawn.

import {
  $, TOKEN_KEY, api, change, daysBefore, duration, ms, number, percent, setToken, siteParams,
  status, todayIn, token,
} from './dashboard-core.js';
import {
  downloadCsv, refreshNow, setErrors, setTime, showFeature, stopNow,
} from './dashboard-panels.js';
import { setFunnel, setJourney } from './dashboard-journey.js';
import { captionText, dailyName, dataTable } from './dashboard-tables.js';

// ---------- SVG charts ----------
const SVG = 'http://www.w3.org/2000/svg';
// Width of the charts' coordinate system: narrower on a phone, so labels stay readable.
let W = 640;
let lastDaily = null;
// The zone of the answers (`time_zone`): the report time zone, or with a site filter that site's
// own zone (`site_timezones`); days and hours are its local ones. UTC until an answer says so.
let zone = 'UTC';
// The range was given in the address (or picked): a change of zone does not move it.
let rangeChosen = false;
const H = 220, PAD = { l: 48, r: 44, t: 12, b: 28 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An axis maximum of four round steps (1, 2 or 5 times a power of ten; whole numbers when
 *  counting), at least `max`. Durations step in round minutes once past a minute. */
function niceMax(max, kind = 'count') {
  const raw = Math.max(max, 0) / 4;
  if (kind === 'seconds' && raw > 30) return 4 * 60 * niceStep(raw / 60);
  return 4 * Math.max(niceStep(raw), kind === 'rate' ? 0 : 1);
}
function niceStep(raw) {
  if (raw <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((c) => c >= raw);
}

function frame(dates, yMax, format) {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart' });
  const plotW = W - PAD.l - PAD.r, plotH = H - PAD.t - PAD.b;
  for (let i = 0; i <= 4; i++) {
    const y = PAD.t + plotH - (plotH * i) / 4;
    svg.append(el('line', { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: 'grid' }));
    svg.append(el('text', { x: PAD.l - 6, y: y + 4, class: 'tick y' }, format((yMax * i) / 4)));
  }
  // Dates under the axis: first, last and a few between, so they never overlap.
  const step = Math.max(1, Math.ceil(dates.length / 6));
  dates.forEach((d, i) => {
    const last = dates.length - 1;
    if ((i % step && i !== last) || (i !== last && last - i < step * 0.8)) return;
    const x = PAD.l + (plotW * (i + 0.5)) / dates.length;
    // Days show as MM-DD; the hourly chart's points are already short ("09:00").
    svg.append(el('text', { x, y: H - 8, class: 'tick x' }, d.length > 5 ? d.slice(5) : d));
  });
  const xOf = (i) => PAD.l + (plotW * (i + 0.5)) / dates.length;
  const yOf = (v, max = yMax) => PAD.t + plotH - (plotH * v) / max;
  return { svg, xOf, yOf, band: plotW / dates.length, plotH };
}

function bars(days, key, format = number, cls = 'bar') {
  const values = days.map((d) => d[key]);
  const yMax = niceMax(Math.max(...values, 0));
  const f = frame(days.map((d) => d.date), yMax, (v) => format(Math.round(v)));
  days.forEach((d, i) => {
    const h = f.plotH * (d[key] / yMax);
    const w = Math.max(1, f.band * 0.7);
    const rect = el('rect', { x: f.xOf(i) - w / 2, y: f.yOf(d[key]), width: w, height: h, class: cls,
      'data-date': d.date, 'data-value': d[key] });
    rect.append(el('title', {}, `${d.date}: ${format(d[key])}`));
    f.svg.append(rect);
  });
  return f;
}

function line(f, days, key, cls, max, format) {
  const points = days.map((d, i) => [d, i]).filter(([d]) => d[key] !== null && d[key] !== undefined);
  if (points.length === 0) return;
  // A missing day starts a new stroke, so the line never bridges a gap.
  const path = points.map(([d, i], n) => `${n && points[n - 1][1] === i - 1 ? 'L' : 'M'}`
    + `${f.xOf(i).toFixed(1)},${f.yOf(d[key], max).toFixed(1)}`);
  f.svg.append(el('path', { d: path.join(' '), class: `line ${cls}` }));
  for (const [d, i] of points) {
    const dot = el('circle', { cx: f.xOf(i), cy: f.yOf(d[key], max), r: 3, class: `dot ${cls}`,
      'data-date': d.date, 'data-value': d[key] });
    dot.append(el('title', {}, `${d.date}: ${format(d[key])}`));
    f.svg.append(dot);
  }
}

function place(figure, svg, total, summary) {
  const plot = figure.querySelector('.plot');
  svg.setAttribute('aria-label', dailyName(figure, lastDaily, summary));
  plot.replaceChildren(svg);
  figure.dataset.total = total;
  figure.dataset.rendered = 'true';
}

const tickDuration = (s) => (s >= 60 && s % 60 === 0 ? `${s / 60}m` : duration(s));

function drawDaily(days) {
  lastDaily = days;
  W = $('chart-sessions').clientWidth < 480 ? 400 : 640;
  const sum = (k) => days.reduce((a, d) => a + d[k], 0);
  const dated = (...cells) => days.map((d) => [d.date, ...cells.map((c) => c(d))]);
  place($('chart-sessions'), bars(days, 'sessions').svg, sum('sessions'),
    `${number(sum('sessions'))} sessions in all`);
  dataTable($('chart-sessions'), [`Day (${zone})`, 'Sessions'], dated((d) => number(d.sessions)));
  place($('chart-visitors'), bars(days, 'unique_visitors', number, 'bar alt').svg,
    sum('unique_visitors'), `${number(sum('unique_visitors'))} visitor-days in all`);
  dataTable($('chart-visitors'), [`Day (${zone})`, 'Unique visitors'],
    dated((d) => number(d.unique_visitors)));

  // A day without sessions has no average: a gap in the line, not a drop to zero.
  const timed = days.map((d) => (d.sessions ? d : { ...d, avg_duration_seconds: null, avg_active_seconds: null }));
  const maxDuration = niceMax(Math.max(...days.map((d) => d.avg_duration_seconds), 1), 'seconds');
  const fd = frame(days.map((d) => d.date), maxDuration, tickDuration);
  line(fd, timed, 'avg_duration_seconds', 'wall', maxDuration, duration);
  line(fd, timed, 'avg_active_seconds', 'active', maxDuration, duration);
  const busiest = Math.max(...timed.map((d) => d.avg_duration_seconds ?? 0), 0);
  place($('chart-duration'), fd.svg, days.length, `longest daily average ${duration(busiest)}`);
  dataTable($('chart-duration'), [`Day (${zone})`, 'Average wall time', 'Average active time'],
    timed.map((d) => [d.date, duration(d.avg_duration_seconds), duration(d.avg_active_seconds)]));

  const fp = bars(days, 'programs_run');
  // Success rate on its own 0–100 % scale, labelled on the right.
  for (const r of [0, 0.5, 1]) {
    fp.svg.append(el('text', { x: W - PAD.r + 6, y: fp.yOf(r, 1) + 4, class: 'tick rate' }, `${r * 100}%`));
  }
  line(fp, days, 'success_rate', 'rate', 1, percent);
  place($('chart-programs'), fp.svg, sum('programs_run'), `${number(sum('programs_run'))} programs run in all`);
  dataTable($('chart-programs'), [`Day (${zone})`, 'Programs run', 'Success rate'],
    dated((d) => number(d.programs_run), (d) => percent(d.success_rate)));
}

/**
 * Horizontal bars in HTML: long names wrap instead of being cut, on any screen width. The answer
 * lists its top N and `other` (what it left out); past the top 10 shown here, one "(other)" row
 * carries the rest, so the bars add up to the total.
 */
function ranking(figure, items, valueKey, label, headers, cells, other = null) {
  const plot = figure.querySelector('.plot');
  const top = items.slice(0, 10);
  const rest = items.slice(10).reduce((a, i) => a + i[valueKey], 0) + (other?.count || 0);
  const max = Math.max(...top.map((i) => i[valueKey]), 1);
  const list = document.createElement('ol');
  list.className = 'ranking';
  list.setAttribute('aria-label', `${captionText(figure)}: the top ${top.length} of ${items.length}`);
  for (const item of top) {
    const li = document.createElement('li');
    li.dataset.name = item.name;
    li.dataset.value = item[valueKey];
    li.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="value"></span>';
    li.querySelector('.name').textContent = item.name;
    li.querySelector('.fill').style.width = `${(100 * item[valueKey]) / max}%`;
    li.querySelector('.value').textContent = label(item);
    list.append(li);
  }
  const rows = top.map((item) => [item.name, ...cells(item)]);
  if (rest > 0) {
    const li = document.createElement('li');
    li.className = 'other';
    li.dataset.name = '(other)';
    li.dataset.value = rest;
    li.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="value"></span>';
    li.querySelector('.name').textContent = '(other)';
    li.querySelector('.fill').style.width = `${Math.min(100, (100 * rest) / max)}%`;
    li.querySelector('.value').textContent = number(rest);
    list.append(li);
    rows.push(['(other)', number(rest), ...Array(Math.max(0, headers.length - 2)).fill('')]);
  }
  if (top.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'Nothing in this range.';
    plot.replaceChildren(empty);
  } else {
    plot.replaceChildren(list);
  }
  dataTable(figure, headers, rows);
  figure.dataset.total = items.reduce((a, i) => a + i[valueKey], 0) + (other?.count || 0);
  figure.dataset.rendered = 'true';
}

// The hours of a one-day range (`/hourly`): sessions by the local hour (of the report zone) they
// started. Hidden for longer ranges.
function drawHours(hourly) {
  const figure = $('chart-hours');
  figure.hidden = !hourly;
  if (!hourly) return;
  const points = hourly.hours.map((h) => ({ ...h, date: `${String(h.hour).padStart(2, '0')}:00` }));
  const f = bars(points, 'sessions');
  const total = points.reduce((a, h) => a + h.sessions, 0);
  const busiest = points.reduce((a, h) => (h.sessions > a.sessions ? h : a), points[0]);
  f.svg.setAttribute('aria-label', `${captionText(figure)}, ${hourly.from}: ${number(total)} sessions`
    + (total ? `, most at ${busiest.date} (${number(busiest.sessions)})` : '')
    + '. Each hour\'s numbers are in the data table below.');
  figure.querySelector('.plot').replaceChildren(f.svg);
  dataTable(figure, [`Hour (${zone})`, 'Sessions', 'Visitors', 'Programs run'],
    points.map((h) => [h.date, number(h.sessions), number(h.unique_visitors), number(h.programs_run)]));
  figure.dataset.total = total;
  figure.dataset.rendered = 'true';
}

// ---------- page ----------
function setKpis(totals, previous) {
  const shown = {
    sessions: number(totals.sessions),
    visitor_days: number(totals.visitor_days),
    avg_duration_seconds: duration(totals.avg_duration_seconds),
    avg_active_seconds: duration(totals.avg_active_seconds),
    programs_run: number(totals.programs_run),
    success_rate: percent(totals.success_rate),
    lines_executed: number(totals.lines_executed),
    feature_uses: number(totals.feature_uses),
  };
  for (const output of document.querySelectorAll('[data-kpi]')) {
    const key = output.dataset.kpi;
    output.textContent = shown[key];
    output.dataset.value = totals[key] ?? '';
    // The change against the previous period of the same length (`compare=previous`).
    let note = output.parentElement.querySelector('.change');
    if (!note) {
      note = document.createElement('small');
      note.className = 'change';
      note.id = `${output.id}-change`;
      output.after(note);
    }
    const before = previous?.totals?.[key];
    const days = previous ? Math.round((Date.parse(previous.to) - Date.parse(previous.from)) / 864e5) + 1 : 0;
    note.textContent = previous ? change(totals[key], before, days, key === 'success_rate' ? 'rate' : 'count') : '';
    note.dataset.previous = before ?? '';
  }
}

// Sessions filtered instead of stored (docs/reports.md, "Filtered traffic"): in no figure above.
function setFiltered(filtered) {
  const f = filtered || { automation: 0, crawler: 0 };
  const line = $('filtered');
  line.dataset.automation = f.automation;
  line.dataset.crawler = f.crawler;
  line.textContent = `Filtered, not counted above: ${number(f.automation)} automated`
    + ` and ${number(f.crawler)} crawler session${f.crawler === 1 ? '' : 's'}.`;
}

function setPrograms(p) {
  $('programs-runs').textContent = number(p.runs);
  $('programs-runs').dataset.value = p.runs;
  $('programs-outcome').textContent = `${number(p.succeeded)} / ${number(p.failed)}`
    + (p.unknown ? ` (${number(p.unknown)} unknown)` : '') + ` · ${percent(p.success_rate)}`;
  $('programs-outcome').dataset.value = p.success_rate ?? '';
  const t = p.execution_ms;
  $('programs-times').textContent = `${ms(t.avg)} / ≤${ms(t.p50)} / ≤${ms(t.p95)} / ${ms(t.max)}`;
  $('programs-lines').textContent = p.avg_lines_executed === null ? '–' : number(p.avg_lines_executed);
}

function setSessions(sessions) {
  const body = $('recent-sessions').querySelector('tbody');
  body.replaceChildren(...sessions.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.started = s.started;
    const cells = [s.started.replace('T', ' ').replace(/(\.\d+)?Z$/, ''),
      duration(s.duration_seconds) + (s.ended ? '' : ' (open)'), duration(s.active_seconds),
      number(s.programs_run), number(s.lines_executed), number(s.errors),
      s.browser ?? '–', s.os ?? '–', s.device ?? '–'];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  $('recent-sessions').dataset.rows = sessions.length;
}

function showLogin(message = '') {
  stopNow();
  document.body.dataset.state = 'login';
  $('login').hidden = false;
  $('dashboard').hidden = true;
  $('range').hidden = true;
  $('login-error').textContent = message;
  $('token').focus();
}

async function load() {
  const range = siteParams({ from: $('range-from').value, to: $('range-to').value });
  document.body.dataset.state = 'loading';
  status(`Loading ${range.from} … ${range.to}`);
  try {
    const [daily, features, clients, programs, sessions, errors, time, journey, funnel] = await Promise.all([
      api('daily', { ...range, compare: 'previous' }), api('features', range), api('clients', range), api('programs', range),
      api('sessions', siteParams({ limit: 20 })), api('errors', { ...range, limit: 10 }), api('time', range),
      api('journey', range), api('funnel', range),
    ]);
    // One day (today included): its hours too.
    const hourly = range.from && range.from === range.to ? await api('hourly', range) : null;
    if (daily.time_zone && daily.time_zone !== zone) {
      zone = daily.time_zone;
      for (const name of document.querySelectorAll('.report-zone')) name.textContent = zone;
      // The default range ends today in the report zone, which the first answer named.
      if (!rangeChosen && todayIn(zone) !== range.to) {
        setRange(30);
        return load();
      }
    }
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('range').hidden = false;
    setKpis(daily.totals, daily.previous);
    setFiltered(daily.filtered);
    drawDaily(daily.days);
    drawHours(hourly);
    ranking($('chart-features'), features.features, 'uses', (f) => `${number(f.uses)} · ${number(f.sessions)} sess.`,
      ['Feature', 'Uses', 'Sessions'], (f) => [number(f.uses), number(f.sessions)], features.other);
    for (const li of $('chart-features').querySelectorAll('li:not(.other)')) {
      const name = li.querySelector('.name');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link';
      button.textContent = li.dataset.name;
      button.title = `Show the data of ${li.dataset.name}`;
      button.addEventListener('click', () => showFeature(li.dataset.name).catch((e) => status(e.message, true)));
      name.replaceChildren(button);
    }
    const share = (c) => `${number(c.sessions)} · ${percent(c.share)}`;
    const shareCells = (c) => [number(c.sessions), percent(c.share)];
    const left = clients.other || {};
    ranking($('chart-browsers'), clients.browsers, 'sessions', share, ['Browser', 'Sessions', 'Share'], shareCells,
      left.browsers);
    ranking($('chart-os'), clients.os, 'sessions', share, ['Operating system', 'Sessions', 'Share'], shareCells,
      left.os);
    ranking($('chart-devices'), clients.devices, 'sessions', share, ['Device', 'Sessions', 'Share'], shareCells,
      left.devices);
    setPrograms(programs);
    setTime(time);
    setJourney(journey);
    setFunnel(funnel);
    setSessions(sessions.sessions);
    setErrors(errors);
    // Every figure is read from the stored summaries, which `serve` refreshes every
    // `summary_refresh_secs` (60 s by default): say as of when, so today's figures are not
    // mistaken for the second's.
    const asOf = daily.summaries_as_of
      ? `Figures as of ${daily.summaries_as_of.slice(11, 19)} UTC` + (
        daily.summaries_as_of.slice(0, 10) === daily.to ? '.' : ` on ${daily.summaries_as_of.slice(0, 10)}.`)
      : 'No summary refresh yet.';
    const which = range.site ? `site ${range.site}` : 'all sites';
    // All sites with some sites in their own zones (`sites_in_own_zones`): the panels adding up
    // each site's summaries count those sites on their own days; say which.
    const own = Object.entries(journey.sites_in_own_zones || {}).map(([s, z]) => `${s} (${z})`);
    const ownDays = own.length
      ? ` Hours, time, programs, errors, journey and funnel count ${own.join(', ')} on their own days.`
      : '';
    status(`${daily.from} to ${daily.to}, ${which} (days in ${zone}; a session counts on the day it started). ${asOf}${ownDays}`);
    showRetention(daily.retention);
    refreshNow();
    document.body.dataset.state = 'ready';
  } catch (error) {
    if (error.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      setToken('');
      showLogin('That token was not accepted.');
    } else if (error.status === 503 && $('dashboard').hidden) {
      // Not configured (or no database) before anything was shown: say so where the user looks.
      showLogin(error.message);
    } else {
      document.body.dataset.state = 'error';
      status(error.message, true);
    }
  }
}

// The retention in force (the server's settings, as `daily` reports them): how far back the
// sessions list and the texts of errors and feature data can reach; the counts reach every day.
function showRetention(kept) {
  const line = $('retention');
  line.textContent = !kept ? '' : `Kept: sessions and events ${number(kept.raw_rows_days)} days `
    + `(from ${kept.raw_rows_from}); error examples and feature data ${number(kept.summary_text_days)} days `
    + `(from ${kept.summary_text_from}, older ones show as “(expired)”); daily counts for every day.`;
}

function setRange(days) {
  const to = todayIn(zone);
  $('range-to').value = to;
  $('range-from').value = daysBefore(to, days);
}

function start() {
  const params = new URLSearchParams(location.search);
  setRange(30);
  if (params.get('from')) $('range-from').value = params.get('from');
  if (params.get('to')) $('range-to').value = params.get('to');
  rangeChosen = Boolean(params.get('from') || params.get('to'));
  if (params.get('site')) $('range-site').value = params.get('site');
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    setToken($('token').value.trim());
    sessionStorage.setItem(TOKEN_KEY, token);
    load();
  });
  $('range').addEventListener('submit', (event) => { event.preventDefault(); rangeChosen = true; load(); });
  for (const button of document.querySelectorAll('[data-csv]')) {
    button.addEventListener('click', () => downloadCsv(button));
  }
  for (const button of document.querySelectorAll('[data-days]')) {
    button.addEventListener('click', () => { setRange(Number(button.dataset.days)); load(); });
  }
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken('');
    showLogin();
  });
  // Redraw for the new width when a phone turns or a window narrows past the breakpoint.
  window.addEventListener('resize', () => {
    const narrow = $('chart-sessions').clientWidth < 480;
    if (lastDaily && narrow !== (W < 640)) drawDaily(lastDaily);
  });
  if (token) load(); else showLogin();
}

start();
