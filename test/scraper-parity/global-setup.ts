import type { TestProject } from 'vitest/node';
import { startScraperFixtures } from '../scraper/global-setup';
import { startPrometheusStack } from './prometheus-stack';

declare module 'vitest' {
  export interface ProvidedContext {
    prometheusUrl: string;
    parityConfig: string;
  }
}

/** The scraper project's fixtures plus a real Prometheus and node_exporter scraping the same targets. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fixtures = await startScraperFixtures(project);
  try {
    const prometheus = await startPrometheusStack(fixtures.origin.port, fixtures.targets.port, fixtures.targets.toggle2Port);
    project.provide('prometheusUrl', prometheus.prometheusUrl);
    project.provide('parityConfig', JSON.stringify(prometheus.config));
    return async () => {
      await prometheus.close();
      await fixtures.stop();
    };
  } catch (e) {
    await fixtures.stop();
    throw e;
  }
}
