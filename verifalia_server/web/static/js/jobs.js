// The jobs list: filters, sorting, cursor paging, live progress of running jobs, deletion.

import { call } from './api.js';
import { deleteJob, progressCell } from './progress.js';
import { attempt, dateTime, el, field, select, showMessage } from './ui.js';

const REFRESH_MS = 2000;
const STATUSES = [
  ['', 'Active and completed'],
  ['InProgress', 'In progress'],
  ['Completed', 'Completed'],
  ['Deleted', 'Deleted'],
  ['Expired', 'Expired'],
];

export function renderJobs(root) {
  const state = { sort: '-createdOn', cursors: [null], timer: null, stopped: false };
  const status = select('filter-status', STATUSES, '');
  const since = el('input', { id: 'filter-since', type: 'date' });
  const until = el('input', { id: 'filter-until', type: 'date' });
  const size = select('page-size', [['10', '10'], ['25', '25'], ['50', '50']], '10');
  const body = el('tbody');
  const sortButton = el('button', { type: 'button', class: 'link', id: 'sort-created' });
  const createdHeader = el('th', { scope: 'col' }, sortButton);
  const previous = el('button', { type: 'button', id: 'page-previous' }, 'Previous page');
  const next = el('button', { type: 'button', id: 'page-next' }, 'Next page');
  const pageLabel = el('span', { class: 'page-label', 'aria-live': 'polite' });

  const filters = el(
    'form',
    { class: 'filters', 'aria-label': 'Filter jobs' },
    field('Status', status),
    field('Created from', since),
    field('Created until', until),
    field('Jobs per page', size),
  );
  const table = el(
    'table',
    { class: 'jobs', id: 'jobs-table' },
    el('caption', { class: 'visually-hidden' }, 'Your jobs'),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Name'),
        createdHeader,
        el('th', { scope: 'col' }, 'Status'),
        el('th', { scope: 'col' }, 'Progress'),
        el('th', { scope: 'col' }, 'Entries'),
        el('th', { scope: 'col' }, 'Quality'),
        el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, 'Actions')),
      ),
    ),
    body,
  );
  root.append(
    el('h1', {}, 'Jobs'),
    el('p', {}, el('a', { href: '#/upload', class: 'button' }, 'Verify a new list')),
    filters,
    table,
    el('div', { class: 'pager' }, previous, pageLabel, next),
  );

  function query() {
    const cursor = state.cursors[state.cursors.length - 1];
    if (cursor) return { cursor, limit: size.value };
    const filter = { sort: state.sort, limit: size.value };
    if (status.value) filter.status = status.value;
    if (since.value) filter['createdOn:since'] = since.value;
    if (until.value) filter['createdOn:until'] = until.value;
    return filter;
  }

  async function load() {
    clearTimeout(state.timer);
    const page = await attempt(() => call('GET', '/email-validations', { query: query() }));
    if (state.stopped || !page) return;
    state.page = page;
    body.replaceChildren(...page.data.map((job) => row(job)));
    if (!page.data.length) {
      body.append(el('tr', {}, el('td', { colspan: 7, class: 'empty' }, 'No jobs match these filters.')));
    }
    const descending = state.sort === '-createdOn';
    sortButton.textContent = `Created ${descending ? '▼' : '▲'}`;
    sortButton.setAttribute('aria-label', `Created, sorted ${descending ? 'newest' : 'oldest'} first; change`);
    createdHeader.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
    previous.disabled = state.cursors.length === 1;
    next.disabled = !page.meta.isTruncated;
    pageLabel.textContent = `Page ${state.cursors.length}`;
    if (page.data.some((job) => job.status === 'InProgress')) {
      state.timer = setTimeout(load, REFRESH_MS);
    }
  }

  function row(job) {
    const remove = el('button', { type: 'button', class: 'danger small' }, 'Delete');
    remove.setAttribute('aria-label', `Delete job ${job.name || job.id}`);
    remove.addEventListener('click', async () => {
      const deleted = await deleteJob(job);
      if (deleted) {
        showMessage(deleted, 'info');
        load();
      }
    });
    const gone = job.status === 'Deleted' || job.status === 'Expired';
    return el(
      'tr',
      { 'data-job-id': job.id },
      el('td', {}, el('a', { href: `#/jobs/${job.id}` }, job.name || job.id)),
      el('td', {}, dateTime(job.createdOn)),
      el('td', { class: 'job-status' }, job.status),
      el('td', {}, progressCell(job)),
      el('td', { class: 'number' }, String(job.noOfEntries)),
      el('td', {}, job.quality),
      el('td', {}, gone ? null : remove),
    );
  }

  function restart() {
    state.cursors = [null];
    load();
  }

  for (const control of [status, since, until, size]) control.addEventListener('change', restart);
  filters.addEventListener('submit', (event) => event.preventDefault());
  sortButton.addEventListener('click', () => {
    state.sort = state.sort === '-createdOn' ? 'createdOn' : '-createdOn';
    restart();
  });
  next.addEventListener('click', () => {
    state.cursors.push(state.page.meta.cursor);
    load();
  });
  previous.addEventListener('click', () => {
    state.cursors.pop();
    load();
  });
  load();
  return () => {
    state.stopped = true;
    clearTimeout(state.timer);
  };
}
