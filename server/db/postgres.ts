import { createHash } from 'node:crypto';
import pg from 'pg';
import { statementTracker, type Db, type Queryable, type QueryResult } from './db';

// bigint (int8) as JS number: ids and counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Parameterized statements are prepared once per connection (named by a hash of their text)
 * instead of parsed and planned on every call: the ingest transaction runs a dozen of them per
 * batch and planning its CTEs cost more than running them. Bounded, so SQL built from filters
 * cannot grow each backend's statement cache without limit; past the bound, statements are
 * sent unnamed as before.
 */
const MAX_PREPARED = 256;
const preparedNames = new Map<string, string>();
function statement(text: string, params: unknown[] | undefined): string | pg.QueryConfig {
  if (!params) return text;
  let name = preparedNames.get(text);
  if (!name) {
    if (preparedNames.size >= MAX_PREPARED) return { text, values: params };
    name = 'a' + createHash('sha1').update(text).digest('hex').slice(0, 20);
    preparedNames.set(text, name);
  }
  return { name, text, values: params };
}

/**
 * Statements a transaction issues in one pass of the event loop (pipelined) leave in one write
 * instead of one each: the socket is corked until the loop's check phase (setImmediate), after
 * the rest of the I/O callbacks of that pass. Each write to PostgreSQL is a syscall that wakes
 * its backend, which on a busy machine often takes the relay's CPU at once: writing after the
 * pass's other work (answers, feed items for other sockets) keeps that work from waiting behind
 * the backend (measured in BENCHMARKS.md, fifth session). Call before issuing a statement.
 */
function writeCoalescer(client: pg.PoolClient): () => void {
  // node-postgres does not expose its socket in its types; `connection.stream` is a net.Socket.
  const stream = (client as unknown as { connection?: { stream?: { cork(): void; uncork(): void } } }).connection?.stream;
  let corked = false;
  return () => {
    if (!stream || corked) return;
    corked = true;
    stream.cork();
    setImmediate(() => {
      corked = false;
      stream.uncork();
    });
  };
}

export async function openPostgres(url: string, opts: { max?: number } = {}): Promise<Db> {
  // Pipelined connections: a query issued before the previous one's answer is sent at once, so a
  // transaction's independent statements (issued together, awaited together) cost one round
  // trip, not one each. Statements still run in the order they were issued.
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: 5000, pipeline: true });
  // An idle client losing its connection (database restart) must not crash the relay.
  pool.on('error', () => {});
  let listener: pg.Client | null = null;
  const handlers = new Map<string, Set<(p: string) => void>>();
  let closed = false;

  async function ensureListener(): Promise<pg.Client> {
    if (listener) return listener;
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (msg) => {
      for (const h of handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
    });
    client.on('error', () => {
      // Reconnect the LISTEN connection in the background; NOTIFYs missed meanwhile are
      // covered by the feed's replay (clients always resume from their last id).
      listener = null;
      if (!closed) setTimeout(() => void reListen(), 1000);
    });
    await client.connect();
    for (const ch of handlers.keys()) await client.query(`LISTEN "${ch}"`);
    listener = client;
    return client;
  }
  async function reListen() {
    try {
      await ensureListener();
      // NOTIFYs sent while the connection was down are lost, and nothing else may come to wake
      // a subscriber up: tell every one to re-check (the hub pumps every socket from the feed
      // table, settings drop their cache). '' is what a malformed payload looks like to them.
      for (const set of handlers.values()) for (const h of set) h('');
    } catch {
      if (!closed) setTimeout(() => void reListen(), 1000);
    }
  }

  const db: Db = {
    kind: 'postgres',
    async query<T>(text: string, params?: unknown[]) {
      const r = await pool.query(statement(text, params) as pg.QueryConfig);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // The pool stops listening to a client's 'error' while it is checked out: a connection
      // dropped mid-transaction (database restart, pg_terminate_backend) would then be an
      // unhandled 'error' event and kill the relay. Swallow it here; the next query fails,
      // the transaction is rolled back and the broken client is discarded by the pool.
      const onError = () => {};
      client.on('error', onError);
      try {
        // Statements are not awaited one by one: BEGIN travels with the first statement, COMMIT
        // with the last, and fn may leave its final statements in flight (see Db.tx). Every one
        // is checked before the transaction counts as committed.
        const { track, settled } = statementTracker();
        const coalesce = writeCoalescer(client);
        coalesce();
        track(client.query('BEGIN'));
        const q: Queryable = {
          query<R>(text: string, params?: unknown[]): Promise<QueryResult<R>> {
            coalesce();
            return track(client.query(statement(text, params) as pg.QueryConfig).then((r) => ({ rows: r.rows as R[], rowCount: r.rowCount ?? 0 })));
          },
          async exec(sql: string) {
            coalesce();
            await track(client.query(sql));
          },
        };
        const out = await fn(q);
        coalesce();
        const commit = client.query('COMMIT');
        commit.catch(() => {});
        await settled(); // the first failure is the transaction's error
        // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error.
        if ((await commit).command !== 'COMMIT') throw new Error('transaction was rolled back at COMMIT');
        client.release();
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch {
          client.release(true);
        }
        throw err;
      } finally {
        client.removeListener('error', onError);
      }
    },
    async listen(channel, onPayload) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Bad channel name ${channel}`);
      let set = handlers.get(channel);
      const isNew = !set;
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(onPayload);
      const client = await ensureListener();
      if (isNew) await client.query(`LISTEN "${channel}"`);
      return async () => {
        set!.delete(onPayload);
      };
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
  return db;
}
