/**
 * «Выгрузить в CSV» (GET /api/calls/export): the calls the list shows the viewer for the same
 * filter, as a file Russian Excel opens (BOM, `;`, CRLF, RFC 4180 quoting, no formulas), times in
 * the viewer's zone, paged and capped; and the app's relay client keeping the file as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call, Employee } from '../../src-shared/wire';
import type { CallsPage } from '../../src-shared/ipc/telephony';
import { CSV_HEADER, exportCalls } from '../../server/calls/export';
import { csvCell, excelPhone } from '../../server/ops/csv';
import { getEmployee } from '../../server/people/employees';
import { RelayHttpClient } from '../../src-main/core/relay/http-client';
import { startTestRelay, type TestRelay } from '../support/relay';

let r: TestRelay;
let to: { employee: Employee; token: string };
let pm: { employee: Employee; token: string };

const NASTY = '=СУММ(A1); "цитата"\nвторая строка';

interface Row {
  entry: string;
  direction: 'in' | 'out';
  status: string;
  at: string;
  client: string | null;
  line?: string;
  employeeId?: number | null;
  wait?: number;
  talk?: number;
  comment?: string;
}

async function insert(rows: Row[]) {
  for (const x of rows) {
    const id = (
      await r.relay.ctx.db.query<{ id: string }>(
        `INSERT INTO calls (entry_id, direction, status, phase, started_at, client_number, line_number, employee_id, wait_seconds, talk_seconds, view)
         VALUES ($1, $2, $3, 'ended', $4, $5, $6, $7, $8, $9, json_build_object('entryId', $1::text, 'clientNumber', $5::text)) RETURNING id`,
        [x.entry, x.direction, x.status, x.at, x.client, x.line ?? '74951234567', x.employeeId ?? null, x.wait ?? 0, x.talk ?? 0],
      )
    ).rows[0].id;
    if (x.comment) await r.relay.ctx.db.query('INSERT INTO call_comments (call_id, text, author_id) VALUES ($1, $2, $3)', [id, x.comment, x.employeeId ?? to.employee.id]);
  }
}

/** RFC 4180 with `;`: cells may be quoted, hold `;`, `""` and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ';') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += ch;
  }
  expect(cell === '' && row.length === 0, 'the file ends with CRLF').toBe(true);
  return rows;
}

async function download(qs: string, token: string | null = r.adminToken) {
  const res = await fetch(`${r.url}/api/calls/export${qs ? '?' + qs : ''}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  return { res, bytes, text, rows: res.ok ? parseCsv(text.replace(/^\ufeff/, '')) : [] };
}

const list = async (qs: string, token = r.adminToken) => (await r.api<CallsPage>('GET', `/api/calls?limit=1000&${qs}`, token)).body.calls;
/** The list's calls as the export writes their numbers, in the list's order. */
const numbersOf = (calls: Call[]) => calls.map((c) => excelPhone(c.clientNumber));
const numbersIn = (rows: string[][]) => rows.slice(1).map((x) => x[3]);

beforeAll(async () => {
  r = await startTestRelay();
  to = await r.createEmployee({ login: 'exp-to', name: 'Иванова Анна', role: 'to', extension: '101' });
  pm = await r.createEmployee({ login: 'exp-pm', name: 'Петров Пётр', role: 'pm', extension: '201' });
  await r.api('POST', '/api/contacts', r.adminToken, { name: 'Сидоров Олег', company: 'ООО «Ромашка»', phones: ['+7 916 123-45-67'] });
  await insert([
    { entry: 'X-1', direction: 'in', status: 'answered', at: '2026-01-10T21:30:00Z', client: '+79161234567', employeeId: to.employee.id, wait: 7, talk: 125, comment: NASTY },
    { entry: 'X-2', direction: 'in', status: 'missed', at: '2026-01-10T10:00:00Z', client: '+79162220002', wait: 31 },
    { entry: 'X-3', direction: 'out', status: 'answered', at: '2026-01-09T10:00:00Z', client: '+79163330003', employeeId: to.employee.id, talk: 40, comment: '+добавить в CRM' },
    { entry: 'X-4', direction: 'out', status: 'unanswered', at: '2026-01-08T10:00:00Z', client: '+79164440004', employeeId: pm.employee.id },
    { entry: 'X-5', direction: 'in', status: 'answered', at: '2025-12-20T10:00:00Z', client: '+380441234567', employeeId: pm.employee.id, talk: 5 },
  ]);
}, 60_000);
afterAll(async () => r?.close());

