/** What every page shares: its config element, a DOM builder, error rendering, timing marks. */
import type { PageConfig } from '../src/dashboards/page-config';
import type { PromError } from './api';

/** The page's `<script id="pushpull-config">` (rendered by src/dashboards/pages.ts). */
export function readPageConfig(): PageConfig {
  const text = document.getElementById('pushpull-config')?.textContent ?? '{}';
  const parsed = JSON.parse(text) as Partial<PageConfig>;
  return { scraperUrl: parsed.scraperUrl ?? '', dashboard: parsed.dashboard };
}

/** Creates an element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/**
 * Prometheus's error as its UI shows it ("Error executing query: …"), and for a parse error
 * the query's line with a caret under the position the server named.
 */
export function renderError(err: PromError, expr: string): HTMLElement {
  const box = el(
    'div',
    { class: 'error', role: 'alert', 'data-error-type': err.errorType },
    el('strong', {}, 'Error executing query: '),
    el('span', { class: 'message' }, err.message),
  );
  const pos = err.position(expr);
  if (pos) {
    const line = expr.split('\n')[pos.line - 1] ?? '';
    box.dataset.position = `${pos.line}:${pos.column}`;
    box.append(el('pre', { class: 'position' }, `${line}\n${' '.repeat(Math.max(pos.column - 1, 0))}^`));
  }
  return box;
}

/** Marks the first chart drawn (performance entry `pushpull-first-chart`), once. */
export function markFirstChart(): void {
  if (performance.getEntriesByName('pushpull-first-chart').length === 0) performance.mark('pushpull-first-chart');
}
