import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as wrangler from 'wrangler';
import { root, settingsDocs, withCurrentTable, workerSettings } from './settings-docs';

/** wrangler's own config reader (its declared type comes from a package wrangler bundles, unresolved here). */
const readRawConfig = (
  wrangler as unknown as { experimental_readRawConfig: (args: { config: string }) => { rawConfig: { vars?: Record<string, unknown> } } }
).experimental_readRawConfig;

/** The `[vars]` of a wrangler config, read by wrangler itself. */
function wranglerVars(worker: string): Record<string, unknown> {
  return readRawConfig({ config: join(root, 'workers', worker, 'wrangler.toml') }).rawConfig.vars ?? {};
}

const workers = readdirSync(join(root, 'workers'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

describe('settings schemas vs wrangler configs', () => {
  it('every Worker has a settings schema', () => {
    expect(workers.sort()).toEqual(Object.keys(workerSettings).sort());
  });

  for (const worker of workers) {
    describe(`workers/${worker}/wrangler.toml`, () => {
      const specs = workerSettings[worker] ?? [];
      it('sets every var of its schema to the schema default, and no var the schema does not know', () => {
        const vars = wranglerVars(worker);
        const known = new Map(specs.map((s) => [s.name, s.defaultText]));
        expect(Object.keys(vars).filter((name) => !known.has(name))).toEqual([]);
        expect(vars).toEqual(Object.fromEntries(known));
      });

      it('has defaults its own parsers accept', () => {
        for (const spec of specs) expect(() => spec.parse(spec.defaultText), spec.name).not.toThrow();
      });
    });
  }

  it('no var belongs to two Workers with different meanings by accident (each name is one setting per Worker)', () => {
    for (const [worker, specs] of Object.entries(workerSettings)) {
      const names = specs.map((s) => s.name);
      expect(names.length, worker).toBe(new Set(names).size);
    }
  });
});

describe('settings tables in docs/', () => {
  for (const doc of settingsDocs()) {
    it(`${doc} holds the table generated from the schemas (npm run docs:settings)`, () => {
      const text = readFileSync(join(root, doc), 'utf8');
      expect(text).toBe(withCurrentTable(doc, text));
    });
  }
});
