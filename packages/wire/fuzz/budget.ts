/**
 * A time budget per fuzz input that also catches a real hang: inputs run in a worker thread (with tsx, so it
 * loads these TypeScript sources), one at a time, and an input that has not answered within the budget gets its
 * worker terminated and is reported. A synchronous loop in the test's own thread could not be interrupted.
 */
import { Worker } from 'node:worker_threads';
import type { FuzzInput } from './targets';

/** What running one input found: nothing (`problem` undefined), a crash, a broken contract, or the budget exceeded. */
export interface FuzzOutcome {
  problem: string | undefined;
  ms: number;
}

/** Runs fuzz inputs in a worker thread with a per-input time budget (the worker's start-up is not counted). */
export class BudgetedRunner {
  private worker: Promise<Worker> | undefined;

  constructor(readonly budgetMs: number) {}

  private start(): Promise<Worker> {
    this.worker ??= new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./budget-worker.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
      worker.once('message', () => resolve(worker));
      worker.once('error', reject);
    });
    return this.worker;
  }

  /** Runs `input`; never rejects. */
  async run(input: FuzzInput): Promise<FuzzOutcome> {
    let worker: Worker;
    try {
      worker = await this.start();
    } catch (err) {
      this.worker = undefined;
      return { problem: `worker did not start: ${err instanceof Error ? err.message : String(err)}`, ms: 0 };
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        this.worker = undefined;
        void worker.terminate();
        resolve({ problem: `no answer within the budget of ${this.budgetMs} ms (hang or super-linear time)`, ms: this.budgetMs });
      }, this.budgetMs);
      const onMessage = (outcome: FuzzOutcome) => {
        clearTimeout(timer);
        worker.off('error', onError);
        resolve(
          outcome.ms > this.budgetMs
            ? { problem: `took ${outcome.ms.toFixed(0)} ms, over the budget of ${this.budgetMs} ms`, ms: outcome.ms }
            : outcome,
        );
      };
      const onError = (err: Error) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        this.worker = undefined;
        resolve({ problem: `worker died: ${err.message}`, ms: 0 });
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(input);
    });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await (await worker).terminate();
  }
}
