/** `npm run bench [-- webhook|fanout|mail]`: benchmarks printing figures and ratios against baselines run alongside. */
import { runWebhookBench } from './webhook';
import { runFanoutBench } from './fanout';

const which = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = which.length === 0;

async function main() {
  if (all || which.includes('webhook')) await runWebhookBench();
  if (all || which.includes('fanout')) await runFanoutBench();
  if (all || which.includes('mail')) {
    const mailModule = './mail'; // a variable: the mail benchmark module is optional at type-check time
    const mail = (await import(mailModule)) as { runMailBench?: () => Promise<unknown> };
    if (mail.runMailBench) await mail.runMailBench();
    else console.log('mail benchmark not available yet');
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
