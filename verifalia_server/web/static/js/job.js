// One job: its details and live progress, then charts of the results, the entries with their evidence,
// and downloads of all or the filtered entries.

import { call } from './api.js';
import { classificationChart, statusChart } from './charts.js';
import { deleteJob, progressCell } from './progress.js';
import { attempt, dateTime, duration, el, field, flash, saveBlob, select, timespanSeconds } from './ui.js';

const REFRESH_MS = 1500;
const SUMMARY_PAGE = 10000;
const ENTRIES_PAGE = 25;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const EVIDENCE_FIELDS = [
  ['mxHost', 'Mail exchanger'],
  ['command', 'Command'],
  ['replyCode', 'Reply code'],
  ['enhancedCode', 'Enhanced code'],
  ['replyText', 'Reply'],
  ['egress', 'Egress'],
];

function evidenceCell(evidence) {
  if (!evidence) return '—';
  const known = EVIDENCE_FIELDS.filter(([key]) => evidence[key] !== null && evidence[key] !== undefined);
  if (!known.length) return '—';
  const code = [evidence.replyCode, evidence.enhancedCode].filter(Boolean).join(' ');
  const summary = [evidence.mxHost, code].filter(Boolean).join(' — ') || 'Details';
  return el(
    'details',
    { class: 'evidence' },
    el('summary', {}, summary),
    el('dl', {}, ...known.flatMap(([key, label]) => [el('dt', {}, label), el('dd', {}, String(evidence[key]))])),
  );
}

function flags(entry) {
  return [
    entry.isDisposableEmailAddress && 'disposable',
    entry.isFreeEmailAddress && 'free',
    entry.isRoleAccount && 'role',
    entry.duplicateOf !== undefined && `duplicate of #${entry.duplicateOf}`,
  ]
    .filter(Boolean)
    .join(', ');
}

