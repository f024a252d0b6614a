// The simulated PBX's people and numbers. Scenarios and the fake API share it so that
// a call generated for extension 101 rings the same SIP device config/users reports.

export const DEFAULT_PRODUCT_ID = 400000001;
export const DEFAULT_DOMAIN = 'vpbx400000001.mangosip.ru';
export const DEFAULT_LINE_NUMBER = '74951234567';
export const DEFAULT_CALLER = '79161234567';
export const DEFAULT_GROUP_EXTENSION = '22';

export interface SimUser {
  user_id: number;
  name: string;
  email: string;
  extension: string;
  mobile?: string;
  /** SIP logins without the "sip:" scheme, as config/users returns them. */
  sips: string[];
  /** Group ids; group/update keeps this in sync with SimGroup.operators. */
  groups: number[];
  department?: string;
  position?: string;
  login?: string;
  access_role_id?: number;
}

export interface SimGroup {
  id: number;
  name: string;
  extension: string;
  description?: string;
  /** user_id list; group/update replaces it whole (mango-api.md §5.2). */
  operators: number[];
}

const TO_GROUP_ID = 1001;
const SALES_GROUP_ID = 1002;

export function defaultUsers(): SimUser[] {
  const mk = (ext: string, login: string, name: string, groups: number[], position: string, mobile?: string): SimUser => ({
    user_id: 400000000 + Number(ext),
    name,
    email: `${login}@asgard.example`,
    extension: ext,
    ...(mobile ? { mobile } : {}),
    sips: [`${login}@${DEFAULT_DOMAIN}`],
    groups,
    department: groups.includes(TO_GROUP_ID) ? 'Тендерный отдел' : 'Администрация',
    position,
    login: `${DEFAULT_PRODUCT_ID}/${login}`,
    access_role_id: 1,
  });
  return [
    mk('101', 'ivanov', 'Иванов Иван', [TO_GROUP_ID], 'Менеджер', '79161110101'),
    mk('102', 'petrov', 'Петров Пётр', [TO_GROUP_ID], 'Менеджер', '79161110102'),
    mk('103', 'sidorova', 'Сидорова Анна', [TO_GROUP_ID, SALES_GROUP_ID], 'Старший менеджер'),
    mk('104', 'kuznetsov', 'Кузнецов Олег', [SALES_GROUP_ID], 'Продажи'),
    mk('105', 'admin', 'Смирнова Елена', [], 'Администратор'),
  ];
}

export function defaultGroups(): SimGroup[] {
  return [
    { id: TO_GROUP_ID, name: 'Тендерный отдел', extension: DEFAULT_GROUP_EXTENSION, operators: [400000101, 400000102, 400000103] },
    { id: SALES_GROUP_ID, name: 'Продажи', extension: '23', operators: [400000103, 400000104] },
  ];
}

const defaultByExtension = new Map(defaultUsers().map((u) => [u.extension, u]));

/** Device number Mango shows in to.number for an employee leg. */
export function deviceOf(extension: string, users?: SimUser[]): string {
  const user = users ? users.find((u) => u.extension === extension) : defaultByExtension.get(extension);
  const sip = user?.sips[0] ?? `user${extension}@${DEFAULT_DOMAIN}`;
  return `sip:${sip}`;
}

export function userIdOf(extension: string, users?: SimUser[]): number {
  const user = users ? users.find((u) => u.extension === extension) : defaultByExtension.get(extension);
  return user?.user_id ?? 400000000 + (Number(extension) || 0);
}
