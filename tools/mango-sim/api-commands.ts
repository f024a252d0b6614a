// commands/*: validate synchronously (3103/3104/3330), answer {"result":1000}, then let the
// live calls emit result/<cmd> and the events/call legs (mango-api.md §4, §2.9).
import { RESULT } from './codes';
import { fail, jsonReply, type Reply } from './api-reply';
import type { HandlerContext } from './api-context';
import { optionalText, requireText, withParams } from './api-validate';

const accepted = (): Reply => jsonReply({ result: RESULT.ok });

export function callback(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, state, live } = ctx;
    const commandId = requireText(json, 'command_id');
    const extension = requireText(json, 'from.extension');
    const toNumber = requireText(json, 'to_number');
    const lineNumber = optionalText(json, 'line_number');
    // The employee must exist and have an extension; otherwise nothing is dialled.
    if (!state.users.some((u) => u.extension === extension)) return fail(RESULT.numberNotFound);
    live.callback({ commandId, extension, toNumber, lineNumber });
    return accepted();
  });
}

export function route(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, live } = ctx;
    const commandId = requireText(json, 'command_id');
    const callId = requireText(json, 'call_id');
    const toNumber = requireText(json, 'to_number');
    live.route({ commandId, callId, toNumber });
    return accepted();
  });
}

export function hangup(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, live } = ctx;
    const commandId = requireText(json, 'command_id');
    const callId = requireText(json, 'call_id');
    live.hangup({ commandId, callId });
    return accepted();
  });
}

export function transfer(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, live } = ctx;
    const commandId = requireText(json, 'command_id');
    const callId = requireText(json, 'call_id');
    const method = requireText(json, 'method');
    const toNumber = requireText(json, 'to_number');
    const initiator = requireText(json, 'initiator');
    if (method !== 'blind' && method !== 'hold') return fail(RESULT.badFormat);
    live.transfer({ commandId, callId, method, toNumber, initiator });
    return accepted();
  });
}

export function recordingStart(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, live } = ctx;
    const commandId = requireText(json, 'command_id');
    const callId = requireText(json, 'call_id');
    const party = requireText(json, 'call_party_number');
    live.recordingStart({ commandId, callId, party });
    return accepted();
  });
}