export function renderJob(root, id) {
  const state = { stopped: false, timer: null, job: null, summary: null, cursors: [null], page: null };
  const title = el('h1', {}, 'Job');
  const details = el('dl', { class: 'details job' });
  const progress = el('div', { class: 'job-progress' });
  const remove = el('button', { type: 'button', class: 'danger', id: 'delete-job' }, 'Delete job');
  const classificationCanvas = el('canvas', { id: 'classification-chart', role: 'img' });
  const statusCanvas = el('canvas', { id: 'status-chart', role: 'img' });
  const summaryList = el('ul', { class: 'summary', id: 'summary' });
  const filter = el('select', { id: 'entry-filter' });
  const entriesBody = el('tbody');
  const previous = el('button', { type: 'button', id: 'entries-previous' }, 'Previous page');
  const next = el('button', { type: 'button', id: 'entries-next' }, 'Next page');
  const pageLabel = el('span', { class: 'page-label', 'aria-live': 'polite' });
  const scope = select('download-scope', [['all', 'All entries'], ['filtered', 'The filtered entries']], 'all');
  const csvButton = el('button', { type: 'button', id: 'download-csv' }, 'Download CSV');
  const xlsxButton = el('button', { type: 'button', id: 'download-xlsx' }, 'Download XLSX');
  const results = el(
    'div',
    { id: 'results', hidden: true },
    el('h2', {}, 'Results'),
    el(
      'div',
      { class: 'charts' },
      el(
        'figure',
        {},
        el('div', { class: 'chart-box' }, classificationCanvas),
        el('figcaption', {}, 'Entries by classification'),
      ),
      el('figure', {}, el('div', { class: 'chart-box' }, statusCanvas), el('figcaption', {}, 'Entries by status')),
    ),
    summaryList,
    el('h2', {}, 'Entries'),
    el('form', { class: 'filters', 'aria-label': 'Filter entries' }, field('Show', filter)),
    el(
      'div',
      { class: 'scroll' },
      el(
        'table',
        { class: 'entries', id: 'entries-table' },
        el('caption', { class: 'visually-hidden' }, 'Verified entries'),
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...['#', 'Input', 'Classification', 'Status', 'Flags', 'Suggestions', 'Evidence'].map((label) =>
              el('th', { scope: 'col' }, label),
            ),
          ),
        ),
        entriesBody,
      ),
    ),
    el('div', { class: 'pager' }, previous, pageLabel, next),
    el('h2', {}, 'Download'),
    el('div', { class: 'row downloads' }, field('Entries to download', scope), csvButton, xlsxButton),
  );
  root.append(
    el('p', {}, el('a', { href: '#/jobs' }, '← All jobs')),
    title,
    el('section', { class: 'card', 'aria-label': 'Job details' }, details, progress, remove),
    results,
  );

  function showDetails(job) {
    title.textContent = job.name ? `Job: ${job.name}` : `Job ${job.id}`;
    const rows = [
      ['ID', job.id],
      ['Status', job.status],
      ['Entries', String(job.noOfEntries)],
      ['Quality', job.quality],
      ['Deduplication', job.deduplication],
      ['Priority', job.priority === null || job.priority === undefined ? 'normal' : String(job.priority)],
      ['Submitted', dateTime(job.submittedOn)],
      ['Completed', dateTime(job.completedOn)],
      ['Kept for', duration(timespanSeconds(job.retention))],
    ];
    details.replaceChildren(...rows.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value)]));
    details.querySelectorAll('dd')[1].id = 'job-status';
    progress.replaceChildren(progressCell(job));
  }

  async function loadOverview() {
    const job = await attempt(() => call('GET', `/email-validations/${id}/overview`));
    if (state.stopped || !job) return;
    state.job = job;
    showDetails(job);
    if (job.status === 'InProgress') {
      state.timer = setTimeout(loadOverview, REFRESH_MS);
    } else if (job.status === 'Completed' && !state.summary) {
      await summarize();
    }
  }

  async function summarize() {
    const summary = { classifications: {}, statuses: {}, classificationOf: {} };
    let cursor = null;
    do {
      const query = cursor ? { cursor, limit: SUMMARY_PAGE } : { limit: SUMMARY_PAGE };
      const page = await attempt(() => call('GET', `/email-validations/${id}/entries`, { query }));
      if (!page || state.stopped) return;
      for (const entry of page.data) {
        summary.classifications[entry.classification] = (summary.classifications[entry.classification] || 0) + 1;
        summary.statuses[entry.status] = (summary.statuses[entry.status] || 0) + 1;
        summary.classificationOf[entry.status] = entry.classification;
      }
      cursor = page.meta.isTruncated ? page.meta.cursor : null;
    } while (cursor);
    state.summary = summary;
    results.hidden = false;
    drawSummary(summary);
    loadEntries();
  }

  function drawSummary(summary) {
    const describe = (counts) =>
      Object.entries(counts)
        .map(([label, count]) => `${label}: ${count}`)
        .join(', ');
    classificationCanvas.setAttribute('aria-label', `Entries by classification. ${describe(summary.classifications)}`);
    statusCanvas.setAttribute('aria-label', `Entries by status. ${describe(summary.statuses)}`);
    classificationChart(classificationCanvas, summary.classifications);
    statusChart(statusCanvas, summary.statuses, summary.classificationOf);
    summaryList.replaceChildren(
      ...Object.entries(summary.classifications).map(([label, count]) =>
        el('li', { 'data-classification': label }, `${label}: ${count}`),
      ),
    );
    const classifications = Object.keys(summary.classifications).map((label) => [`c:${label}`, label]);
    const statuses = Object.keys(summary.statuses).map((status) => [`s:${status}`, `Status ${status}`]);
    filter.replaceChildren(
      ...[['', 'All entries'], ...classifications, ...statuses].map(([value, label]) =>
        el('option', { value }, label),
      ),
    );
  }

  function statusFilter() {
    const value = filter.value;
    if (value.startsWith('c:')) {
      const wanted = value.slice(2);
      return Object.keys(state.summary.classificationOf)
        .filter((status) => state.summary.classificationOf[status] === wanted)
        .join(',');
    }
    return value.startsWith('s:') ? value.slice(2) : '';
  }

  async function loadEntries() {
    const cursor = state.cursors[state.cursors.length - 1];
    const query = cursor
      ? { cursor, limit: ENTRIES_PAGE, include: 'evidence' }
      : { status: statusFilter(), limit: ENTRIES_PAGE, include: 'evidence' };
    const page = await attempt(() => call('GET', `/email-validations/${id}/entries`, { query }));
    if (!page || state.stopped) return;
    state.page = page;
    entriesBody.replaceChildren(
      ...page.data.map((entry) =>
        el(
          'tr',
          { 'data-index': entry.index },
          el('td', { class: 'number' }, String(entry.index)),
          el('td', { class: 'input' }, entry.inputData),
          el('td', { class: `classification ${entry.classification}` }, entry.classification),
          el('td', {}, entry.status),
          el('td', {}, flags(entry)),
          el('td', {}, (entry.suggestions || []).join(', ')),
          el('td', {}, evidenceCell(entry.evidence)),
        ),
      ),
    );
    previous.disabled = state.cursors.length === 1;
    next.disabled = !page.meta.isTruncated;
    pageLabel.textContent = `Page ${state.cursors.length}`;
  }

  async function download(format) {
    const filtered = scope.value === 'filtered' && statusFilter();
    const query = { include: 'evidence', status: filtered || '' };
    const accept = format === 'csv' ? 'text/csv' : XLSX;
    const blob = await attempt(() => call('GET', `/email-validations/${id}/entries`, { query, accept }));
    if (blob) saveBlob(blob, `${id}${filtered ? '-filtered' : ''}.${format}`);
  }

  filter.addEventListener('change', () => {
    state.cursors = [null];
    loadEntries();
  });
  next.addEventListener('click', () => {
    state.cursors.push(state.page.meta.cursor);
    loadEntries();
  });
  previous.addEventListener('click', () => {
    state.cursors.pop();
    loadEntries();
  });
  csvButton.addEventListener('click', () => download('csv'));
  xlsxButton.addEventListener('click', () => download('xlsx'));
  remove.addEventListener('click', async () => {
    const deleted = state.job && (await deleteJob(state.job));
    if (deleted) {
      flash(deleted);
      location.hash = '#/jobs';
    }
  });
  loadOverview();
  return () => {
    state.stopped = true;
    clearTimeout(state.timer);
  };
}
