// One signed form POST over a keep-alive agent; resolves with the HTTP status, never throws.
import http from 'node:http';
import https from 'node:https';

export type PostOutcome = { status: number; body: string } | { status: 'error'; error: string } | { status: 'timeout' };

/** Shared keep-alive agents: Mango-like bursts must not open a socket per event. */
export const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
export const keepAliveHttpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

export interface PostFormOptions {
  agent?: http.Agent;
  timeoutMs?: number;
}

export function postForm(url: URL, body: string, opts: PostFormOptions = {}): Promise<PostOutcome> {
  const isHttps = url.protocol === 'https:';
  const client = isHttps ? https : http;
  const agent = opts.agent ?? (isHttps ? keepAliveHttpsAgent : keepAliveAgent);
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: PostOutcome) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => done({ status: 'error', error: e.message }));
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => {
      done({ status: 'timeout' });
      req.destroy();
    });
    req.on('error', (e) => done({ status: 'error', error: e.message }));
    req.end(body);
  });
}

/** Resolves `path` (e.g. "events/call") under a base that may lack its trailing slash. */
export function eventUrl(baseUrl: string, path: string): URL {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  return new URL(path.replace(/^\/+/, ''), base);
}
