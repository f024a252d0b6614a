/** The mail UI's counted phrases: Russian plurals, the genitive after «из», «его» for one letter. */
import { describe, expect, it } from 'vitest';
import { M } from '../../src-renderer/mail/strings';

// ru-RU groups thousands with a no-break space.
const nb = (s: string) => s.replace(/ (?=\d{3}\b)/g, '\u00a0');

describe('mail strings', () => {
  it('«из N» takes the genitive: письма for 1, 21, 1 001; писем otherwise', () => {
    expect(M.bulk.capped(1000, 1001)).toBe(nb('Выбраны первые 1 000 из 1 001 письма: действия применяются не более чем к 1 000 за раз.'));
    expect(M.bulk.capped(1000, 1002)).toBe(nb('Выбраны первые 1 000 из 1 002 писем: действия применяются не более чем к 1 000 за раз.'));
    expect(M.bulk.capped(1000, 1500)).toBe(nb('Выбраны первые 1 000 из 1 500 писем: действия применяются не более чем к 1 000 за раз.'));
    expect(M.rules.applied(0, 21)).toBe('Ни одно из 21 письма во «Входящих» не подошло.');
    expect(M.rules.applied(0, 3)).toBe('Ни одно из 3 писем во «Входящих» не подошло.');
    expect(M.rules.applied(0, 5000)).toBe(nb('Ни одно из 5 000 писем во «Входящих» не подошло.'));
    expect(M.rules.applied(1, 40)).toBe('Правило применено: подошло 1 письмо из 40.');
    expect(M.rules.applied(3, 40)).toBe('Правило применено: подошло 3 письма из 40.');
  });

  it('«Возвращено» after «Отменить» counts letters the Russian way', () => {
    expect(M.bulk.restored(1)).toBe('Возвращено: 1 письмо.');
    expect(M.bulk.restored(3)).toBe('Возвращено: 3 письма.');
    expect(M.bulk.restored(5)).toBe('Возвращено: 5 писем.');
    expect(M.bulk.restored(21)).toBe('Возвращено: 21 письмо.');
    expect(M.bulk.undo).toBe('Отменить');
  });

  it('deleting for good says «его» for one letter and «их» for more', () => {
    expect(M.bulk.confirmDeleteForever(1)).toBe('Удалить навсегда 1 письмо? Восстановить его будет нельзя.');
    expect(M.bulk.confirmDeleteForever(2)).toBe('Удалить навсегда 2 письма? Восстановить их будет нельзя.');
    expect(M.bulk.confirmDeleteForever(21)).toBe('Удалить навсегда 21 письмо? Восстановить их будет нельзя.');
    expect(M.bulk.confirmEmpty(1)).toBe('Удалить навсегда 1 письмо из этой папки? Восстановить его будет нельзя.');
    expect(M.bulk.confirmEmpty(5)).toBe('Удалить навсегда 5 писем из этой папки? Восстановить их будет нельзя.');
  });

  it('the compose footer says quietly how autosave went; a search row names its folder', () => {
    expect(M.composeForm.autosaved('14:05')).toBe('Черновик сохранён в 14:05');
    expect(M.composeForm.autosaveFailed('Черновик не найден.')).toBe('Черновик не сохранён: Черновик не найден.');
    expect(M.rowFolder('Входящие')).toBe('Папка: Входящие');
  });

  it('«Отмена отправки» counts seconds in Russian', () => {
    expect(M.undoSetting.seconds(1)).toBe('1 секунда');
    expect(M.undoSetting.seconds(3)).toBe('3 секунды');
    expect(M.undoSetting.seconds(5)).toBe('5 секунд');
    expect(M.undoSetting.seconds(21)).toBe('21 секунда');
    expect(M.undoSetting.seconds(30)).toBe('30 секунд');
  });

  it('read / unread buttons say the same everywhere; the local drafts are not the server folder', () => {
    expect([M.reader.markRead, M.bulk.markRead, M.rules.markRead]).toEqual(['Отметить прочитанным', 'Отметить прочитанным', 'Отметить прочитанным']);
    expect([M.reader.markUnread, M.bulk.markUnread]).toEqual(['Отметить непрочитанным', 'Отметить непрочитанным']);
    expect(M.drafts).toBe('Черновики на этом компьютере');
    expect(M.draftsPage.title).toBe(M.drafts);
    expect(M.drafts).not.toBe(M.folders['\\Drafts']);
  });
});
