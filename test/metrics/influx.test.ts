import { describe, expect, it } from 'vitest';
import { auth, call, env, instant, TOKEN, uniqueName } from './metrics-client';

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function write(body: BodyInit, query = 'org=o&bucket=b&precision=s', headers: Record<string, string> = auth('Token')) {
  return call(`/api/v2/write?${query}`, { method: 'POST', body, headers });
}

describe('InfluxDB /api/v2/write', () => {
  it('writes line protocol (Token scheme) and maps fields to <measurement>_<field> series with db label', async () => {
    const m = uniqueName('cpu');
    const t = Math.floor(Date.now() / 1000) - 10;
    const r = await write(`${m},host=a usage=0.5,count=3i,ok=true,note="skipped" ${t}\n${m},host=b value=7 ${t}\n`);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const usage = await instant(`${m}_usage`);
    expect(usage).toEqual([{ metric: { __name__: `${m}_usage`, host: 'a', db: 'b' }, value: [expect.any(Number), '0.5'] }]);
    expect((await instant(`${m}_count`))[0].value[1]).toBe('3');
    expect((await instant(`${m}_ok`))[0].value[1]).toBe('1');
    expect(await instant(`${m}_note`)).toEqual([]);
    expect((await instant(m))[0].metric).toEqual({ __name__: m, host: 'b', db: 'b' });
  });

  it('accepts Bearer too, and uses server time for lines without a timestamp', async () => {
    const m = uniqueName('mem');
    const r = await write(`${m} free=1`, 'bucket=b', auth('Bearer'));
    expect(r.status).toBe(204);
    expect((await instant(`${m}_free`))[0].value[1]).toBe('1');
  });

  it('answers a partial write with 400, the first bad line number, and keeps the good lines', async () => {
    const m = uniqueName('disk');
    const t = Math.floor(Date.now() / 1000);
    const r = await write(`${m} a=1 ${t}\n${m} a=\n${m},host=x b=2 ${t}\n${m}\n`);
    expect(r.status).toBe(400);
    const body = r.json() as { code: string; message: string; line: number };
    expect(body.code).toBe('invalid');
    expect(body.message).toMatch(/^partial write error \(2 written\): unable to parse/);
    expect(body.line).toBe(2);
    expect((await instant(`${m}_a`))[0].value[1]).toBe('1');
    expect((await instant(`${m}_b`))[0].metric.host).toBe('x');
  });

  it('names the line of a point the store refuses (label value too long, timestamp too far in the future)', async () => {
    const m = uniqueName('lim');
    const t = Math.floor(Date.now() / 1000);
    const long = 'v'.repeat(Number(env.MAX_LABEL_VALUE_LENGTH) + 1);
    const r = await write(`${m} a=1 ${t}\n${m},tag=${long} a=2 ${t}\n${m},when=future a=3 ${t + Number(env.MAX_FUTURE_SECONDS) + 60}\n`);
    expect(r.status).toBe(400);
    const body = r.json() as { message: string; line: number };
    expect(body.line).toBe(2);
    expect(body.message).toMatch(/partial write error \(1 written\)/);
    expect(body.message).toMatch(/MAX_LABEL_VALUE_LENGTH/);
    expect(body.message).toMatch(/MAX_FUTURE_SECONDS/);
    expect((await instant(`${m}_a`)).map((x) => x.value[1])).toEqual(['1']);
  });

  it('refuses without a token (401, InfluxDB body) and writes nothing', async () => {
    const m = uniqueName('noauth');
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Token wrong' },
      { authorization: `Basic ${btoa(`u:${TOKEN}`)}` },
    ]) {
      const r = await write(`${m} a=1`, 'bucket=b', headers);
      expect(r.status).toBe(401);
      expect((r.json() as { code: string }).code).toBe('unauthorized');
    }
    expect(await instant(`${m}_a`)).toEqual([]);
  });

  it('refuses a bad precision and a missing bucket with 400 invalid', async () => {
    expect((await write('x a=1', 'bucket=b&precision=h')).status).toBe(400);
    const r = await write('x a=1', 'org=o');
    expect(r.status).toBe(400);
    expect((r.json() as { code: string }).code).toBe('invalid');
  });

  it('reads gzip bodies', async () => {
    const m = uniqueName('gz');
    const r = await write(await gzip(`${m} a=42`), 'bucket=b', { ...auth('Token'), 'content-encoding': 'gzip' });
    expect(r.status).toBe(204);
    expect((await instant(`${m}_a`))[0].value[1]).toBe('42');
  });

  it('refuses a corrupt gzip body with 400 and an unknown encoding with 415', async () => {
    expect((await write('not gzip', 'bucket=b', { ...auth('Token'), 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await write('x a=1', 'bucket=b', { ...auth('Token'), 'content-encoding': 'br' })).status).toBe(415);
  });

  it('applies MAX_LINES_PER_REQUEST at and past its edge: 413 request too large, nothing written', async () => {
    const max = Number(env.MAX_LINES_PER_REQUEST);
    const m = uniqueName('lines');
    const lines = (n: number, f: string) => Array.from({ length: n }, (_, i) => `${m},i=${i % 40} ${f}=${i} ${1_000 + i}`).join('\n');
    const now = Math.floor(Date.now() / 1000);
    const over = await write(lines(max + 1, 'over').replace(/ 1\d\d\d$/gm, ` ${now}`));
    expect(over.status).toBe(413);
    expect(over.json()).toEqual({ code: 'request too large', message: expect.stringMatching(/MAX_LINES_PER_REQUEST/) });
    expect(await instant(`${m}_over`)).toEqual([]);
    const at = await write(lines(max, 'at').replace(/ 1\d\d\d$/gm, ` ${now}`));
    expect(at.status).toBe(204);
    expect(await instant(`${m}_at`)).toHaveLength(40);
  });

  it('applies MAX_SERIES_PER_REQUEST: more distinct series than allowed is 413', async () => {
    const max = Number(env.MAX_SERIES_PER_REQUEST);
    const m = uniqueName('series');
    const body = Array.from({ length: max + 1 }, (_, i) => `${m},i=${i} a=1`).join('\n');
    const r = await write(body, 'bucket=b');
    expect(r.status).toBe(413);
    expect(await instant(`${m}_a`)).toEqual([]);
  });

  it('applies MAX_BODY_BYTES at and past its edge (Content-Length and streamed)', async () => {
    const max = Number(env.MAX_BODY_BYTES);
    const m = uniqueName('bytes');
    const line = `${m} a=1\n`;
    const pad = (n: number) => line + '#'.repeat(n - line.length - 1) + '\n';
    expect((await write(pad(max), 'bucket=b')).status).toBe(204);
    const over = await write(pad(max + 1), 'bucket=b');
    expect(over.status).toBe(413);
    expect((over.json() as { code: string }).code).toBe('request too large');
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(pad(max + 1)));
        controller.close();
      },
    });
    const r = await call('/api/v2/write?bucket=b', {
      method: 'POST',
      body: streamed,
      headers: auth('Token'),
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(413);
  });

  it('applies MAX_DECOMPRESSED_BYTES while inflating a gzip body (a small gzip bomb is 413)', async () => {
    const max = Number(env.MAX_DECOMPRESSED_BYTES);
    const m = uniqueName('bomb');
    const bomb = await gzip(`${m} a=1\n` + '#'.repeat(max) + '\n');
    expect(bomb.byteLength).toBeLessThan(Number(env.MAX_BODY_BYTES));
    const r = await write(bomb, 'bucket=b', { ...auth('Token'), 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect((r.json() as { message: string }).message).toMatch(/MAX_DECOMPRESSED_BYTES/);
    expect(await instant(`${m}_a`)).toEqual([]);
  });
});

