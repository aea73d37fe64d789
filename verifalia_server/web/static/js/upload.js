// A new job: a CSV, TSV, TXT or XLSX file (previewed, with column, sheet and rows to pick) or a pasted list.

import { call } from './api.js';
import { readPreview } from './preview.js';
import { attempt, el, field, flash, select } from './ui.js';

const PREVIEW_ROWS = 10;
const QUALITIES = [['Standard', 'Standard'], ['High', 'High'], ['Extreme', 'Extreme']];
const DEDUPLICATION = [
  ['Off', 'Off: verify every entry'],
  ['Safe', 'Safe: same mailbox under RFC 5321'],
  ['Relaxed', 'Relaxed: also ignore the case of local parts'],
];
const RETENTION = [
  ['', 'Service default'],
  ['1:00:00', '1 hour'],
  ['1.00:00:00', '1 day'],
  ['7.00:00:00', '7 days'],
  ['30.00:00:00', '30 days'],
];

function columnName(index) {
  let name = '';
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    name = String.fromCharCode(65 + ((rest - 1) % 26)) + name;
  }
  return name;
}

export function renderUpload(root) {
  const state = { preview: null };
  const fileSource = el('input', { type: 'radio', name: 'source', id: 'source-file', value: 'file', checked: true });
  const pasteSource = el('input', { type: 'radio', name: 'source', id: 'source-paste', value: 'paste' });
  const file = el('input', { type: 'file', id: 'input-file', accept: '.csv,.tsv,.txt,.xlsx' });
  const pasted = el('textarea', { id: 'pasted', rows: 8, spellcheck: 'false' });
  const sheet = el('select', { id: 'sheet' });
  const column = el('select', { id: 'column' });
  const firstRow = el('input', { id: 'first-row', type: 'number', min: 1, value: 1 });
  const lastRow = el('input', { id: 'last-row', type: 'number', min: 1 });
  const quality = select('quality', QUALITIES, 'Standard');
  const deduplication = select('deduplication', DEDUPLICATION, 'Off');
  const priority = el('input', { id: 'priority', type: 'number', min: 0, max: 255 });
  const name = el('input', { id: 'job-name', maxlength: 256 });
  const retention = select('retention', RETENTION, '');
  const submit = el('button', { type: 'submit', id: 'submit-job' }, 'Verify');
  const previewTable = el('table', { class: 'preview', id: 'preview' });
  const previewNote = el('p', { class: 'hint', 'aria-live': 'polite' });

  const fileFields = el(
    'div',
    { id: 'file-fields' },
    field('File (CSV, TSV, TXT or XLSX)', file),
    el('div', { class: 'row' }, field('Sheet', sheet), field('Column with the addresses', column)),
    el(
      'div',
      { class: 'row' },
      field('First row', firstRow, 'Rows are numbered from 1, as in the preview.'),
      field('Last row', lastRow, 'Leave empty to read to the end.'),
    ),
    el('h2', { id: 'preview-title' }, 'Preview'),
    previewNote,
    el('div', { class: 'scroll' }, previewTable),
  );
  previewTable.setAttribute('aria-labelledby', 'preview-title');
  const pasteFields = el(
    'div',
    { id: 'paste-fields', hidden: true },
    field('Addresses, one per line', pasted),
  );
  const form = el(
    'form',
    { class: 'card', id: 'upload-form' },
    el('h1', {}, 'Verify a new list'),
    el(
      'fieldset',
      {},
      el('legend', {}, 'Source'),
      el('label', { class: 'inline' }, fileSource, ' Upload a file'),
      el('label', { class: 'inline' }, pasteSource, ' Paste a list'),
    ),
    fileFields,
    pasteFields,
    el('h2', {}, 'Job settings'),
    el(
      'div',
      { class: 'row' },
      field('Name', name),
      field('Quality', quality),
      field('Deduplication', deduplication),
    ),
    el(
      'div',
      { class: 'row' },
      field('Priority (0-255)', priority, 'Empty: normal priority.'),
      field('Keep results for', retention),
    ),
    submit,
  );
  root.append(form);

  function showSource() {
    const paste = pasteSource.checked;
    fileFields.hidden = paste;
    pasteFields.hidden = !paste;
  }

  function sheetRows() {
    return state.preview ? state.preview.sheets[Number(sheet.value) || 0].rows : [];
  }

  function drawPreview() {
    const rows = sheetRows();
    const width = Math.max(1, ...rows.map((cells) => cells.length));
    const chosen = column.value;
    column.replaceChildren(
      ...Array.from({ length: width }, (_, index) =>
        el('option', { value: index, selected: String(index) === chosen }, columnLabel(rows, index)),
      ),
    );
    const first = Number(firstRow.value) || 1;
    const last = Number(lastRow.value) || Infinity;
    const header = el(
      'tr',
      {},
      el('th', { scope: 'col' }, 'Row'),
      ...Array.from({ length: width }, (_, index) => el('th', { scope: 'col' }, columnName(index))),
    );
    const lines = rows.slice(0, PREVIEW_ROWS).map((cells, index) => {
      const number = index + 1;
      const inRange = number >= first && number <= last;
      return el(
        'tr',
        { class: inRange ? 'in-range' : 'out-of-range' },
        el('th', { scope: 'row' }, String(number)),
        ...Array.from({ length: width }, (_, cell) =>
          el('td', { class: String(cell) === column.value ? 'chosen' : null }, String(cells[cell] ?? '')),
        ),
      );
    });
    previewTable.replaceChildren(el('thead', {}, header), el('tbody', {}, ...lines));
  }

  function columnLabel(rows, index) {
    const top = rows.length ? String(rows[0][index] ?? '') : '';
    return top ? `${columnName(index)} (${top.slice(0, 30)})` : columnName(index);
  }

  function guessLayout() {
    const rows = sheetRows().slice(0, PREVIEW_ROWS);
    const width = Math.max(1, ...rows.map((cells) => cells.length));
    const withAt = (index) => rows.filter((cells) => String(cells[index] ?? '').includes('@')).length;
    let best = 0;
    for (let index = 1; index < width; index += 1) if (withAt(index) > withAt(best)) best = index;
    column.value = String(best);
    column.replaceChildren(el('option', { value: best }, columnName(best)));
    const headerRow = rows.length > 1 && !String(rows[0][best] ?? '').includes('@');
    firstRow.value = headerRow ? 2 : 1;
  }

  file.addEventListener('change', async () => {
    state.preview = null;
    previewTable.replaceChildren();
    sheet.replaceChildren();
    const chosen = file.files[0];
    if (!chosen) return;
    if (!name.value) name.value = chosen.name;
    const preview = await attempt(() => readPreview(chosen, PREVIEW_ROWS));
    if (!preview) return;
    state.preview = preview;
    previewNote.textContent = preview.note;
    sheet.replaceChildren(...preview.sheets.map((entry, index) => el('option', { value: index }, entry.name)));
    sheet.disabled = preview.sheets.length < 2;
    guessLayout();
    drawPreview();
  });
  sheet.addEventListener('change', () => {
    guessLayout();
    drawPreview();
  });
  for (const control of [column, firstRow, lastRow]) control.addEventListener('change', drawPreview);
  for (const radio of [fileSource, pasteSource]) radio.addEventListener('change', showSource);

  function options() {
    const settings = { quality: quality.value, deduplication: deduplication.value };
    if (priority.value !== '') settings.priority = Number(priority.value);
    if (name.value.trim()) settings.name = name.value.trim();
    if (retention.value) settings.retention = retention.value;
    return settings;
  }

  function fileRequest() {
    const chosen = file.files[0];
    const settings = { ...options(), startingRow: (Number(firstRow.value) || 1) - 1 };
    if (lastRow.value !== '') settings.endingRow = Number(lastRow.value) - 1;
    if (state.preview) {
      settings.column = Number(column.value) || 0;
      settings.sheet = Number(sheet.value) || 0;
      if (state.preview.delimiter) settings.delimiter = state.preview.delimiter;
    }
    const media = state.preview ? state.preview.mediaType : chosen.type || 'application/octet-stream';
    const form = new FormData();
    form.append('inputFile', new File([chosen], chosen.name, { type: media }));
    form.append('settings', new Blob([JSON.stringify(settings)], { type: 'application/json' }));
    return { form };
  }

  function pastedRequest() {
    const lines = pasted.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
    return { json: { ...options(), entries: lines.map((inputData) => ({ inputData })) } };
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const fromFile = fileSource.checked;
    if (fromFile && !file.files[0]) {
      file.focus();
      file.setCustomValidity('Choose a file to verify.');
      file.reportValidity();
      file.setCustomValidity('');
      return;
    }
    submit.disabled = true;
    const snapshot = await attempt(() =>
      call('POST', '/email-validations', fromFile ? fileRequest() : pastedRequest()),
    );
    submit.disabled = false;
    if (snapshot) {
      const job = snapshot.overview;
      flash(`Job ${job.name || job.id} submitted: ${job.noOfEntries} entries.`);
      location.hash = `#/jobs/${job.id}`;
    }
  });
  return null;
}
