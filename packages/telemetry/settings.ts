/**
 * The wrangler vars every Worker that pushes its own metrics reads (its docs' settings table
 * is generated from them): whether it records at all, and how often it flushes.
 */
import { custom, integer, settingsSchema, type SettingsSchema, type SettingSpec } from '@pushpull/http/settings';

/** The telemetry settings schema, documented in `doc` (each Worker's own page). */
export function telemetrySettingsSchema(doc: string): SettingsSchema<{
  enabled: SettingSpec<boolean>;
  flushIntervalMs: SettingSpec<number>;
  flushEvents: SettingSpec<number>;
}> {
  const specs = {
    enabled: custom('TELEMETRY', 'on', {
      accepts: '`on` or `off`',
      parse: (text) => {
        if (text !== 'on' && text !== 'off') throw new Error('`on` or `off`');
        return text === 'on';
      },
      doc,
      meaning:
        'record and push this Worker\'s own metrics (`collection="push"`, docs/dashboard.md) to the metrics store; `off`: record nothing',
    }),
    flushIntervalMs: integer('TELEMETRY_FLUSH_MS', 5000, {
      min: 0,
      doc,
      meaning: 'an isolate pushes its metrics at most this often, in ms (from a request, inside `waitUntil`)',
    }),
    flushEvents: integer('TELEMETRY_FLUSH_EVENTS', 1000, {
      min: 1,
      doc,
      meaning: '… or as soon as it recorded this many events since its last push',
    }),
  };
  return settingsSchema(specs);
}
