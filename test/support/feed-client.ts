import WebSocket from 'ws';
import { ServerMessageSchema, WS_PROTOCOL, WS_TOKEN_PREFIX, type FeedItem, type ServerMessage } from '../../src-shared/wire';

/** A minimal feed client for relay tests: collects items, resolves waits on predicates. */
export class TestFeedClient {
  items: FeedItem[] = [];
  messages: ServerMessage[] = [];
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  ws!: WebSocket;
  closed = false;

  static async connect(baseUrl: string, token: string | null, lastId = 0, opts: { viaMessage?: boolean; lastAt?: string } = {}): Promise<TestFeedClient> {
    const c = new TestFeedClient();
    const url = baseUrl.replace(/^http/, 'ws') + '/api/ws';
    const protocols = token && !opts.viaMessage ? [WS_PROTOCOL, WS_TOKEN_PREFIX + token] : [WS_PROTOCOL];
    c.ws = new WebSocket(url, protocols);
    c.ws.on('message', (data) => {
      const msg = ServerMessageSchema.parse(JSON.parse(String(data)));
      c.messages.push(msg);
      if (msg.type === 'item') c.items.push(msg.item);
      c.check();
    });
    c.ws.on('close', () => {
      c.closed = true;
      c.check();
    });
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve());
      c.ws.once('error', reject);
    });
    if (token && opts.viaMessage) c.ws.send(JSON.stringify({ type: 'auth', token }));
    c.ws.send(JSON.stringify({ type: 'hello', lastId, lastAt: opts.lastAt }));
    return c;
  }

  private check() {
    this.waiters = this.waiters.filter((w) => {
      if (w.pred()) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  waitFor(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.messages.length} messages`)), timeoutMs);
      this.waiters.push({ pred, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  synced() {
    return this.waitFor(() => this.messages.some((m) => m.type === 'synced'), 5000, 'synced');
  }

  lastId(): number {
    return this.items.at(-1)?.id ?? 0;
  }

  callItems(callEntry?: string) {
    return this.items.filter((i) => i.payload.kind === 'call' && (!callEntry || i.payload.call.entryId === callEntry));
  }

  close() {
    this.ws.close();
  }
}
