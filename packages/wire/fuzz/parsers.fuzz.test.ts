/**
 * Property-based fuzzing of every wire-format parser (issue 16): Prometheus text 0.0.4 and OpenMetrics, the
 * delimited protobuf exposition, Influx line protocol (and its mapping to series), remote_write (snappy +
 * protobuf). Inputs are valid documents with random edits, random sequences of the format's tokens, random
 * bytes, and tokens repeated tens of thousands of times (for super-linear time). Each input must be answered
 * or refused as documented (targets.ts) within FUZZ_BUDGET_MS, in a worker thread that is terminated if it
 * hangs (budget.ts).
 *
 *   npx vitest run packages/wire/fuzz                      seeded, FUZZ_RUNS (default 1000) inputs per parser
 *   FUZZ_SEED=$RANDOM FUZZ_RUNS=20000 npx vitest run packages/wire/fuzz   explore further
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Precision } from '../influx/line-protocol';
import { BudgetedRunner } from './budget';
import { expositionTexts, lineProtocolBodies, protobufExpositions, remoteWriteBodies } from './documents';
import type { FuzzInput } from './targets';

const SEED = Number(process.env.FUZZ_SEED ?? 16_016);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
/** Per input; a linear parser takes well under 10 ms for the largest input generated here (about 1 MB). */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 2000);

const runner = new BudgetedRunner(BUDGET_MS);
afterAll(() => runner.close());

/** Runs the property over `inputs` and fails with the (shrunk) input that broke a contract or the budget. */
async function fuzz(inputs: fc.Arbitrary<FuzzInput>): Promise<void> {
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      const outcome = await runner.run(input);
      expect(outcome.problem).toBeUndefined();
    }),
    { seed: SEED, numRuns: RUNS },
  );
}

describe('the fuzzing harness', () => {
  it('reports a hang (and carries on with a new worker), a crash and a broken contract', async () => {
    const short = new BudgetedRunner(300);
    try {
      expect((await short.run({ target: 'harness-check', behaviour: 'hang' })).problem).toBe(
        'no answer within the budget of 300 ms (hang or super-linear time)',
      );
      expect((await short.run({ target: 'harness-check', behaviour: 'fine' })).problem).toBeUndefined();
      expect((await short.run({ target: 'harness-check', behaviour: 'crash' })).problem).toMatch(/^crash: TypeError: a crash/);
      expect((await short.run({ target: 'harness-check', behaviour: 'contract' })).problem).toBe('contract: a broken contract');
    } finally {
      await short.close();
    }
  }, 30_000);
});

describe('fuzzing the wire-format parsers (no crash, no hang, documented refusals only)', () => {
  it('Prometheus text 0.0.4 and OpenMetrics (parseExposition)', async () => {
    await fuzz(
      fc.record({
        target: fc.constant('exposition' as const),
        text: expositionTexts,
        format: fc.constantFrom('text' as const, 'openmetrics' as const),
        sampleLimit: fc.option(fc.nat(30), { nil: undefined }),
        metadataOnce: fc.boolean(),
      }),
    );
  }, 120_000);

  it('Influx line protocol (parseLineProtocol, then pointsToSeries)', async () => {
    await fuzz(
      fc.record({
        target: fc.constant('line-protocol' as const),
        body: lineProtocolBodies,
        precision: fc.constantFrom<Precision>('ns', 'n', 'us', 'u', 'ms', 's', 'm', 'h'),
        maxLines: fc.option(fc.nat(20), { nil: undefined }),
      }),
    );
  }, 120_000);

  it('delimited protobuf exposition (parseProtobufExposition)', async () => {
    await fuzz(
      fc.record({
        target: fc.constant('protobuf-exposition' as const),
        bytes: protobufExpositions,
        sampleLimit: fc.option(fc.nat(30), { nil: undefined }),
      }),
    );
  }, 120_000);

  it('remote_write (decodeRemoteWrite): snappy of edited protobuf, and edited snappy', async () => {
    await fuzz(
      fc.record({
        target: fc.constant('remote-write' as const),
        body: remoteWriteBodies,
        maxDecompressedBytes: fc.constantFrom(64, 1 << 20),
      }),
    );
  }, 120_000);
});
