/**
 * The watchdog's worker thread: runs each fuzz input it is sent and answers with how long it took and what
 * went wrong, if anything. A parser that hangs never answers, and the main thread (budget.ts) terminates it.
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { ContractViolation, runFuzzInput, type FuzzInput } from './targets';

parentPort?.on('message', (input: FuzzInput) => {
  const started = performance.now();
  let problem: string | undefined;
  try {
    runFuzzInput(input);
  } catch (e) {
    problem =
      e instanceof ContractViolation ? `contract: ${e.message}` : `crash: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  parentPort?.postMessage({ ms: performance.now() - started, problem });
});
// Loading this file (through tsx) is not part of any input's budget.
parentPort?.postMessage('ready');
