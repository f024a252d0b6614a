/**
 * The relay's one database interface, implemented by node-postgres (production, tests) and
 * PGlite (the embedded default). Same SQL, same migrations.
 */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs a multi-statement SQL script without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs fn in one transaction; rolls back if it throws. Statements fn issues without awaiting
   * (independent ones, or its last ones) are sent together, and all of them must succeed before
   * the commit counts; their results are ready by the time tx resolves.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on a channel; returns an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * The statements a transaction has issued, for Db.tx's rule that every one must succeed before
 * the commit counts: `track` registers one (its failure is then reported by `settled`, not as an
 * unhandled rejection), `settled` waits for all and throws the first failure.
 */
export function statementTracker(): { track<R>(p: Promise<R>): Promise<R>; settled(): Promise<void> } {
  const issued: Promise<unknown>[] = [];
  return {
    track(p) {
      p.catch(() => {});
      issued.push(p);
      return p;
    },
    async settled() {
      for (const p of issued) await p;
    },
  };
}
