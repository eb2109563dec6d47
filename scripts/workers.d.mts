/** Types of scripts/workers.mjs for the TypeScript tests that import it. */
export interface WorkerInfo {
  name: string;
  config: string;
  dir: string;
  port: number;
  crons: string[];
  typesWith: string[];
  d1WithMigrations: string[];
}
export const root: string;
export function listWorkers(): WorkerInfo[];
export function typesArgs(worker: WorkerInfo, check: boolean): string[];
