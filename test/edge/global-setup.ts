import type { TestProject } from 'vitest/node';
import { startScriptedOrigin } from '../support/scripted-origin';

declare module 'vitest' {
  export interface ProvidedContext {
    originPort: number;
  }
}

/** Starts the scripted origin the edge Worker pulls from during the tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const origin = await startScriptedOrigin();
  project.provide('originPort', origin.port);
  return () => origin.close();
}