describe('GET /api/calls/export', () => {
  it('writes a BOM, the Russian header, `;`, CRLF, quoted and defused cells, readable numbers', async () => {
    const { res, bytes, text, rows } = await download('tz=Europe/Moscow');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(new Date());
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="calls-${today}.csv"`);
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.slice(1, text.indexOf('\r\n'))).toBe('Дата и время;Направление;Результат;Номер клиента;Клиент;Сотрудник;Линия;Ожидание (с);Разговор (с);Комментарий');
    // The comment: quoted (it holds ; " and a line break), quotes doubled, the formula defused.
    expect(text).toContain(`;"'=СУММ(A1); ""цитата""\nвторая строка"\r\n`);
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual(CSV_HEADER);
    expect(rows[1]).toEqual(['11.01.2026 00:30:00', 'Входящий', 'Принят', '7 (916) 123-45-67', 'Сидоров Олег, ООО «Ромашка»', 'Иванова Анна', '7 (495) 123-45-67', '7', '125', `'${NASTY}`]);
    expect(rows[2]).toEqual(['10.01.2026 13:00:00', 'Входящий', 'Пропущен', '7 (916) 222-00-02', '', '', '7 (495) 123-45-67', '31', '0', '']);
    expect(rows[3][9]).toBe("'+добавить в CRM");
    expect(rows[4].slice(1, 3)).toEqual(['Исходящий', 'Без ответа']);
    // A foreign number too: its country code, no '+', so Excel reads text, not a formula.
    expect(rows[5][3]).toBe('380 44 123 4567');
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('honours the list filters, in the list order', async () => {
    for (const qs of ['direction=out', 'status=missed', 'search=Ромашка', 'search=цитата', `employeeId=${pm.employee.id}`, 'since=2026-01-09T00:00:00Z&until=2026-01-10T12:00:00Z', 'phone=89164440004']) {
      const { rows } = await download(qs);
      const expected = numbersOf(await list(qs));
      expect(numbersIn(rows), qs).toEqual(expected);
      expect(expected.length, qs).toBeGreaterThan(0);
      expect(expected.length, qs).toBeLessThan(5);
    }
    // Paging parameters of the list are not the export's: it writes every matching call.
    expect((await download('limit=1&before=1')).rows).toHaveLength(6);
  });

  it('gives an employee only the calls their list shows; an admin all', async () => {
    const mine = await download('', pm.token);
    const shown = numbersOf(await list('', pm.token));
    expect(numbersIn(mine.rows)).toEqual(shown);
    // Not the ТО colleague's outgoing call.
    expect(numbersIn(mine.rows)).not.toContain('7 (916) 333-00-03');
    expect(numbersIn(mine.rows)).toContain('7 (916) 444-00-04');
    expect(numbersIn((await download('', to.token)).rows)).not.toContain('7 (916) 444-00-04');
    // An employee's employeeId filter cannot widen what they see.
    expect(numbersIn((await download(`employeeId=${to.employee.id}`, pm.token)).rows)).toEqual(numbersOf(await list(`employeeId=${to.employee.id}`, pm.token)));
  });

  it('answers 401 without a session and 400 on a bad filter, as JSON', async () => {
    for (const token of [null, 'not-a-token']) {
      const { res } = await download('', token);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/json');
    }
    for (const qs of ['direction=sideways', 'since=0000-01-01T00:00:00Z', 'search=%00', 'tz=Mars/Olympus', 'tzOffset=9999&tz=Mars/Olympus']) {
      const { res, text } = await download(qs);
      expect(res.status, qs).toBe(400);
      expect(res.headers.get('content-type'), qs).toContain('application/json');
      expect((JSON.parse(text) as { message: string }).message, qs).toEqual(expect.any(String));
    }
  });

  it('writes times in the viewer’s zone (Moscow without one; the offset for a zone the relay lacks)', async () => {
    const first = async (qs: string) => (await download(`${qs}&direction=in&status=answered&since=2026-01-01T00:00:00Z`)).rows[1][0];
    expect(await first('tz=Asia/Yekaterinburg')).toBe('11.01.2026 02:30:00');
    expect(await first('tz=UTC')).toBe('10.01.2026 21:30:00');
    expect(await first('x=1')).toBe('11.01.2026 00:30:00');
    expect(await first('tz=Mars/Olympus&tzOffset=330')).toBe('11.01.2026 03:00:00');
  });

  it('pages by keyset and, when capped, says so in its last line', async () => {
    const me = (await r.api<Employee>('GET', '/api/me', r.adminToken)).body;
    const admin = (await getEmployee(r.relay.ctx.db, me.id))!;
    const read = async (o: { maxRows?: number; pageRows?: number }) => {
      const file = await exportCalls(r.relay.ctx.db, admin, {}, { tz: 'Europe/Moscow' }, o);
      let text = '';
      for await (const chunk of file.chunks) text += chunk;
      return parseCsv(text.slice(1));
    };
    const whole = await read({});
    expect(whole).toHaveLength(6);
    expect(await read({ pageRows: 2 })).toEqual(whole);
    expect(await read({ pageRows: 1, maxRows: 5 })).toEqual(whole);
    const capped = await read({ pageRows: 2, maxRows: 3 });
    expect(capped.slice(0, 4)).toEqual(whole.slice(0, 4));
    expect(capped).toHaveLength(5);
    expect(capped[4][0]).toMatch(/^Выгружены первые 3 звонков/);
  });

  it('the app’s relay client keeps the BOM and takes the relay’s file name', async () => {
    const client = new RelayHttpClient({ baseUrl: r.url, getToken: () => pm.token });
    const file = await client.exportCalls({ tz: 'Europe/Moscow', direction: 'out' });
    expect(file.filename).toMatch(/^calls-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(file.csv.startsWith('\ufeffДата и время;')).toBe(true);
    expect(numbersIn(parseCsv(file.csv.slice(1)))).toEqual(['7 (916) 444-00-04']);
  });
});

describe('csvCell', () => {
  it('defuses formula starters and quotes what RFC 4180 asks', () => {
    expect(['=1+1', '+7', '-5', '@SUM(A1)', '\tx', '\rx'].map(csvCell)).toEqual(["'=1+1", "'+7", "'-5", "'@SUM(A1)", "'\tx", `"'\rx"`]);
    expect(csvCell('a;b')).toBe('"a;b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('plain, text')).toBe('plain, text');
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(excelPhone('+79161234567')).toBe('7 (916) 123-45-67');
    expect(excelPhone('101')).toBe('101');
  });
});
