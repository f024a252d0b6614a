/**
 * Russian titles of the roles the server gives folders (RFC 6154): the folder pane shows them,
 * and the core's refusals name system folders the same way.
 */
export const MAIL_FOLDER_TITLES: Readonly<Record<string, string>> = {
  '\\Inbox': 'Входящие',
  '\\Sent': 'Отправленные',
  '\\Drafts': 'Черновики',
  '\\Trash': 'Корзина',
  '\\Junk': 'Спам',
  '\\Archive': 'Архив',
  '\\All': 'Вся почта',
  '\\Flagged': 'Помеченные',
};
