/**
 * The settings tables of docs/*.md, generated from the Workers' settings schemas. Each doc
 * holds one generated table between the markers below, listing the settings whose `doc` is
 * that file. `npm run docs:settings` rewrites them; settings.test.ts fails when one is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SettingSpec } from '@pushpull/http/settings';
import { cacheSettingsSchema, edgeTelemetrySettings } from '../../workers/edge/src/settings';
import { pushSettingsSchema } from '../../workers/edge/src/push/settings';
import { feedSettingsSchema } from '../../workers/feed/src/settings';
import { metricsSettingsSchema, metricsTelemetrySettings } from '../../workers/metrics/src/limits';
import { scraperSettingsSchema } from '../../workers/scraper/src/settings';

/** The repository's root. */
export const root = resolve(import.meta.dirname, '../..');

/** Every Worker's settings, by its folder under workers/. */
export const workerSettings: Record<string, readonly SettingSpec<unknown>[]> = {
  edge: [...cacheSettingsSchema.specs, ...pushSettingsSchema.specs, ...edgeTelemetrySettings.specs],
  metrics: [...metricsSettingsSchema.specs, ...metricsTelemetrySettings.specs],
  scraper: scraperSettingsSchema.specs,
  feed: feedSettingsSchema.specs,
};

const BEGIN = '<!-- settings table: generated from the settings schema by `npm run docs:settings`, do not edit -->';
const END = '<!-- end of settings table -->';

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const code = (text: string): string => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

/** The table for one doc: every setting whose `doc` it is, in schema order. */
export function settingsTable(doc: string): string {
  const rows = Object.entries(workerSettings).flatMap(([worker, specs]) =>
    specs.filter((s) => s.doc === doc).map((s) => ({ worker, spec: s })),
  );
  const workers = [...new Set(rows.map((r) => r.worker))];
  const lines = [
    `Wrangler vars of ${workers.map((w) => `\`workers/${w}/wrangler.toml\``).join(', ')}. ` +
      'An absent var takes its default; any other value must be',
    'what the table says, or the Worker refuses it by name (500 `misconfigured`, see [the settings policy](layout.md#settings)).',
    '',
    '| var | default | accepts | meaning |',
    '|---|---|---|---|',
    ...rows.map(({ spec }) => `| \`${spec.name}\` | ${cell(code(spec.defaultText))} | ${cell(spec.accepts)} | ${cell(spec.meaning)} |`),
  ];
  return lines.join('\n');
}

/** The docs that hold a settings table. */
export function settingsDocs(): string[] {
  return [...new Set(Object.values(workerSettings).flatMap((specs) => specs.map((s) => s.doc)))].sort();
}

/** A doc's text with its generated table replaced by the current one. Throws when the markers are missing. */
export function withCurrentTable(doc: string, text: string): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END, begin);
  if (begin < 0 || end < 0) throw new Error(`${doc} has no settings table markers (${BEGIN} ... ${END})`);
  return `${text.slice(0, begin)}${BEGIN}\n${settingsTable(doc)}\n${text.slice(end)}`;
}

// `tsx test/consistency/settings-docs.ts`: rewrite every table.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  for (const doc of settingsDocs()) {
    const path = join(root, doc);
    const text = readFileSync(path, 'utf8');
    const next = withCurrentTable(doc, text);
    if (next !== text) {
      writeFileSync(path, next);
      console.log(`updated ${doc}`);
    }
  }
}
