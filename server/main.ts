import { configFromEnv } from './config';
import { startRelay } from './relay';
import { createRelayLogger } from './ops/log';

/**
 * `npm run relay`: JSON logs on stdout; SIGTERM/SIGINT shut down gracefully (stop accepting,
 * answer in-flight webhooks after their commit, tell the apps to reconnect, close the
 * database); a second signal or an overrun of the grace period exits at once; SIGHUP re-reads
 * the TLS certificate and key.
 */
async function main() {
  const config = configFromEnv();
  const log = createRelayLogger(config.logLevel);
  let relay;
  try {
    relay = await startRelay(config, { logger: log });
  } catch (err) {
    log.fatal({ err }, 'relay failed to start');
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error({ graceMs: config.shutdownGraceMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 15_000).unref();
    relay.close().then(
      () => {
        log.info('relay stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (config.tlsCert) relay.reloadTls();
    else log.info('SIGHUP ignored: TLS is not configured');
  });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('server/main.ts')) {
  void main();
}
