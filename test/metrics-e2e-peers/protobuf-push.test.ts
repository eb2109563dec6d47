import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseExposition } from '@pushpull/wire/prometheus-text/exposition';
import { parseProtobufExposition } from '@pushpull/wire/prometheus-protobuf/exposition';
import { spawnPeer, stopProcess, waitForHttp } from '../support/process';

// A real client_golang encoder: node_exporter (Debian prometheus-node-exporter) serves the delimited
// protobuf format when asked for it, as client_golang's push package sends it to a Pushgateway.
const url = inject('metricsUrl');
const token = inject('metricsToken');
const NODE_EXPORTER = '127.0.0.1:19016';
const PROTOBUF = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

let exporter: ChildProcess | undefined;

beforeAll(async () => {
  exporter = spawnPeer('prometheus-node-exporter', 'prometheus-node-exporter', [`--web.listen-address=${NODE_EXPORTER}`], {
    stdio: 'ignore',
  });
  await waitForHttp(`http://${NODE_EXPORTER}/metrics`, exporter, 'node_exporter', { okOnly: true });
});

afterAll(async () => {
  if (exporter) await stopProcess(exporter);
});

async function scrape(accept: string): Promise<{ type: string; bytes: Uint8Array<ArrayBuffer> }> {
  const res = await fetch(`http://${NODE_EXPORTER}/metrics`, { headers: { accept } });
  expect(res.status).toBe(200);
  return { type: res.headers.get('content-type') ?? '', bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** Sample identities (name and sorted labels), without the labels in `drop`. */
function identities(samples: { name: string; labels: string[] }[], drop: string[] = []): string[] {
  return samples
    .map((s) => {
      const pairs: string[] = [];
      for (let i = 0; i < s.labels.length; i += 2)
        if (!drop.includes(s.labels[i])) pairs.push(`${s.labels[i]}=${JSON.stringify(s.labels[i + 1])}`);
      return `${s.name}{${pairs.sort().join(',')}}`;
    })
    .sort();
}

async function seriesOf(job: string): Promise<{ name: string; labels: string[] }[]> {
  const res = await fetch(`${url}/api/v1/series?${new URLSearchParams({ 'match[]': `{job="${job}"}` })}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: Record<string, string>[] };
  return body.data.map(({ __name__, ...labels }) => ({ name: __name__, labels: Object.entries(labels).flat() }));
}

describe('protobuf pushes (client_golang encoding) → /metrics/job/...', () => {
  it('decodes the same series from node_exporter protobuf as from its text page', async () => {
    const proto = await scrape(PROTOBUF);
    expect(proto.type).toContain('application/vnd.google.protobuf');
    const text = await scrape('text/plain;version=0.0.4');
    const fromProto = parseProtobufExposition(proto.bytes).families.flatMap((f) => f.samples);
    const fromText = parseExposition(new TextDecoder().decode(text.bytes), { format: 'text' }).families.flatMap((f) => f.samples);
    expect(fromProto.length).toBeGreaterThan(100);
    expect(identities(fromProto)).toEqual(identities(fromText));
    const build = fromProto.find((s) => s.name === 'node_exporter_build_info');
    expect(build?.value).toBe(1);
  });

  it('stores a protobuf push like the same page pushed as text', async () => {
    const run = Date.now();
    const proto = await scrape(PROTOBUF);
    const text = await scrape('text/plain;version=0.0.4');
    const put = (job: string, body: Uint8Array<ArrayBuffer>, type: string) =>
      fetch(`${url}/metrics/job/${job}/instance/ne`, {
        method: 'PUT',
        body,
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
      });
    const a = await put(`proto_${run}`, proto.bytes, PROTOBUF);
    expect(a.status, await a.text()).toBe(200);
    const b = await put(`text_${run}`, text.bytes, 'text/plain; version=0.0.4');
    expect(b.status, await b.text()).toBe(200);
    const stored = await seriesOf(`proto_${run}`);
    const pushed = parseProtobufExposition(proto.bytes).samples;
    // Every pushed sample, plus the group's push_time_seconds and push_failure_time_seconds.
    expect(stored.length).toBe(pushed + 2);
    expect(identities(stored, ['job'])).toEqual(identities(await seriesOf(`text_${run}`), ['job']));
  });

  it('refuses a malformed protobuf body with 400 and keeps the group as it was', async () => {
    const job = `proto_bad_${Date.now()}`;
    const proto = await scrape(PROTOBUF);
    const headers = { authorization: `Bearer ${token}`, 'content-type': PROTOBUF };
    expect((await fetch(`${url}/metrics/job/${job}`, { method: 'PUT', body: proto.bytes, headers })).status).toBe(200);
    const before = (await seriesOf(job)).length;
    const bad = await fetch(`${url}/metrics/job/${job}`, { method: 'PUT', body: proto.bytes.subarray(0, 40), headers });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: 'bad_request',
      message: expect.stringMatching(/^protobuf parsing error in message 1: /),
    });
    expect((await seriesOf(job)).length).toBe(before);
    const otherProto = await fetch(`${url}/metrics/job/${job}`, {
      method: 'PUT',
      body: proto.bytes,
      headers: {
        ...headers,
        'content-type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=compact-text',
      },
    });
    expect(otherProto.status).toBe(415);
  });
});