describe('InfluxDB 1.x /write and /ping', () => {
  it('accepts the token as the p parameter, as a basic-auth password and as Token; db becomes a label', async () => {
    const m = uniqueName('v1');
    const ok = [
      call(`/write?db=telegraf&u=any&p=${TOKEN}`, { method: 'POST', body: `${m},k=p a=1` }),
      call('/write?db=telegraf', {
        method: 'POST',
        body: `${m},k=basic a=1`,
        headers: { authorization: `Basic ${btoa(`user:${TOKEN}`)}` },
      }),
      call('/write?db=telegraf&precision=ms', { method: 'POST', body: `${m},k=token a=1 ${Date.now()}`, headers: auth('Token') }),
    ];
    for (const r of await Promise.all(ok)) expect(r.status).toBe(204);
    const rows = await instant(`${m}_a`);
    expect(rows.map((r) => r.metric.k).sort()).toEqual(['basic', 'p', 'token']);
    expect(rows.every((r) => r.metric.db === 'telegraf')).toBe(true);
    const bad = await call(`/write?db=telegraf&p=nope`, { method: 'POST', body: `${m} a=1` });
    expect(bad.status).toBe(401);
  });

  it('accepts the v1 precisions m and h', async () => {
    const m = uniqueName('v1h');
    const hours = Math.floor(Date.now() / 3_600_000);
    const r = await call(`/write?db=d&precision=h&p=${TOKEN}`, { method: 'POST', body: `${m} a=1 ${hours}` });
    expect(r.status).toBe(204);
    const rows = await call(`/api/v1/query?query=${m}_a[2h]`);
    const body = rows.json() as { data: { result: { values: [number, string][] }[] } };
    expect(body.data.result[0].values[0][0]).toBe(hours * 3600);
  });

  it('answers GET and HEAD /ping with 204 and X-Influxdb-Version', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await call('/ping', { method });
      expect(r.status).toBe(204);
      expect(r.headers.get('x-influxdb-version')).toMatch(/^v2\./);
    }
  });
});
