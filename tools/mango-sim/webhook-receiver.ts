// A minimal webhook receiver that records what the simulator posts (tests, debugging).
// It verifies signatures but answers whatever `respond` decides (default 200).
import http from 'node:http';
import { parseSignedForm, verifySign } from './sign';

export interface ReceivedWebhook {
  path: string;
  json: unknown;
  /** The exact json string, as signed. */
  raw: string;
  signOk: boolean;
  keyOk: boolean;
  time: number;
}

export interface WebhookReceiver {
  /** Base URL to hand to deliver()/setWebhookTarget, ends with '/'. */
  url: string;
  /** Webhooks answered 200. */
  received: ReceivedWebhook[];
  /** Every request, whatever it was answered. */
  requests: (ReceivedWebhook & { status: number })[];
  /** Resolves once at least `count` webhooks have arrived (or rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  apiKey: string;
  apiSalt: string;
  /** Base path, e.g. "/api/mango-webhook/". */
  basePath?: string;
  /** Status to answer; `seen` counts earlier requests with the same body. */
  respond?: (hook: ReceivedWebhook, seen: number) => number;
}

export async function startWebhookReceiver(opts: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const basePath = opts.basePath ?? '/hooks/';
  const received: ReceivedWebhook[] = [];
  const requests: (ReceivedWebhook & { status: number })[] = [];
  const seenBodies = new Map<string, number>();
  const waiters = new Set<() => void>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const form = parseSignedForm(body);
      const raw = form.json ?? '';
      let json: unknown;
      try {
        json = raw ? JSON.parse(raw) : undefined;
      } catch {
        json = undefined;
      }
      const path = (req.url ?? '').split('?')[0].replace(basePath, '');
      const hook: ReceivedWebhook = {
        path,
        json,
        raw,
        keyOk: form.vpbx_api_key === opts.apiKey,
        signOk: !!form.sign && verifySign(opts.apiKey, raw, opts.apiSalt, form.sign),
        time: Date.now(),
      };
      const seen = seenBodies.get(body) ?? 0;
      seenBodies.set(body, seen + 1);
      const status = opts.respond ? opts.respond(hook, seen) : 200;
      requests.push({ ...hook, status });
      if (status === 200) received.push(hook);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"success":true}' : '');
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    received,
    requests,
    waitFor(count, timeoutMs = 5000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          cleanup();
          resolve(received);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`waitFor(${count}): only ${received.length} webhooks after ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
