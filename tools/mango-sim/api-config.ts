// account/balance, config/users/request, groups, group/update (mango-api.md §1.7, §5.1, §5.2).
import { RESULT } from './codes';
import { fail, jsonReply, type Reply } from './api-reply';
import type { HandlerContext } from './api-context';
import type { SimGroup, SimUser } from './api-state';
import { asText, isObject, optionalText, requireText, withParams } from './api-validate';

/** "YYYY-MM-DD HH:MM:SS" in Moscow time (UTC+3, no DST): Mango's local clock. */
export function mskDateTime(ms: number): string {
  const d = new Date(ms + 3 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export function balance(ctx: HandlerContext): Reply {
  const { state } = ctx;
  return jsonReply({ result: RESULT.ok, balance: state.balance, currency: state.currency, response_at: mskDateTime(ctx.nowMs()) });
}

/** Group ids of a user: its own list plus every group listing it as an operator. */
function groupsOf(user: SimUser, groups: SimGroup[]): number[] {
  const ids = new Set(user.groups);
  for (const g of groups) if (g.operators.includes(user.user_id)) ids.add(g.id);
  return [...ids];
}

function userView(user: SimUser, groups: SimGroup[], ext: Set<string>): Record<string, unknown> {
  const general: Record<string, unknown> = {
    name: user.name,
    email: user.email,
    department: user.department ?? null,
    position: user.position ?? null,
  };
  if (ext.has('general.user_id')) general.user_id = user.user_id;
  if (ext.has('general.access_role_id')) general.access_role_id = user.access_role_id ?? 1;
  if (ext.has('general.mobile')) general.mobile = user.mobile ?? null;
  if (ext.has('general.login')) general.login = user.login ?? null;
  if (ext.has('general.use_status')) general.use_status = 0;
  if (ext.has('general.use_cc_numbers')) general.use_cc_numbers = 0;
  if (ext.has('general.sips')) general.sips = user.sips.map((number) => ({ number }));

  const numbers: Record<string, unknown>[] = user.sips.map((sip, i) => ({
    number: sip,
    protocol: 'sip',
    order: i + 1,
    wait_sec: 0,
    status: 'on',
  }));
  if (user.mobile) {
    numbers.push({ number: user.mobile, number_normalized: user.mobile, protocol: 'tel', order: numbers.length + 1, wait_sec: 20, status: 'on' });
  }
  const telephony: Record<string, unknown> = { extension: user.extension, outgoingline: null, numbers };
  if (ext.has('telephony.dial_alg')) telephony.dial_alg = 1;
  if (ext.has('telephony.line_id')) telephony.line_id = null;
  if (ext.has('telephony.trunk_number_id')) telephony.trunk_number_id = null;

  const view: Record<string, unknown> = { general, telephony };
  if (ext.has('groups')) view.groups = groupsOf(user, groups);
  return view;
}

/** The one call without "result" on success (§1.4): {"users":[...]}. */
export function usersRequest(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, state } = ctx;
    const extension = optionalText(json, 'extension');
    const extFields = json.ext_fields;
    if (extFields !== undefined && !(Array.isArray(extFields) && extFields.every((f) => typeof f === 'string'))) {
      return fail(RESULT.badFormat);
    }
    const ext = new Set((extFields as string[] | undefined) ?? []);
    const users = state.users.filter((u) => extension === undefined || u.extension === extension);
    return jsonReply({ users: users.map((u) => userView(u, state.groups, ext)) });
  });
}

function groupView(g: SimGroup, users: SimUser[], showUsers: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: g.id,
    name: g.name,
    description: g.description ?? '',
    extension: g.extension,
    dial_alg_group: 1,
    dial_alg_users: 1,
    auto_redirect: 0,
    auto_dial: 0,
    line_id: null,
    use_dynamic_ivr: 0,
    use_dynamic_seq_num: 0,
    melody_id: null,
  };
  if (showUsers) {
    view.operators = g.operators.map((id, i) => {
      const u = users.find((x) => x.user_id === id);
      return { id, name: u?.name ?? '', extension: u?.extension ?? '', priority: 1, order: i + 1 };
    });
  }
  return view;
}

export function groupsRequest(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, state } = ctx;
    const showUsers = asText(json.show_users) === '1' || json.show_users === true;
    const groupId = optionalText(json, 'group_id');
    const operatorId = optionalText(json, 'operator_id');
    const operatorExt = optionalText(json, 'operator_extension');
    const opUser = operatorExt ? state.users.find((u) => u.extension === operatorExt) : undefined;
    const groups = state.groups.filter(
      (g) =>
        (groupId === undefined || String(g.id) === groupId) &&
        (operatorId === undefined || g.operators.some((id) => String(id) === operatorId)) &&
        (operatorExt === undefined || (opUser !== undefined && g.operators.includes(opUser.user_id))),
    );
    return jsonReply({ result: RESULT.ok, groups: groups.map((g) => groupView(g, state.users, showUsers)) });
  });
}

/** Replaces the whole operator list (§5.2): a partial list removes people. */
export function groupUpdate(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, state } = ctx;
    const groupId = requireText(json, 'group_id');
    const group = state.groups.find((g) => String(g.id) === groupId);
    if (!isObject(json.group)) return fail(json.group === undefined ? RESULT.missingParam : RESULT.badFormat);
    const ops = json.group.operators;
    if (ops === undefined) return fail(RESULT.missingParam);
    if (!Array.isArray(ops)) return fail(RESULT.badFormat);
    if (!group) return fail(RESULT.notFound, { fields: { group_id: groupId } });
    const ids: number[] = [];
    for (const op of ops) {
      const id = isObject(op) ? asText(op.id) : undefined;
      if (id === undefined) return fail(RESULT.badFormat);
      const user = state.users.find((u) => String(u.user_id) === id);
      if (!user) return fail(RESULT.notFound, { fields: { operator_id: id } });
      if (!ids.includes(user.user_id)) ids.push(user.user_id);
    }
    group.operators = ids;
    if (typeof json.group.name === 'string') group.name = json.group.name;
    // Keep each user's own group list consistent with the new membership.
    for (const u of state.users) {
      const member = ids.includes(u.user_id);
      const has = u.groups.includes(group.id);
      if (member && !has) u.groups.push(group.id);
      if (!member && has) u.groups = u.groups.filter((g) => g !== group.id);
    }
    return jsonReply({ result: RESULT.ok });
  });
}
