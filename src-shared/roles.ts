/** Employee roles: the single list used by the relay, the app and the UI. */
export const ROLES = ['admin', 'to', 'pm', 'director', 'buh', 'hr', 'other'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Администратор',
  to: 'ТО (Тендерный отдел)',
  pm: 'Руководитель проекта',
  director: 'Дирекция',
  buh: 'Бухгалтерия',
  hr: 'Отдел кадров',
  other: 'Другое',
};

/** The customer's rule: the tender department takes calls by default, everyone else does not. */
export function defaultAcceptCalls(role: Role): boolean {
  return role === 'to';
}
