/**
 * A month of the measured CDN traffic at Cloudflare's published prices: a paper model whose
 * inputs are the run's measured rates (scaled from the phase to 30 days) and the prices below.
 */
import type { CdnModeFigures } from './run';

/** Where each price was read, and when. */
export const PRICE_SOURCES = [
  {
    what: 'Workers Standard: requests, $5 subscription; Durable Objects requests; R2 (storage, Class A/B)',
    url: 'https://developers.cloudflare.com/workers/platform/pricing/',
    read:
      '2026-12-04, from the Cloudflare docs source (cloudflare/cloudflare-docs, src/content/docs/workers/platform/pricing.mdx' +
      ' and partials/workers/durable_objects_pricing.mdx)' +
      " through the search tool's docs corpus: this machine has no web access",
  },
  {
    what: 'Workers KV: reads, writes, stored data',
    url: 'https://developers.cloudflare.com/kv/platform/pricing/',
    read: '2026-12-04, same way (partials/workers/kv_pricing.mdx)',
  },
] as const;

/** Paid-plan prices (USD) and the monthly amounts included before they apply. */
export const PRICES = {
  subscription: 5,
  workersRequests: { perMillion: 0.3, includedMillions: 10 },
  kvWrites: { perMillion: 5, includedMillions: 1 },
  r2ClassA: { perMillion: 4.5, includedMillions: 1 },
  r2ClassB: { perMillion: 0.36, includedMillions: 10 },
  r2Storage: { perGbMonth: 0.015, includedGb: 10 },
  doRequests: { perMillion: 0.15, includedMillions: 1 },
} as const;

const MONTH_SECONDS = 30 * 24 * 3600;

/** Modelled counts per unit of measured activity (documented in docs/push.md; not counted in the run). */
export const MODEL_INPUTS = {
  /** KV writes per activation: the pointer, the deploy copy, the purge snapshot. */
  kvWritesPerSync: 3,
  /** Durable Object requests per activation (the purge log takes the changed paths). */
  doRequestsPerSync: 1,
  /** R2 Class A operations per push API request (each writes at least one object: blob, deploy JSON or pointer). */
  r2ClassAPerPushRequest: 1,
  /** R2 Class B operations per edge miss in push/hybrid (the pushed blob streams from R2). */
  r2ClassBPerPushedMiss: 1,
} as const;

/** One mode's month. */
export interface MonthCost {
  requestsPerMonth: number;
  originGbPerMonth: number;
  lines: Record<'subscription' | 'workersRequests' | 'kvWrites' | 'r2ClassA' | 'r2ClassB' | 'r2Storage' | 'doRequests', number>;
  totalUsd: number;
  /** The inputs, per month, as the model used them. */
  inputs: Record<string, number>;
}

const over = (units: number, includedMillions: number, perMillion: number): number =>
  Math.max(0, units / 1e6 - includedMillions) * perMillion;

/** The month of one mode's measured traffic over `seconds`. */
export function monthCost(f: CdnModeFigures, seconds: number): MonthCost {
  const scale = MONTH_SECONDS / seconds;
  const requests = (f.requests + f.errors) * scale;
  const pushed = f.mode === 'push' || f.mode === 'hybrid';
  // The initial upload is a one-off: the month pays for the steady syncs only.
  const syncs = f.syncs * scale;
  const steadyPushRequests = f.pushRequests - f.pushInitialRequests;
  const r2A = steadyPushRequests * scale * MODEL_INPUTS.r2ClassAPerPushRequest;
  const r2B = pushed ? f.latency.miss.count * scale * MODEL_INPUTS.r2ClassBPerPushedMiss : 0;
  const kvWrites = syncs * MODEL_INPUTS.kvWritesPerSync;
  const doRequests = syncs * MODEL_INPUTS.doRequestsPerSync;
  const r2Gb = f.storage.r2.blobBytes / 1e9;
  const lines = {
    subscription: PRICES.subscription,
    workersRequests: over(requests, PRICES.workersRequests.includedMillions, PRICES.workersRequests.perMillion),
    kvWrites: over(kvWrites, PRICES.kvWrites.includedMillions, PRICES.kvWrites.perMillion),
    r2ClassA: over(r2A, PRICES.r2ClassA.includedMillions, PRICES.r2ClassA.perMillion),
    r2ClassB: over(r2B, PRICES.r2ClassB.includedMillions, PRICES.r2ClassB.perMillion),
    r2Storage: Math.max(0, r2Gb - PRICES.r2Storage.includedGb) * PRICES.r2Storage.perGbMonth,
    doRequests: over(doRequests, PRICES.doRequests.includedMillions, PRICES.doRequests.perMillion),
  };
  return {
    requestsPerMonth: requests,
    originGbPerMonth: (f.origin.bytes * scale) / 1e9,
    lines,
    totalUsd: Object.values(lines).reduce((a, b) => a + b, 0),
    inputs: {
      requests,
      syncs,
      kvWrites,
      doRequests,
      r2ClassA: r2A,
      r2ClassB: r2B,
      r2StoredGb: r2Gb,
      originRequests: f.origin.requests * scale,
    },
  };
}
