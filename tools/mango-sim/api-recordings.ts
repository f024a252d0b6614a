// queries/recording/post → 302 to a one-shot, short-lived link on the same server (§6.3).
import { RESULT } from './codes';
import { emptyReply, fail, type Reply } from './api-reply';
import type { HandlerContext } from './api-context';
import type { IdSource } from './ids';
import { fakeMp3 } from './mp3';
import { requireText, withParams } from './api-validate';

export const FILES_PREFIX = '/files/';
const LINK_TTL_MS = 60_000;

interface Link {
  recordingId: string;
  action: string;
  expiresAt: number;
}

export class OneShotLinks {
  private readonly links = new Map<string, Link>();
  constructor(private readonly ids: IdSource) {}

  create(recordingId: string, action: string, now: number): string {
    for (const [t, l] of this.links) if (l.expiresAt <= now) this.links.delete(t);
    const token = this.ids.token();
    this.links.set(token, { recordingId, action, expiresAt: now + LINK_TTL_MS });
    return token;
  }

  /** Returns the link once; a second use (or an expired one) finds nothing. */
  take(token: string, now: number): Link | undefined {
    const link = this.links.get(token);
    this.links.delete(token);
    return link && link.expiresAt > now ? link : undefined;
  }
}

function recordingKnown(ctx: HandlerContext, id: string): boolean {
  return ctx.state.recordings.has(id) || ctx.state.calls.some((c) => c.records.includes(id));
}

export function recordingPost(ctx: HandlerContext): Reply {
  return withParams(() => {
    const id = requireText(ctx.json, 'recording_id');
    const action = requireText(ctx.json, 'action');
    if (action !== 'download' && action !== 'play') return fail(RESULT.badFormat);
    if (!recordingKnown(ctx, id)) return fail(RESULT.recordingNotFound);
    const token = ctx.links.create(id, action, ctx.nowMs());
    return { status: 302, headers: { location: `${ctx.origin}${FILES_PREFIX}${token}` } };
  });
}

/** GET /files/<token>: the audio once, then 404. */
export function serveFile(links: OneShotLinks, token: string, now: number): Reply {
  const link = links.take(token, now);
  if (!link) return emptyReply(404);
  const headers: Record<string, string> = {};
  if (link.action === 'download') headers['content-disposition'] = `attachment; filename="${link.recordingId.replace(/[^A-Za-z0-9=_-]/g, '_')}.mp3"`;
  return { status: 200, body: fakeMp3(), contentType: 'audio/mpeg', headers };
}
