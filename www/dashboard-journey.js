// The journey panels (/journey and /funnel): what the range's sessions did with programs, and
// how far they went through the configured funnel. Each panel keeps its figures in elements
// with stable ids (the e2e test reads them) and a data table below, like every chart.

import { $, number, percent } from './dashboard-core.js';
import { dataTable } from './dashboard-tables.js';

/** "≤ 16 s / ≤ 64 s": the upper bounds of the power-of-two buckets of the median and p90. */
function bounds(s) {
  const one = (v) => (v === null ? '–' : `≤ ${number(v)} s`);
  return `${one(s.p50)} / ${one(s.p90)}`;
}

export function setJourney(j) {
  const facts = [
    ['journey-run', 'Sessions with a run', `${number(j.sessions_with_run)} · ${percent(j.run_share)}`,
      j.sessions_with_run],
    ['journey-success', 'Sessions with a successful run',
      `${number(j.sessions_with_success)} · ${percent(j.success_share)}`, j.sessions_with_success],
    ['journey-first-run', 'To the first run, median / p90', bounds(j.to_first_run), j.to_first_run.p50 ?? ''],
    ['journey-first-success', 'To the first success, median / p90', bounds(j.to_first_success),
      j.to_first_success.p50 ?? ''],
    ['journey-failed-before', 'Failed runs before the first success (per session)',
      j.avg_failed_before_success === null ? '–' : j.avg_failed_before_success.toFixed(2),
      j.failed_before_success],
    ['journey-recovered', 'Recovered from an error (failed, then succeeded)',
      `${number(j.recovered)} of ${number(j.sessions_with_failure)} · ${percent(j.recovered_share)}`, j.recovered],
  ];
  for (const [id, , text, value] of facts) {
    $(id).textContent = text;
    $(id).dataset.value = value;
  }
  const figure = $('journey-stats');
  figure.dataset.total = j.sessions;
  dataTable(figure, ['Figure', 'Value'], [['Sessions', number(j.sessions)],
    ...facts.map(([, name, text]) => [name, text])]);
}

export function setFunnel(f) {
  const figure = $('chart-funnel');
  const plot = figure.querySelector('.plot');
  const first = Math.max(...f.steps.map((s) => s.sessions), 1);
  const list = document.createElement('ol');
  list.className = 'ranking';
  list.setAttribute('aria-label', `Funnel: ${f.steps.length} steps, each counting the sessions that reached it in order`);
  for (const s of f.steps) {
    const li = document.createElement('li');
    li.dataset.name = s.name;
    li.dataset.value = s.sessions;
    li.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="value"></span>';
    li.querySelector('.name').textContent = s.name;
    li.querySelector('.fill').style.width = `${(100 * s.sessions) / first}%`;
    li.querySelector('.value').textContent = `${number(s.sessions)} · ${percent(s.share_of_sessions)}`;
    list.append(li);
  }
  if (f.steps.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'Nothing in this range.';
    plot.replaceChildren(empty);
  } else {
    plot.replaceChildren(list);
  }
  figure.dataset.total = f.sessions;
  dataTable(figure, ['Step', 'Sessions', 'Of all sessions', 'Of the step before'],
    f.steps.map((s) => [`${s.step + 1}. ${s.name}`, number(s.sessions), percent(s.share_of_sessions),
      percent(s.share_of_previous)]));
}
