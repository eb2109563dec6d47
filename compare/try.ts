import { runMetrics } from './metrics/run';
const t0 = Date.now();
const r = await runMetrics({ sources: [5, 20], seriesPerSource: 20, intervalSeconds: 2, rounds: 3, targetsPerJob: 100, shortJobs: 8, shortJobLifetimes: [1, 1, 3, 6], shortJobWindowSeconds: 3, pullIntervals: [2, 5], eventsPerSecond: 5, eventSeconds: 4, seed: 1 }, '/tmp/cmp-try3', console.log);
console.log(JSON.stringify(r, null, 1));
console.log('total', Date.now() - t0);
