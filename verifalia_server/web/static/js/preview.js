// The first rows of a chosen file, read in the browser: CSV/TSV with Papa Parse, XLSX with read-excel-file.

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const HEAD_BYTES = 256 * 1024;

function extension(name) {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

async function head(file) {
  return file.slice(0, HEAD_BYTES).text();
}

async function delimited(file, rows, delimiter, mediaType) {
  const text = await head(file);
  // Blank lines would spoil Papa Parse's guess of the delimiter, but they are rows for the API: keep them.
  const used = delimiter || Papa.parse(text, { preview: rows, skipEmptyLines: 'greedy' }).meta.delimiter;
  const parsed = Papa.parse(text, { delimiter: used, preview: rows, skipEmptyLines: false });
  const named = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'vertical bar' }[used] || `"${used}"`;
  return {
    mediaType,
    delimiter: used,
    note: `Delimited by ${named}.`,
    sheets: [{ name: 'Data', rows: parsed.data }],
  };
}

async function lines(file, rows) {
  const text = await head(file);
  return {
    mediaType: 'text/plain',
    delimiter: null,
    note: 'One address per line.',
    sheets: [{ name: 'Data', rows: text.split(/\r\n|\r|\n/).slice(0, rows).map((line) => [line]) }],
  };
}

async function workbook(file, rows) {
  const sheets = await readXlsxFile(file);
  return {
    mediaType: XLSX,
    delimiter: null,
    note: `${sheets.length} sheet${sheets.length === 1 ? '' : 's'}.`,
    sheets: sheets.map((entry) => ({ name: entry.sheet, rows: entry.data.slice(0, rows) })),
  };
}

/**
 * The file's media type, delimiter and first `rows` rows per sheet. Other file types get no preview and are
 * sent as the browser labels them, for the API to accept or refuse.
 */
export async function readPreview(file, rows) {
  switch (extension(file.name)) {
    case 'csv':
      return delimited(file, rows, '', 'text/csv');
    case 'tsv':
      return delimited(file, rows, '\t', 'text/tab-separated-values');
    case 'txt':
      return lines(file, rows);
    case 'xlsx':
      return workbook(file, rows);
    default:
      return {
        mediaType: file.type || 'application/octet-stream',
        delimiter: null,
        note: 'No preview for this type of file: CSV, TSV, TXT and XLSX files can be previewed.',
        sheets: [{ name: 'Data', rows: [] }],
      };
  }
}
