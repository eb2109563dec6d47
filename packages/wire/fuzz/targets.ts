/**
 * What the wire-format fuzzing (parsers.fuzz.test.ts) runs on each input, and the contract it checks: every
 * parser either answers or refuses the input the documented way (its own error class or its error list), never
 * throws anything else, and what it answers is well formed. A violation is thrown as {@link ContractViolation};
 * any other exception that escapes is a crash. Runs inside the watchdog worker (budget-worker.ts).
 */
import { parseLineProtocol, type Precision } from '../influx/line-protocol';
import { pointsToSeries } from '../influx/series-mapping';
import { parseProtobufExposition } from '../prometheus-protobuf/exposition';
import { ExpositionError, parseExposition, type ExpositionFormat, type ParsedExposition } from '../prometheus-text/exposition';
import { decodeRemoteWrite } from '../remote-write/write-request';

/** An answer that breaks the parser's contract (the input was neither answered well nor refused as documented). */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new ContractViolation(what);
}

/** One fuzz input: which parser, its bytes or text, and the options it is called with. */
export type FuzzInput =
  | { target: 'exposition'; text: string; format: ExpositionFormat; sampleLimit: number | undefined; metadataOnce: boolean }
  | { target: 'protobuf-exposition'; bytes: Uint8Array; sampleLimit: number | undefined }
  | { target: 'line-protocol'; body: string | Uint8Array; precision: Precision; maxLines: number | undefined }
  | { target: 'remote-write'; body: Uint8Array; maxDecompressedBytes: number }
  /** The harness's own check that a hang, a crash and a broken contract are caught. */
  | { target: 'harness-check'; behaviour: 'hang' | 'crash' | 'contract' | 'fine' };

function checkExposition(r: ParsedExposition, sampleLimit: number | undefined): void {
  let total = 0;
  for (const f of r.families) {
    check(typeof f.name === 'string', 'family without a name');
    for (const s of f.samples) {
      total++;
      check(typeof s.name === 'string' && s.name !== '', 'sample without a name');
      check(s.labels.length % 2 === 0 && s.labels.every((l) => typeof l === 'string'), 'labels not name/value string pairs');
      check(typeof s.value === 'number', 'value not a number');
      if (s.hasTimestamp) check(s.timestampMs !== undefined, 'hasTimestamp without timestampMs');
      if (s.timestampMs !== undefined) check(Number.isFinite(s.timestampMs), `timestamp ${s.timestampMs} not finite`);
    }
  }
  check(total === r.samples, `samples ${r.samples} but ${total} in the families`);
  if (sampleLimit !== undefined) check(total <= sampleLimit, `${total} samples past the sample limit ${sampleLimit}`);
}

function refusedAsDocumented(run: () => ParsedExposition, sampleLimit: number | undefined): void {
  let r: ParsedExposition;
  try {
    r = run();
  } catch (e) {
    if (e instanceof ExpositionError) {
      check(Number.isInteger(e.line) && e.line >= 1, `error line ${e.line}`);
      return;
    }
    throw e;
  }
  checkExposition(r, sampleLimit);
}

/** Runs one input against its parser and checks the contract. */
export function runFuzzInput(input: FuzzInput): void {
  switch (input.target) {
    case 'exposition':
      return refusedAsDocumented(
        () => parseExposition(input.text, { format: input.format, sampleLimit: input.sampleLimit, metadataOnce: input.metadataOnce }),
        input.sampleLimit,
      );
    case 'protobuf-exposition':
      return refusedAsDocumented(() => parseProtobufExposition(input.bytes, { sampleLimit: input.sampleLimit }), input.sampleLimit);
    case 'line-protocol': {
      const now = 1_700_000_000_000;
      const r = parseLineProtocol(input.body, { precision: input.precision, now: () => now, maxLines: input.maxLines });
      const points = r.points;
      check(points.length === r.columns.length, 'points and columns disagree');
      if (input.maxLines !== undefined) check(points.length <= input.maxLines, `${points.length} points past maxLines`);
      for (const e of r.errors) check(Number.isInteger(e.line) && e.line >= 1 && typeof e.message === 'string', 'malformed line error');
      for (const p of points) check(Number.isFinite(p.timestampMs), `point timestamp ${p.timestampMs} not finite`);
      // The ingest path maps every parsed point; mapping never refuses.
      const mapped = pointsToSeries(r.columns, { bucket: 'b' });
      let samples = 0;
      for (const s of mapped.series) {
        check(s.timestamps.length === s.values.length, 'mapped series misaligned');
        check(typeof s.labels.__name__ === 'string' && s.labels.__name__ !== '', 'mapped series without a name');
        samples += s.timestamps.length;
      }
      check(samples === mapped.samples, 'mapped sample count');
      return;
    }
    case 'harness-check':
      if (input.behaviour === 'hang') for (;;);
      if (input.behaviour === 'crash') throw new TypeError('a crash');
      check(input.behaviour !== 'contract', 'a broken contract');
      return;
    case 'remote-write': {
      const r = decodeRemoteWrite(input.body, { maxDecompressedBytes: input.maxDecompressedBytes });
      if (r.refused) check(r.series.length === 0, 'refused body with series');
      let samples = 0;
      for (const s of r.series) {
        check(s.timestamps.length === s.values.length, 'series misaligned');
        check(typeof s.labels.__name__ === 'string' && s.labels.__name__ !== '', 'series without a name');
        for (const i of s.staleAt ?? []) check(Number.isInteger(i) && i >= 0 && i < s.values.length, `staleAt ${i} out of range`);
        samples += s.timestamps.length;
      }
      check(samples === r.samples, `samples ${r.samples} but ${samples} in the series`);
      return;
    }
  }
}
