/**
 * «Выгрузить в CSV» of the statistics (GET /api/stats/export): the figures of GET /api/stats for
 * the same query as a file Russian Excel opens (BOM, `;`, CRLF), days and hours on the viewer's
 * clock, an employee's own figures only; and the app's relay client keeping the file as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Employee } from '../../src-shared/wire';
import type { StatsResult } from '../../src-shared/ipc/telephony';
import { RelayHttpClient } from '../../src-main/core/relay/http-client';
import { startTestRelay, type TestRelay } from '../support/relay';

let r: TestRelay;
let to: { employee: Employee; token: string };
let pm: { employee: Employee; token: string };

/** 01.11.2026–03.11.2026 as whole days in Moscow (UTC+3) and in Vladivostok (UTC+10). */
const MOSCOW = 'since=2026-10-31T21:00:00Z&until=2026-11-03T21:00:00Z&tz=Europe/Moscow';
const VLADIVOSTOK = 'since=2026-10-31T14:00:00Z&until=2026-11-03T14:00:00Z&tz=Asia/Vladivostok';

async function download(qs: string, token: string | null = r.adminToken) {
  const res = await fetch(`${r.url}/api/stats/export?${qs}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { res, bytes, text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes) };
}

/** The 24 «По часам» rows, zeros but for `calls` (hour → [answered, missed]). */
const hourRows = (calls: Record<number, [number, number]>) =>
  Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00–${String(h + 1).padStart(2, '0')}:00;${(calls[h] ?? [0, 0]).join(';')}`);

const file = (lines: string[]) => '\ufeff' + lines.map((l) => l + '\r\n').join('');

beforeAll(async () => {
  r = await startTestRelay();
  to = await r.createEmployee({ login: 'st-to', name: 'Иванова Анна', role: 'to', extension: '101' });
  pm = await r.createEmployee({ login: 'st-pm', name: 'Петров Пётр', role: 'pm', extension: '201' });
  const calls: [string, string, string, number | null, number, number][] = [
    // entry, status, started (UTC), employee, wait, talk — Moscow / Vladivostok local time
    ['S-A', 'answered', '2026-11-01T20:30:00Z', to.employee.id, 10, 120], // 01.11 23:30 / 02.11 06:30
    ['S-B', 'missed', '2026-11-02T06:15:00Z', null, 40, 0], // 02.11 09:15 / 16:15
    ['S-C', 'answered', '2026-11-02T07:00:00Z', pm.employee.id, 5, 60], // 02.11 10:00 / 17:00
    ['S-D', 'missed', '2026-11-02T08:00:00Z', to.employee.id, 20, 0], // 02.11 11:00 / 18:00
    ['S-F', 'answered', '2026-10-31T20:59:00Z', pm.employee.id, 3, 30], // 31.10 23:59 (outside) / 01.11 06:59
  ];
  for (const [entry, status, at, emp, wait, talk] of calls) {
    await r.relay.ctx.db.query(
      `INSERT INTO calls (entry_id, direction, status, phase, started_at, client_number, employee_id, wait_seconds, talk_seconds, view)
       VALUES ($1, 'in', $2, 'ended', $3, '+79161234567', $4, $5, $6, json_build_object('entryId', $1::text))`,
      [entry, status, at, emp, wait, talk],
    );
  }
  // Outgoing calls are not in the statistics.
  await r.relay.ctx.db.query(
    `INSERT INTO calls (entry_id, direction, status, phase, started_at, client_number, employee_id, view)
     VALUES ('S-OUT', 'out', 'answered', 'ended', '2026-11-02T07:30:00Z', '+79160000000', $1, json_build_object('entryId', 'S-OUT'))`,
    [to.employee.id],
  );
}, 60_000);
afterAll(async () => r?.close());

describe('GET /api/stats/export', () => {
  it('writes the period, the zone and three blocks, days and hours on the viewer’s clock (Moscow)', async () => {
    const { res, bytes, text } = await download(MOSCOW);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="stats-2026-11-01_2026-11-03.csv"');
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text).toBe(
      file([
        '"Период: 01.11.2026 – 03.11.2026; часовой пояс: Europe/Moscow"',
        '',
        'По дням',
        'Дата;Принято;Пропущено;Всего;Доля пропущенных, %',
        '01.11.2026;1;0;1;0',
        '02.11.2026;1;2;3;66,7',
        '03.11.2026;0;0;0;',
        'Итого;2;2;4;50',
        '',
        'По часам',
        'Час;Принято;Пропущено',
        ...hourRows({ 9: [0, 1], 10: [1, 0], 11: [0, 1], 23: [1, 0] }),
        '',
        'По сотрудникам',
        'Сотрудник;Принято;Пропущено;Среднее ожидание, с;Средний разговор, с',
        'Иванова Анна;1;1;15;120',
        'Петров Пётр;1;0;5;60',
      ]),
    );
    // The same figures GET /api/stats shows for the same query.
    const stats = (await r.api<StatsResult>('GET', `/api/stats?${MOSCOW}`, r.adminToken)).body;
    expect(stats.totals).toMatchObject({ answered: 2, missed: 2 });
  });

  it('counts in another zone (Vladivostok), and in the app’s offset where the relay lacks its zone', async () => {
    const expected = (zone: string) =>
      file([
        `"Период: 01.11.2026 – 03.11.2026; часовой пояс: ${zone}"`,
        '',
        'По дням',
        'Дата;Принято;Пропущено;Всего;Доля пропущенных, %',
        '01.11.2026;1;0;1;0',
        '02.11.2026;2;2;4;50',
        '03.11.2026;0;0;0;',
        'Итого;3;2;5;40',
        '',
        'По часам',
        'Час;Принято;Пропущено',
        ...hourRows({ 6: [2, 0], 16: [0, 1], 17: [1, 0], 18: [0, 1] }),
        '',
        'По сотрудникам',
        'Сотрудник;Принято;Пропущено;Среднее ожидание, с;Средний разговор, с',
        'Иванова Анна;1;1;15;120',
        'Петров Пётр;2;0;4;45',
      ]);
    const vl = await download(VLADIVOSTOK);
    expect(vl.res.headers.get('content-disposition')).toBe('attachment; filename="stats-2026-11-01_2026-11-03.csv"');
    expect(vl.text).toBe(expected('Asia/Vladivostok'));
    const offset = await download(VLADIVOSTOK.replace('Asia/Vladivostok', 'Mars/Olympus') + '&tzOffset=600');
    expect(offset.text).toBe(expected('UTC+10:00'));
  });

  it('gives an employee their own figures only, saying whose; an admin one employee’s on request', async () => {
    for (const qs of [MOSCOW, `${MOSCOW}&employeeId=${pm.employee.id}`]) {
      const { res, text } = await download(qs, to.token);
      expect(res.status).toBe(200);
      const lines = text.slice(1).split('\r\n');
      expect(lines.slice(0, 2)).toEqual(['"Период: 01.11.2026 – 03.11.2026; часовой пояс: Europe/Moscow"', 'Сотрудник: Иванова Анна']);
      expect(lines).toContain('Итого;1;1;2;50');
      expect(lines.slice(-3)).toEqual(['Сотрудник;Принято;Пропущено;Среднее ожидание, с;Средний разговор, с', 'Иванова Анна;1;1;15;120', '']);
      expect(text).not.toContain('Петров');
    }
    const one = (await download(`${MOSCOW}&employeeId=${pm.employee.id}`)).text.slice(1).split('\r\n');
    expect(one[1]).toBe('Сотрудник: Петров Пётр');
    expect(one).toContain('Итого;1;0;1;0');
    expect(one.at(-2)).toBe('Петров Пётр;1;0;5;60');
  });

  it('refuses no session with 401, a bad period or zone with 400, an unknown employee with 404, all as JSON', async () => {
    const refused = async (qs: string, token: string | null, status: number) => {
      const { res, text } = await download(qs, token);
      expect(res.status, qs).toBe(status);
      expect(res.headers.get('content-type'), qs).toContain('application/json');
      expect((JSON.parse(text) as { message: string }).message, qs).toEqual(expect.any(String));
    };
    await refused(MOSCOW, null, 401);
    for (const qs of [
      'since=2026-11-03T21:00:00Z&until=2026-10-31T21:00:00Z&tz=Europe/Moscow', // ends before it starts
      'since=2026-11-01T00:00:00Z&until=2026-11-01T00:00:00Z', // empty
      'since=2026-11-01T00:00:00Z', // no end
      'since=01.11.2026&until=2026-11-03T00:00:00Z', // not ISO
      'since=2000-01-01T00:00:00Z&until=2020-01-01T00:00:00Z', // over ten years of days
      'since=2026-11-01T00:00:00Z&until=2026-11-03T00:00:00Z&tz=Mars/Olympus', // a zone unknown, no offset
    ])
      await refused(qs, to.token, 400);
    await refused(`${MOSCOW}&employeeId=999999`, r.adminToken, 404);
  });

  it('the app’s relay client keeps the BOM and takes the relay’s file name', async () => {
    const client = new RelayHttpClient({ baseUrl: r.url, getToken: () => pm.token });
    const f = await client.exportStats({ since: '2026-10-31T14:00:00Z', until: '2026-11-03T14:00:00Z', tz: 'Asia/Vladivostok' });
    expect(f.filename).toBe('stats-2026-11-01_2026-11-03.csv');
    expect(f.csv.startsWith('\ufeff"Период: 01.11.2026 – 03.11.2026; часовой пояс: Asia/Vladivostok"\r\nСотрудник: Петров Пётр\r\n')).toBe(true);
  });
});
