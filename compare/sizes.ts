/**
 * Size presets: `tiny` proves the machinery in `npm test` (seconds per pair), `default` is the
 * run the README quotes (at most 10 minutes on a 2-core machine), `large` goes further.
 */
import type { CdnSettings } from './cdn/run';
import type { FeedSettings } from './feed/run';
import type { MetricsSettings } from './metrics/run';

export type SizeName = 'tiny' | 'default' | 'large';
export const SIZE_NAMES: readonly SizeName[] = ['tiny', 'default', 'large'];

export interface SizePreset {
  cdn: Omit<CdnSettings, 'seed'>;
  metrics: Omit<MetricsSettings, 'seed'>;
  feed: Omit<FeedSettings, 'seed'>;
}

export const SIZES: Record<SizeName, SizePreset> = {
  tiny: {
    cdn: {
      objects: 24,
      minBytes: 512,
      maxBytes: 32 * 1024,
      zipfExponent: 1,
      rates: [8],
      seconds: 8,
      ttlSeconds: 2,
      swrSeconds: 30,
      changeEverySeconds: 1,
      changeFraction: 0.1,
      hotFraction: 0.25,
      maxInFlight: 32,
    },
    metrics: {
      sources: [4, 12],
      seriesPerSource: 10,
      intervalSeconds: 2,
      rounds: 2,
      targetsPerJob: 100,
      shortJobs: 8,
      shortJobLifetimes: [1, 1, 1, 3],
      shortJobWindowSeconds: 2,
      pullIntervals: [2, 5],
      eventsPerSecond: 5,
      eventSeconds: 3,
    },
    feed: {
      users: 200,
      topFollowers: 199,
      thresholds: [20],
      loads: [{ postsPerSecond: 2, readsPerSecond: 10 }],
      phaseSeconds: 3,
      readers: 30,
      historyAuthors: 5,
      historyPosts: 2,
      hugeFollowers: 40,
    },
  },
  default: {
    cdn: {
      objects: 200,
      minBytes: 512,
      maxBytes: 256 * 1024,
      zipfExponent: 1,
      rates: [4, 16, 40],
      seconds: 30,
      ttlSeconds: 5,
      swrSeconds: 60,
      changeEverySeconds: 2,
      changeFraction: 0.02,
      hotFraction: 0.1,
      maxInFlight: 48,
    },
    metrics: {
      sources: [10, 100, 300],
      seriesPerSource: 20,
      intervalSeconds: 5,
      rounds: 3,
      targetsPerJob: 100,
      shortJobs: 30,
      shortJobLifetimes: [1, 2, 3, 5, 8, 13, 20, 30],
      shortJobWindowSeconds: 15,
      pullIntervals: [5, 15],
      eventsPerSecond: 5,
      eventSeconds: 20,
    },
    feed: {
      users: 10000,
      topFollowers: 5000,
      thresholds: [100, 1000],
      loads: [
        { postsPerSecond: 1, readsPerSecond: 5 },
        { postsPerSecond: 1, readsPerSecond: 25 },
        { postsPerSecond: 3, readsPerSecond: 25 },
      ],
      phaseSeconds: 10,
      readers: 200,
      historyAuthors: 30,
      historyPosts: 8,
      hugeFollowers: 1000,
    },
  },
  large: {
    cdn: {
      objects: 1000,
      minBytes: 512,
      maxBytes: 1024 * 1024,
      zipfExponent: 1,
      rates: [4, 16, 40, 80],
      seconds: 60,
      ttlSeconds: 10,
      swrSeconds: 120,
      changeEverySeconds: 2,
      changeFraction: 0.01,
      hotFraction: 0.1,
      maxInFlight: 64,
    },
    metrics: {
      sources: [10, 100, 300, 1000],
      seriesPerSource: 20,
      intervalSeconds: 5,
      rounds: 4,
      targetsPerJob: 100,
      shortJobs: 60,
      shortJobLifetimes: [1, 2, 3, 5, 8, 13, 20, 30],
      shortJobWindowSeconds: 30,
      pullIntervals: [5, 15],
      eventsPerSecond: 10,
      eventSeconds: 45,
    },
    feed: {
      users: 30000,
      topFollowers: 6000,
      thresholds: [10, 100, 1000, 10000],
      loads: [
        { postsPerSecond: 1, readsPerSecond: 5 },
        { postsPerSecond: 1, readsPerSecond: 25 },
        { postsPerSecond: 1, readsPerSecond: 50 },
        { postsPerSecond: 5, readsPerSecond: 50 },
      ],
      phaseSeconds: 15,
      readers: 400,
      historyAuthors: 30,
      historyPosts: 8,
      hugeFollowers: 1000,
    },
  },
};
