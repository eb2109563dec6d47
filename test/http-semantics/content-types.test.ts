/**
 * One Content-Type per extension (issue 13): the Node origin serving a file, the push client
 * publishing a folder and the push API taking a file without a type must all give the
 * module's type.
 */
import { describe, expect, it } from 'vitest';
import { contentTypeFor } from '@pushpull/http/content-type';
import { send } from './http';
import { knownFailure } from './known-failures';
import { edgeUrl, originUrl, TYPED_EXTENSIONS } from './servers';

const SOURCES = [
  { name: 'origin', url: (file: string) => `${originUrl()}/types/${file}` },
  { name: 'push client', url: (file: string) => `${edgeUrl()}/types-client/${file}` },
  { name: 'push API', url: (file: string) => `${edgeUrl()}/types-api/${file}` },
] as const;

for (const source of SOURCES) {
  describe(`Content-Type by extension: ${source.name}`, () => {
    for (const ext of TYPED_EXTENSIONS) {
      const file = `file.${ext}`;
      const want = contentTypeFor(file);
      const why = knownFailure(`content-type ${source.name}`, ext);
      (why === undefined ? it : it.fails)(`.${ext} is ${want}${why === undefined ? '' : ` — known failure: ${why}`}`, async () => {
        const answer = await send(source.url(file));
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toBe(want);
      });
    }
  });
}
