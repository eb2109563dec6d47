// `npm run types`: regenerate every Worker's binding types (worker-configuration.d.ts).
import { spawnSync } from 'node:child_process';
import { bin, listWorkers, root, toolEnv, typesArgs } from './workers.mjs';

for (const w of listWorkers()) {
  const r = spawnSync(bin('wrangler'), typesArgs(w, false), { cwd: root, stdio: 'inherit', env: toolEnv });
  if (r.status !== 0) process.exit(r.status || 1);
}
