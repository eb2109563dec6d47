// `npm run types`: regenerate every Worker's binding types (worker-configuration.d.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { listWorkers, root, typesArgs } from './workers.mjs';

for (const w of listWorkers()) {
  const r = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), typesArgs(w, false), {
    cwd: root, stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (r.status !== 0) process.exit(r.status || 1);
}
