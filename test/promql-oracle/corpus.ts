/**
 * Reads corpus.txt (its header describes the format) into queries with their expectations, and turns each
 * query into the HTTP requests the oracle sends to both stores.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the corpus expects of one query. */
type Expectation =
  | { kind: 'same' }
  /** Prometheus refuses it: both must refuse with the same status and errorType. */
  | { kind: 'error' }
  /** A known Prometheus 2.x vs 3.x difference (3.x wins): the answers may differ. */
  | { kind: 'differs'; reason: string };

/** One corpus line. */
export interface CorpusQuery {
  line: number;
  section: string;
  expr: string;
  expect: Expectation;
  /** Only as an instant query (a range vector or string answer, which range queries refuse). */
  instantOnly: boolean;
}

/** One request to send to both stores. */
export interface OracleRequest {
  /** `query?…` or `query_range?…` (under /api/v1/). */
  path: string;
  /** What it is, for messages. */
  label: string;
}

/** Parses corpus.txt. */
export function readCorpus(file = join(import.meta.dirname, 'corpus.txt')): CorpusQuery[] {
  const out: CorpusQuery[] = [];
  let section = '';
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const text = raw.trim();
      if (text.startsWith('## ')) {
        section = text.slice(3).trim();
        return;
      }
      if (text === '' || text.startsWith('#')) return;
      const [expr, ...notes] = text.split(' ;; ').map((s) => s.trim());
      let expect: Expectation = { kind: 'same' };
      let instantOnly = false;
      for (const note of notes) {
        if (note === 'error') expect = { kind: 'error' };
        else if (note === 'instant') instantOnly = true;
        else if (/^known: ./.test(note)) expect = { kind: 'differs', reason: note };
        else throw new Error(`corpus.txt:${i + 1}: unknown note ${JSON.stringify(note)} (error, instant, known: …)`);
      }
      out.push({ line: i + 1, section, expr, expect, instantOnly });
    });
  return out;
}

/** The instants and ranges the queries are evaluated at, relative to the data set's base (seconds). */
export interface EvalTimes {
  base: number;
}

/** Instant-query times: inside the data, and just after it ends (lookback and staleness at the end). */
const INSTANTS = [2.5 * 3600 + 0.5, 3 * 3600 + 120.5];
/** Range-query windows (start, end, step in seconds past the base), used in turn line by line. */
const RANGES: [number, number, number][] = [
  [3600.5, 7200.5, 60],
  [7200.5, 3 * 3600 + 600.5, 15],
  [0.5, 3 * 3600 + 0.5, 300],
  [1800.5, 6000.5, 37],
];

/** Replaces `{{B+n}}` / `{{B-n}}` / `{{B}}` with the base plus n seconds. */
function substitute(expr: string, base: number): string {
  return expr.replace(/\{\{B(?:([+-])(\d+))?\}\}/g, (_, sign: string | undefined, n: string | undefined) =>
    String(base + (sign === '-' ? -1 : 1) * Number(n ?? 0)),
  );
}

/** The requests for one query: each instant, and one range window (chosen by the line number). */
export function requestsFor(q: CorpusQuery, times: EvalTimes): OracleRequest[] {
  const expr = substitute(q.expr, times.base);
  const query = encodeURIComponent(expr);
  const out: OracleRequest[] = INSTANTS.map((t) => ({
    path: `query?query=${query}&time=${times.base + t}`,
    label: `instant at B+${t}s`,
  }));
  if (!q.instantOnly) {
    const [start, end, step] = RANGES[q.line % RANGES.length];
    out.push({
      path: `query_range?query=${query}&start=${times.base + start}&end=${times.base + end}&step=${step}`,
      label: `range B+${start}s..B+${end}s step ${step}s`,
    });
  }
  return out;
}
