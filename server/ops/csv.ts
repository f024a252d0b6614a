/**
 * CSV as Russian Excel writes and reads it, shared by the relay's exports (calls, contacts) and
 * the contacts import. Written: UTF-8 with a BOM (without it Excel reads cp1251), `;` between
 * cells (the ru-RU list separator), CRLF line ends, RFC 4180 quoting, no cell Excel would run as
 * a formula. Read: whatever separator the header line uses (`;`, `,` or TAB), quoted cells with
 * line breaks, any line ends, a BOM.
 */
import { formatPhone } from '../../src-shared/phone';

export const CSV_BOM = '\ufeff';

/**
 * One cell. Text starting with = + - @ TAB or CR is what Excel (and LibreOffice) would read as a
 * formula (CSV injection, OWASP): it gets a leading apostrophe. Then RFC 4180: a cell holding
 * `;`, `"`, CR or LF is quoted, its quotes doubled. Numbers are our own counts, written as they are.
 */
export function csvCell(v: string | number | null | undefined): string {
  if (v == null) return '';
  if (typeof v === 'number') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[;"\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvRow = (cells: (string | number | null | undefined)[]) => cells.map(csvCell).join(';') + '\r\n';

/**
 * A number as people read it, without the leading '+': "7 (916) 123-45-67", "49 30 1234567".
 * A cell starting with '+' is a formula to Excel ("+7 (916)…" shows #ИМЯ?), and an apostrophe
 * would show in the cell; the digits alone ("79161234567") Excel would take for a number and print
 * longer ones as 4,91E+11. Spaces and brackets keep it text, readable and searchable, country code
 * included. Extensions ("101") stay as they are.
 */
export function excelPhone(raw: string | null | undefined): string {
  return formatPhone(raw).replace(/^\+/, '');
}

export type CsvDelimiter = ';' | ',' | '\t';

/**
 * The separator of a file: the one the header line (its first line, outside quotes) holds most
 * of. Excel writes `;` in Russian locales and `,` elsewhere; «Текст (разделители — табуляция)» TAB.
 */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts: Record<CsvDelimiter, number> = { ';': 0, ',': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ';' || ch === ',' || ch === '\t')) counts[ch]++;
  }
  // Ties go to `;`: a one-column file has none, and `;` is what our own export writes.
  return (['\t', ',', ';'] as const).reduce<CsvDelimiter>((best, d) => (counts[d] > counts[best] ? d : best), ';');
}

/**
 * RFC 4180, leniently: a quote inside an unquoted cell is kept as text, CRLF, LF or a lone CR
 * end a record, a last record without a line end counts. `maxRecords`: stops after that many
 * (the caller then knows the file is longer), so an oversized file is never held whole as cells.
 */
export function parseCsv(text: string, delimiter: CsvDelimiter = detectDelimiter(text.replace(/^\ufeff/, '')), maxRecords = Infinity): string[][] {
  const s = text.replace(/^\ufeff/, '');
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let atCellStart = true;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') (cell += '"'), i++;
        else quoted = false;
      } else cell += ch;
      continue;
    }
    if (ch === '"' && atCellStart) {
      quoted = true;
      atCellStart = false;
    } else if (ch === delimiter) {
      row.push(cell);
      cell = '';
      atCellStart = true;
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      if (rows.length >= maxRecords) return rows;
      row = [];
      cell = '';
      atCellStart = true;
    } else {
      cell += ch;
      atCellStart = false;
    }
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/**
 * A CSV file streamed in keyset pages: BOM and header, then each page's rows, at most `maxRows`;
 * a file that was cut ends with `cutNote`, and only when there really is more. `first` (a page
 * of `firstLimit`) is read by the caller before the answer starts, so a failing query is still
 * an API error and not a cut-off file; the rest is read as the consumer pulls (a slow client
 * holds one page, one that goes away stops the reading).
 */
export async function* pagedCsv<R, C>(o: {
  header: string[];
  first: R[];
  firstLimit: number;
  pageRows: number;
  maxRows: number;
  /** Where the page after `row` starts. */
  cursor(row: R): C;
  page(after: C, limit: number): Promise<R[]>;
  line(row: R): string;
  cutNote: string;
}): AsyncGenerator<string> {
  let rows = o.first;
  let limit = o.firstLimit;
  let sent = 0;
  let head = CSV_BOM + csvRow(o.header);
  for (;;) {
    yield head + rows.map(o.line).join('');
    head = '';
    sent += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < limit) return;
    const after = o.cursor(last);
    if (sent >= o.maxRows) {
      if ((await o.page(after, 1)).length) yield csvRow([o.cutNote]);
      return;
    }
    limit = Math.min(o.pageRows, o.maxRows - sent);
    rows = await o.page(after, limit);
  }
}
