/**
 * CPU-time measurement for benchmarks of pure functions: contenders run in interleaved rounds
 * (A B C A B C …) so that a shared machine's load weighs on all of them alike.
 */

/** The middle value (upper middle for an even count). */
export function middle(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median CPU seconds (user + system of this process, so garbage collection on helper threads
 * counts) and wall seconds per run of each contender; two warm-up rounds, then at least 3 and
 * at most `runs` rounds, stopping once `maxMs` per contender has passed.
 */
export function measureAll(fns: (() => unknown)[], runs: number, maxMs: number): { seconds: number; wall: number; runs: number }[] {
  for (let w = 0; w < 2; w++) for (const fn of fns) fn();
  const cpu: number[][] = fns.map(() => []);
  const wall: number[][] = fns.map(() => []);
  const deadline = performance.now() + maxMs * fns.length;
  for (let r = 0; r < runs && (r < 3 || performance.now() < deadline); r++) {
    fns.forEach((fn, i) => {
      const c0 = process.cpuUsage();
      const t = performance.now();
      fn();
      const c = process.cpuUsage(c0);
      wall[i].push((performance.now() - t) / 1000);
      cpu[i].push((c.user + c.system) / 1e6);
    });
  }
  return fns.map((_, i) => ({ seconds: middle(cpu[i]), wall: middle(wall[i]), runs: cpu[i].length }));
}
