import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelay } from '../scripts/build-relay';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts a child process and waits until `url` answers (bounded). */
export async function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, readyUrl: string, timeoutMs = 60_000): Promise<ChildProcess> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(' ')} exited with ${child.exitCode}`);
    try {
      const r = await fetch(readyUrl, { method: 'GET' });
      if (r.status < 500 || r.status === 405) return child;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${cmd} did not become ready at ${readyUrl}`);
}

export function stop(child: ChildProcess | null | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/**
 * The server under test (bare Node, FastAPI, the relay) runs on CPU 0 and the load generator on
 * CPU 1, so a server is not measured by how much CPU it leaves to the load generator, nor the
 * load generator's own delays counted as the server's. PostgreSQL is not pinned. BENCH_PIN=0
 * runs everything unpinned (as does a machine without taskset or a second CPU).
 */
const canPin = process.env.BENCH_PIN !== '0' && cpus().length >= 2 && existsSync('/usr/bin/taskset');
export const SERVER_CPU: number | null = canPin ? 0 : null;
export const LOADGEN_CPU: number | null = canPin ? 1 : null;
export const pinning = canPin ? 'server under test on CPU 0, load generator on CPU 1, PostgreSQL unpinned' : 'unpinned';

/** Pins every thread of a process to one CPU (taskset), or does nothing when cpu is null. */
export function pinTo(p: { pid?: number }, cpu: number | null): void {
  if (cpu === null || !p.pid) return;
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(p.pid)], { stdio: 'ignore' });
}

/** Lets every thread of a process run on any CPU again (after pinTo). */
export function unpin(p: { pid?: number }): void {
  if (!canPin || !p.pid) return;
  execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(p.pid)], { stdio: 'ignore' });
}

/** CPU time (user + system, ms) a process has used so far; NaN where /proc cannot say. */
export function cpuMsOf(pid: number): number {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

/** CPU time (ms) used so far by every PostgreSQL process on this machine. */
export function postgresCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuMsOf(Number(pid)) || 0;
    } catch {
      /* gone */
    }
  }
  return total;
}

/** Mango credentials the benchmarks' relays are configured with and their events signed by. */
export const BENCH_KEY = 'bench-key';
export const BENCH_SALT = 'bench-salt';

/**
 * The relay as production runs it (the esbuild bundle under plain node) on `databaseUrl`,
 * answering on `port`; `RELAY_PROF=1` writes its CPU profile to /tmp/cpuprof.
 */
export async function startBenchRelay(databaseUrl: string, port: number): Promise<ChildProcess> {
  return startProcess(
    process.execPath,
    [...(process.env.RELAY_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/cpuprof'] : []), await buildRelay()],
    { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-relay-')), MANGO_API_KEY: BENCH_KEY, MANGO_API_SALT: BENCH_SALT, LOG_LEVEL: 'warn', RECONCILE_EVERY_MS: '0' },
    `http://127.0.0.1:${port}/healthz`,
  );
}
