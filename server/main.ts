import { configFromEnv } from './config';
import { startRelay } from './relay';

/** `npm run relay`: start, and shut down gracefully on SIGTERM/SIGINT. */
async function main() {
  const relay = await startRelay(configFromEnv());
  const stop = async (signal: string) => {
    relay.ctx.log.info({ signal }, 'shutting down');
    await relay.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('server/main.ts')) {
  main().catch((err) => {
    console.error('relay failed to start:', err);
    process.exit(1);
  });
}
