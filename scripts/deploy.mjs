// `npm run deploy`: `wrangler deploy` for every Worker, those that others bind over RPC first
// (a service binding needs its target deployed). Uses the Cloudflare account of the
// environment (`wrangler login` or CLOUDFLARE_API_TOKEN + CLOUDFLARE_ACCOUNT_ID).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bin, listWorkers, root, toolEnv } from './workers.mjs';

const workers = listWorkers();
const byConfig = new Map(workers.map((w) => [w.config, w]));
const done = new Set();
const order = [];
const visit = (w) => {
  if (done.has(w.config)) return;
  done.add(w.config);
  for (const dep of w.typesWith) if (byConfig.has(dep)) visit(byConfig.get(dep));
  order.push(w);
};
workers.forEach(visit);

const dryRun = process.argv.includes('--dry-run');
for (const w of order) {
  const args = ['deploy', '-c', w.config];
  if (dryRun) args.push('--dry-run', '--outdir', join(root, 'dist', w.name));
  console.log(`\n▶ wrangler ${args.join(' ')}`);
  const r = spawnSync(bin('wrangler'), args, { cwd: root, stdio: 'inherit', env: toolEnv });
  if (r.status !== 0) process.exit(r.status || 1);
}
console.log(
  `\nDeployed ${order.map((w) => w.name).join(', ')}. Set the token on each if you have not:\n` +
    order.map((w) => `  npx wrangler secret put PUSHPULL_TOKEN -c ${w.config}`).join('\n'),
);
