/** Reads PromQL with Prometheus's grammar (lezer-promql): syntax errors and the metric names a query selects. */
import { parser } from '@prometheus-io/lezer-promql';

/** Positions of the grammar's error nodes (empty: the query parses). */
export function syntaxErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(n.from);
    },
  });
  return errors;
}

/** Metric names of the query's vector selectors (`foo{…}` and `{__name__="foo"}`). */
export function selectedMetrics(expr: string): string[] {
  const names = new Set<string>();
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        if (id) names.add(expr.slice(id.from, id.to));
      }
    },
  });
  return [...names];
}
