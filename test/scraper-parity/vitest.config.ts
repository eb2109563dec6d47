import { scraperProject } from '../scraper/vitest.config';

// The scraper project's setup plus a real Prometheus 2.42 and node_exporter (global-setup.ts),
// scraping the same targets with the same configuration: parity.test.ts diffs the two stores.
// Its binaries: peers.json (`npm run test:peers`).
export default scraperProject('scraper-parity', (inject) => ({
  PROMETHEUS_URL: inject('prometheusUrl'),
  PARITY_CONFIG: inject('parityConfig'),
}));
