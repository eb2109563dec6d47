/**
 * What the replay needs to know about the servers global-setup.ts started, and the names and
 * places the fixtures have on each.
 */
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Node origin (origin/server.ts), serving the fixtures under /semantics/. */
    originUrl: string;
    /** The edge Worker under `wrangler dev`: /pulled/ from the scripted origin, /pushed/ from the push store. */
    edgeUrl: string;
    /** The scripted origin behind the edge (test/support/scripted-origin.ts). */
    scriptedUrl: string;
  }
}

/** The push token of the edge under test. */
export const TOKEN = 'semantics-token';

/** Last-Modified of the fixtures wherever the test chooses it (origin files, scripted origin). */
export const FIXTURE_LAST_MODIFIED = Date.UTC(2026, 0, 5, 7, 8, 9);

/** Extensions whose Content-Type the three ways of publishing a file must agree on. */
export const TYPED_EXTENSIONS = [
  'json',
  'md',
  'csv',
  'ttf',
  'html',
  'css',
  'js',
  'txt',
  'svg',
  'png',
  'xml',
  'map',
  'webmanifest',
  'woff2',
  'wasm',
  'mp4',
  'unknownext',
] as const;

/** The edge's route table: each prefix answered by one source only. */
export const ROUTES = { '/pulled/': 'pull', '/pushed/': 'push', '/types-client/': 'push', '/types-api/': 'push' } as const;

export const originUrl = (): string => inject('originUrl');
export const edgeUrl = (): string => inject('edgeUrl');
export const scriptedUrl = (): string => inject('scriptedUrl');
