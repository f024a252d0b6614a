/** «Звонки за сегодня»: the cards add up to «Всего»; each links to the matching history filter. */
import { describe, expect, it } from 'vitest';
import { historyFilterFromQuery, summarizeCalls, summaryLink } from '../../src-renderer/call-summary';
import { parseHash } from '../../src-renderer/router';
import { makeCall } from './fixtures';

describe('today summary', () => {
  it('counts every call once: a call in the voice menu is «Идут сейчас», not lost', () => {
    const ivr = makeCall({ id: 1, direction: 'in', status: 'active', phase: 'ivr' });
    expect(summarizeCalls([ivr])).toEqual({ total: 1, answered: 0, missed: 0, outgoing: 0, internal: 0, active: 1 });
    const calls = [
      ivr,
      makeCall({ id: 2, direction: 'in', status: 'answered' }),
      makeCall({ id: 3, direction: 'in', status: 'missed' }),
      makeCall({ id: 4, direction: 'out', status: 'answered' }),
      makeCall({ id: 5, direction: 'out', status: 'unanswered' }),
      makeCall({ id: 6, direction: 'out', status: 'active', phase: 'ringing' }),
      makeCall({ id: 7, direction: 'internal', status: 'unanswered' }),
      makeCall({ id: 8, direction: 'internal', status: 'answered' }),
      makeCall({ id: 9, direction: 'internal', status: 'active', phase: 'talking' }),
    ];
    const s = summarizeCalls(calls);
    // Internal calls have their own card: «Принято»/«Пропущено» are the incoming calls their links show.
    expect(s).toEqual({ total: 9, answered: 1, missed: 1, outgoing: 3, internal: 2, active: 2 });
    expect(s.answered + s.missed + s.outgoing + s.internal + s.active).toBe(s.total);
  });

  it('links each card to the history with its filter, which the history reads back', () => {
    expect(summaryLink('active')).toBeNull();
    const back = (kind: Parameters<typeof summaryLink>[0]) => historyFilterFromQuery(parseHash('#' + summaryLink(kind)).query);
    expect(back('total')).toEqual({ direction: '', result: '', period: 'today' });
    expect(back('answered')).toEqual({ direction: 'in', result: 'answered', period: 'today' });
    expect(back('missed')).toEqual({ direction: 'in', result: 'missed', period: 'today' });
    expect(back('outgoing')).toEqual({ direction: 'out', result: '', period: 'today' });
    expect(back('internal')).toEqual({ direction: 'internal', result: '', period: 'today' });
    // Nothing or nonsense: all calls.
    expect(historyFilterFromQuery(parseHash('#/calls').query)).toEqual({ direction: '', result: '', period: 'all' });
    expect(historyFilterFromQuery(parseHash('#/calls?direction=up&result=1&period=custom').query)).toEqual({ direction: '', result: '', period: 'all' });
  });
});
