// Text alternatives of the charts: each chart gets an accessible name (what it shows, over which
// days, its total) and, below it, a collapsed <details> table with every number it draws, for
// screen readers, keyboard users and anyone who wants the exact figures. No build step.

/** The figure's caption as words: without its "Download CSV" button. */
export function captionText(figure) {
  const caption = figure.querySelector('figcaption').cloneNode(true);
  for (const button of caption.querySelectorAll('button')) button.remove();
  return caption.textContent.replace(/\s+/g, ' ').trim();
}

/** Puts (or replaces) the figure's data table: `headers` name the columns, `rows` hold the text
 *  of each cell; the first cell of a row is its header (a date or a name). */
export function dataTable(figure, headers, rows) {
  let details = figure.querySelector('details.data');
  if (!details) {
    details = document.createElement('details');
    details.className = 'data';
    const summary = document.createElement('summary');
    summary.textContent = 'Data table';
    const scroll = document.createElement('div');
    scroll.className = 'scroll';
    // Focusable, so a keyboard can scroll a table wider than a phone.
    scroll.tabIndex = 0;
    scroll.setAttribute('role', 'region');
    scroll.setAttribute('aria-label', `${captionText(figure)}: data table`);
    details.append(summary, scroll);
    figure.append(details);
  }
  const table = document.createElement('table');
  const caption = document.createElement('caption');
  caption.className = 'visually-hidden';
  caption.textContent = captionText(figure);
  const head = document.createElement('thead');
  const tr = document.createElement('tr');
  for (const text of headers) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    tr.append(th);
  }
  head.append(tr);
  const body = document.createElement('tbody');
  for (const cells of rows) {
    const row = document.createElement('tr');
    cells.forEach((text, i) => {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) cell.scope = 'row';
      cell.textContent = text;
      row.append(cell);
    });
    body.append(row);
  }
  table.append(caption, head, body);
  details.querySelector('.scroll').replaceChildren(table);
}

/** The accessible name of a daily chart: caption, days and a summary figure. */
export function dailyName(figure, days, summary) {
  const span = days.length ? `${days[0].date} to ${days[days.length - 1].date}` : 'no days';
  return `${captionText(figure)}, ${span}: ${summary}. Each day's numbers are in the data table below.`;
}
