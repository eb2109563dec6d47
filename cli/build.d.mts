/** Types of cli/build.mjs for the TypeScript tests that import it. */
export const binPath: string;
export function buildCli(): Promise<string>;
