/**
 * Charts: Vega-Lite specifications compiled to Vega and rendered to SVG headless in Node
 * (`vega`'s View with the `none` renderer; no browser, no canvas).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One chart of the report: its id, title, what it shows, its data, and its SVG. */
export interface Chart {
  id: string;
  title: string;
  caption: string;
  /** The rows the chart draws (also written to the raw JSON). */
  rows: Array<Record<string, unknown>>;
  spec: TopLevelSpec;
  svg: string;
}

/** A chart before rendering. */
export type ChartSpec = Omit<Chart, 'svg'>;

/** Renders a Vega-Lite spec to an SVG string. */
async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders every chart. */
export async function renderCharts(specs: ChartSpec[]): Promise<Chart[]> {
  const out: Chart[] = [];
  for (const s of specs) out.push({ ...s, svg: await renderSvg(s.spec) });
  return out;
}

/** `text` in lines of at most `width` characters (broken at spaces), so a subtitle never widens its chart. */
function wrapLines(text: string, width = 80): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Common look: width, font, the caption as subtitle lines. */
export function frame(
  title: string,
  subtitle: string,
): { title: { text: string; subtitle: string[]; anchor: string }; width: number; height: number; config: Record<string, unknown> } {
  return {
    title: { text: title, subtitle: wrapLines(subtitle), anchor: 'start' },
    width: 460,
    height: 260,
    config: {
      font: 'Helvetica, Arial, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
      legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
    },
  };
}
