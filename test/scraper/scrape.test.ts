import { describe, expect, it } from 'vitest';
import { byPath, call, job, putConfig, query, rawSamples, scrapeJob, targets, testEnv, value } from './scraper-client';

const GOOD_SERIES = 9; // samples on the good page

describe('scraping a good target into the real metrics store', () => {
  it('writes the page with job/instance labels, exported_ renaming and the five report series', async () => {
    await putConfig({ scrape_configs: [job('good1', ['/good'])] });
    const [t] = await scrapeJob('good1');
    expect(t.health).toBe('up');
    expect(t.lastError).toBe('');
    expect(t.lastSamples).toBe(GOOD_SERIES);
    const sel = `{job="good1"}`;
    expect(await value(`app_requests_total{job="good1",method="GET",code="200"}`)).toBe('1027');
    const reqs = await query(`app_requests_total${sel}`);
    expect(reqs[0].metric).toMatchObject({ instance: targets(), job: 'good1', path: '/good' });
    // The page's own job/instance labels move to exported_job / exported_instance.
    const info = await query(`app_info${sel}`);
    expect(info).toHaveLength(1);
    expect(info[0].metric).toEqual({
      __name__: 'app_info',
      job: 'good1',
      instance: targets(),
      path: '/good',
      exported_job: 'app-says-job',
      exported_instance: 'app-says-instance',
      version: '1.2.3',
    });
    expect(await value(`up${sel}`)).toBe('1');
    expect(await value(`scrape_samples_scraped${sel}`)).toBe(String(GOOD_SERIES));
    expect(await value(`scrape_samples_post_metric_relabeling${sel}`)).toBe(String(GOOD_SERIES));
    // Every series without its own timestamp is new on the first scrape.
    expect(await value(`scrape_series_added${sel}`)).toBe(String(GOOD_SERIES - 1));
    expect(Number(await value(`scrape_duration_seconds${sel}`))).toBeGreaterThanOrEqual(0);
    const up = await query(`up${sel}`);
    expect(up[0].metric).toEqual({ __name__: 'up', job: 'good1', instance: targets(), path: '/good' });
    // A second scrape adds no series.
    await scrapeJob('good1');
    expect(await value(`scrape_series_added${sel}`)).toBe('0');
  });

  it('honours the page timestamp unless honor_timestamps is false', async () => {
    await putConfig({ scrape_configs: [job('ts1', ['/good']), job('ts2', ['/good'], { honor_timestamps: false })] });
    const before = Date.now();
    await scrapeJob('ts1');
    await scrapeJob('ts2');
    const own = await rawSamples(`app_with_ts{job="ts1"}[1m]`);
    const stamped = await rawSamples(`app_with_ts{job="ts2"}[1m]`);
    const ownTs = own[0].values[0][0] * 1000;
    expect(ownTs % 1000).toBe(0);
    expect(ownTs).toBeLessThan(before - 3000); // the page's timestamp, 5 s back
    expect(stamped[0].values[0][0] * 1000).toBeGreaterThanOrEqual(before - 1000); // the scrape time
  });

  it('keeps the page labels with honor_labels', async () => {
    await putConfig({ scrape_configs: [job('honor1', ['/good'], { honor_labels: true })] });
    await scrapeJob('honor1');
    const info = await query(`app_info{version="1.2.3",job="app-says-job"}`);
    expect(info.map((r) => r.metric.instance)).toContain('app-says-instance');
    expect(info.every((r) => r.metric.exported_job === undefined)).toBe(true);
    expect(await value(`up{job="honor1"}`)).toBe('1');
  });

  it('sends Prometheus request headers and reads OpenMetrics and gzip pages', async () => {
    await putConfig({ scrape_configs: [job('fmt1', ['/openmetrics', '/gzip'], { scrape_timeout: '9s' })] });
    const ts = byPath(await scrapeJob('fmt1'));
    expect(ts['/openmetrics'].health).toBe('up');
    expect(ts['/gzip'].health).toBe('up');
    expect(await value(`om_events_total{job="fmt1",kind="a"}`)).toBe('5');
    expect(await value(`om_events_created{job="fmt1",kind="a"}`)).toBe('1700000000');
    expect(await value(`om_temp_celsius{job="fmt1"}`)).toBe('21.5');
    expect(await value(`app_requests_total{job="fmt1",path="/gzip",code="500"}`)).toBe('3');
    const r = await fetch(`http://${targets()}/last-request?path=/openmetrics`);
    const h = await r.json<Record<string, string>>();
    expect(h.accept).toBe(
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
        'text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    );
    expect(h['accept-encoding']).toContain('gzip');
    expect(h['x-prometheus-scrape-timeout-seconds']).toBe('9');
    expect(h['user-agent']).toMatch(/^pushpull-scraper\//);
  });
});

describe('redirects, followed as Prometheus follows them (Go net/http: any host, at most 9)', () => {
  it('follows a redirect to another host, with the same request headers; the instance stays the target', async () => {
    await putConfig({ scrape_configs: [job('redir1', ['/redirect-cross'], { scrape_timeout: '7s' })] });
    const [t] = await scrapeJob('redir1');
    expect(t).toMatchObject({ health: 'up', lastError: '', lastSamples: GOOD_SERIES });
    expect(await value('app_requests_total{job="redir1",code="200"}')).toBe('1027');
    expect((await query('up{job="redir1"}'))[0].metric.instance).toBe(targets());
    const r = await fetch(`http://${targets()}/last-request?path=/redirected&ua=pushpull-scraper`);
    const h = await r.json<Record<string, string>>();
    expect(h.host).toBe(`localhost:${testEnv.TARGETS_PORT}`);
    expect(h['x-prometheus-scrape-timeout-seconds']).toBe('7');
    expect(h.accept).toMatch(/^application\/openmetrics-text;version=1\.0\.0,/);
  });

  it('follows 9 redirects; the 10th fails the scrape as Go words it; follow_redirects: false fails on the first', async () => {
    const at = (n: number, name: string, extra: Record<string, unknown> = {}) => ({
      job_name: name,
      scrape_interval: '1h',
      ...extra,
      static_configs: [{ targets: [targets()], labels: { __metrics_path__: '/redirect', __param_n: String(n) } }],
    });
    await putConfig({
      scrape_configs: [
        at(8, 'redir9'),
        at(9, 'redir10'),
        at(0, 'redir-off', { follow_redirects: false }),
        { ...job('redir-nowhere', ['/redirect-nowhere']) },
      ],
    });
    expect((await scrapeJob('redir9'))[0]).toMatchObject({ health: 'up', lastError: '' });
    expect(await value('app_requests_total{job="redir9",code="200"}')).toBe('1027');
    expect((await scrapeJob('redir10'))[0]).toMatchObject({ health: 'down', lastError: 'Get "/redirected": stopped after 10 redirects' });
    expect(await query('app_requests_total{job="redir10"}')).toEqual([]);
    expect((await scrapeJob('redir-off'))[0]).toMatchObject({ health: 'down', lastError: 'server returned HTTP status 302 Found' });
    expect((await scrapeJob('redir-nowhere'))[0]).toMatchObject({ health: 'down', lastError: 'server returned HTTP status 302 Found' });
  });
});

describe('bad targets fail their scrape alone, with up 0 and nothing of the page written', () => {
  it('hang, 50 MB, endless, invalid UTF-8, duplicates, too many samples, malformed, HTTP 500', async () => {
    const paths = [
      '/good',
      '/hang',
      '/big',
      '/big-chunked',
      '/endless',
      '/bad-utf8',
      '/duplicate',
      '/many?n=150',
      '/malformed',
      '/status500',
    ];
    const cfg = job(
      'bad1',
      paths.map((p) => p.split('?')[0]),
      { scrape_timeout: '3s', sample_limit: 100 },
    );
    // /many needs its query parameter: one static config with __param_n.
    (cfg.static_configs as { labels: Record<string, string> }[])[7].labels.__param_n = '150';
    await putConfig({ scrape_configs: [cfg] });
    const started = Date.now();
    const ts = byPath(await scrapeJob('bad1'));
    const elapsed = Date.now() - started;
    expect(ts['/good'].health).toBe('up');
    expect(ts['/hang']).toMatchObject({ health: 'down', lastError: expect.stringContaining('context deadline exceeded') });
    expect(ts['/big']).toMatchObject({ health: 'down', lastError: expect.stringContaining('body size limit exceeded') });
    expect(ts['/big-chunked']).toMatchObject({ health: 'down', lastError: expect.stringContaining('body size limit exceeded') });
    expect(ts['/endless']).toMatchObject({ health: 'down', lastError: expect.stringContaining('body size limit exceeded') });
    expect(ts['/bad-utf8']).toMatchObject({ health: 'down', lastError: expect.stringContaining('invalid UTF-8') });
    expect(ts['/duplicate']).toMatchObject({ health: 'down', lastError: expect.stringContaining('duplicate series') });
    expect(ts['/many']).toMatchObject({ health: 'down', lastError: 'sample limit exceeded' });
    expect(ts['/malformed']).toMatchObject({ health: 'down', lastError: expect.stringContaining('line 3: expected') });
    expect(ts['/status500']).toMatchObject({ health: 'down', lastError: 'server returned HTTP status 500 Internal Server Error' });
    // The limits stopped the slow ones early: the round took about one scrape_timeout, not 50 MB or forever.
    expect(elapsed).toBeLessThan(15_000);
    const up = await query(`up{job="bad1"}`);
    expect(Object.fromEntries(up.map((r) => [r.metric.path, r.value[1]]))).toEqual({
      '/good': '1',
      '/hang': '0',
      '/big': '0',
      '/big-chunked': '0',
      '/endless': '0',
      '/bad-utf8': '0',
      '/duplicate': '0',
      '/many': '0',
      '/malformed': '0',
      '/status500': '0',
    });
    // Never a partial write: nothing of a failed page is stored.
    for (const name of ['good_one', 'dup_series', 'many_series', 'ok_one', 'big_series', 'endless_series']) {
      expect(await query(`${name}{job="bad1"}`)).toEqual([]);
    }
    expect(await value(`scrape_samples_scraped{job="bad1",path="/many"}`)).toBe('0');
    expect(await value(`app_requests_total{job="bad1",code="200"}`)).toBe('1027');
  });

  it('accepts a page of exactly sample_limit samples and refuses one more', async () => {
    const at = (n: number, name: string) => ({
      job_name: name,
      scrape_interval: '1h',
      sample_limit: 100,
      static_configs: [{ targets: [targets()], labels: { __metrics_path__: '/many', __param_n: String(n) } }],
    });
    await putConfig({ scrape_configs: [at(100, 'limit100'), at(101, 'limit101')] });
    expect((await scrapeJob('limit100'))[0].health).toBe('up');
    expect((await query('many_series{job="limit100"}')).length).toBe(100);
    const [over] = await scrapeJob('limit101');
    expect(over).toMatchObject({ health: 'down', lastError: 'sample limit exceeded' });
    expect(await query('many_series{job="limit101"}')).toEqual([]);
  });
});

describe('series the store refuses are named on their own target, and only there', () => {
  it('a sample stamped past the largest JavaScript date is refused alone; the other targets of the job are stored and up', async () => {
    await putConfig({ scrape_configs: [job('far1', ['/far-future', '/good'])] });
    const ts = byPath(await scrapeJob('far1'));
    expect(ts['/good']).toMatchObject({ health: 'up', lastError: '', lastSamples: GOOD_SERIES });
    expect(ts['/far-future']).toMatchObject({
      health: 'up',
      lastSamples: 2,
      lastError: expect.stringMatching(
        /^metrics store refused 1 series: series far_future_sample\{.*\}: timestamp 9000000000000000 is more than MAX_FUTURE_SECONDS/,
      ),
    });
    expect(await value('app_requests_total{job="far1",code="200"}')).toBe('1027');
    expect(await value('far_ok{job="far1"}')).toBe('2');
    expect(await value('up{job="far1",path="/far-future"}')).toBe('1');
    expect(await query('far_future_sample{job="far1"}')).toEqual([]);
  });

  it('a series with a label longer than the store allows is named on its target, even when the message is cut short', async () => {
    await putConfig({ scrape_configs: [job('long1', ['/long-labels', '/good'])] });
    const ts = byPath(await scrapeJob('long1'));
    expect(ts['/long-labels']).toMatchObject({
      health: 'up',
      lastSamples: 2,
      lastError: expect.stringMatching(/^metrics store refused 1 series: series long_labels\{aaa="x+.*MAX_LABEL_VALUE_LENGTH/),
    });
    expect(ts['/good']).toMatchObject({ health: 'up', lastError: '' });
    expect(await value('short_labels{job="long1"}')).toBe('2');
    expect(await query('long_labels{job="long1"}')).toEqual([]);
  });

  it('a target whose every series the store refuses (a target label too long) is down, the refusal its last error', async () => {
    const long = 'y'.repeat(3000);
    await putConfig({
      scrape_configs: [
        {
          job_name: 'longtarget1',
          scrape_interval: '1h',
          scrape_timeout: '10s',
          static_configs: [
            { targets: [targets()], labels: { __metrics_path__: '/good', path: 'long', owner: long } },
            // Another scrape URL (a target is known by its URL), the same page.
            { targets: [targets()], labels: { __metrics_path__: '/good', __param_v: '2', path: 'short' } },
          ],
        },
      ],
    });
    const ts = byPath(await scrapeJob('longtarget1'));
    expect(ts.long).toMatchObject({
      health: 'down',
      lastError: expect.stringMatching(/^metrics store refused all 14 series: series .*MAX_LABEL_VALUE_LENGTH/),
    });
    expect(ts.short).toMatchObject({ health: 'up', lastError: '' });
    expect(await query('up{job="longtarget1",path="long"}')).toEqual([]);
    expect(await value('up{job="longtarget1",path="short"}')).toBe('1');
    const page = await call('/targets');
    expect(page.text).toContain('metrics store refused all 14 series');
  });

  it('a write the store refuses whole is written again target by target; a target too big alone is down, named', async () => {
    // The metrics Worker of this test config takes MAX_SERIES_PER_REQUEST = 15000 series per write. Two targets of
    // 9000 and 8990 samples (and 5 report series each) travel in one write of 18000 series, refused whole: each is
    // then written alone. A target of 16000 samples is over the limit by itself.
    const many = (n: number, path: string) => ({
      targets: [targets()],
      labels: { __metrics_path__: '/many', __param_n: String(n), path },
    });
    await putConfig({
      scrape_configs: [
        { job_name: 'split1', scrape_interval: '1h', scrape_timeout: '20s', static_configs: [many(9000, 'a'), many(8990, 'b')] },
        { job_name: 'whole1', scrape_interval: '1h', scrape_timeout: '20s', static_configs: [many(16000, 'c')] },
      ],
    });
    const split = byPath(await scrapeJob('split1'));
    expect(split.a).toMatchObject({ health: 'up', lastError: '', lastSamples: 9000 });
    expect(split.b).toMatchObject({ health: 'up', lastError: '', lastSamples: 8990 });
    expect(await query('many_series{job="split1"}')).toHaveLength(17990);
    const [whole] = await scrapeJob('whole1');
    expect(whole).toMatchObject({
      health: 'down',
      lastError: 'metrics store refused the write: request has 16005 series, over MAX_SERIES_PER_REQUEST (15000): nothing written',
    });
    expect(await query('many_series{job="whole1",n="0"}')).toEqual([]);
  });
});

describe('limits at and past their edge', () => {
  it('body_size_limit: a page of exactly the limit is read, one byte more fails', async () => {
    const size = (await (await fetch(`http://${targets()}/many?n=10`)).arrayBuffer()).byteLength;
    const at = (limit: number, name: string) => ({
      job_name: name,
      scrape_interval: '1h',
      body_size_limit: `${limit}B`,
      static_configs: [{ targets: [targets()], labels: { __metrics_path__: '/many', __param_n: '10' } }],
    });
    await putConfig({ scrape_configs: [at(size, 'body-at'), at(size - 1, 'body-over')] });
    expect((await scrapeJob('body-at'))[0]).toMatchObject({ health: 'up', lastSamples: 10 });
    expect((await scrapeJob('body-over'))[0]).toMatchObject({ health: 'down', lastError: `body size limit exceeded (${size - 1} bytes)` });
    expect(await query('many_series{job="body-over"}')).toEqual([]);
  });

  it('a page of a million series fails at a limit, writes nothing of it, and leaves the other target up', async () => {
    await putConfig({
      scrape_configs: [
        {
          job_name: 'million1',
          scrape_interval: '1h',
          scrape_timeout: '20s',
          static_configs: [
            { targets: [targets()], labels: { __metrics_path__: '/many', __param_n: '1000000', path: '/many' } },
            { targets: [targets()], labels: { __metrics_path__: '/good', path: '/good' } },
          ],
        },
      ],
    });
    const ts = byPath(await scrapeJob('million1'));
    // 1 M lines are ~25 MB: the 4 MiB MAX_BODY_SIZE of this test config stops it first.
    expect(ts['/many']).toMatchObject({
      health: 'down',
      lastError: expect.stringMatching(/body size limit exceeded|sample limit exceeded/),
    });
    expect(ts['/good'].health).toBe('up');
    expect(await query('many_series{job="million1"}')).toEqual([]);
    expect(await value('up{job="million1",path="/many"}')).toBe('0');
  });

  it('MAX_CONCURRENT_SCRAPES bounds the connections in flight (3 in this test config)', async () => {
    await fetch(`http://${targets()}/control/slow-max`);
    await putConfig({
      scrape_configs: [
        {
          job_name: 'slow1',
          scrape_interval: '1h',
          scrape_timeout: '10s',
          static_configs: Array.from({ length: 9 }, (_, k) => ({
            targets: [targets()],
            labels: { __metrics_path__: '/slow', __param_id: String(k), id: String(k) },
          })),
        },
      ],
    });
    const ts = await scrapeJob('slow1');
    expect(ts.filter((t) => t.health === 'up')).toHaveLength(9);
    expect(await (await fetch(`http://${targets()}/control/slow-max`)).text()).toBe('3');
    expect((await query('slow_series{job="slow1"}')).length).toBe(9);
  });
});

describe('staleness', () => {
  it('marks series that vanish from the page stale', async () => {
    await fetch(`http://${targets()}/control/unvanish`);
    await putConfig({ scrape_configs: [job('stale1', ['/vanish'])] });
    await scrapeJob('stale1');
    expect((await query('{job="stale1",__name__=~"vanish_.*"}')).map((r) => r.metric.__name__).sort()).toEqual([
      'vanish_a',
      'vanish_b',
      'vanish_c',
    ]);
    await fetch(`http://${targets()}/control/vanish`);
    await scrapeJob('stale1');
    // Without markers vanish_b/c would still answer for 5 minutes (the lookback).
    expect((await query('{job="stale1",__name__=~"vanish_.*"}')).map((r) => r.metric.__name__)).toEqual(['vanish_a']);
    expect(await value('scrape_series_added{job="stale1"}')).toBe('0');
    await fetch(`http://${targets()}/control/unvanish`);
  });

  it('a stopped target gets up 0 and all its series marked stale; restarted, up 1 and the series back', async () => {
    await putConfig({
      scrape_configs: [
        {
          job_name: 'toggle1',
          scrape_interval: '1h',
          scrape_timeout: '10s',
          static_configs: [{ targets: [`127.0.0.1:${testEnv.TOGGLE_PORT}`] }],
        },
      ],
    });
    const [first] = await scrapeJob('toggle1');
    expect(first).toMatchObject({ health: 'up', lastError: '' });
    expect(await value('up{job="toggle1"}')).toBe('1');
    expect((await query('app_requests_total{job="toggle1"}')).length).toBe(2);
    await fetch(`http://${targets()}/control/toggle-stop`, { method: 'POST' });
    try {
      const [down] = await scrapeJob('toggle1');
      expect(down.health).toBe('down');
      expect(down.lastError).not.toBe('');
      expect(await value('up{job="toggle1"}')).toBe('0');
      expect(await query('app_requests_total{job="toggle1"}')).toEqual([]);
      expect(await query('app_latency_seconds_bucket{job="toggle1"}')).toEqual([]);
    } finally {
      await fetch(`http://${targets()}/control/toggle-start`, { method: 'POST' });
    }
    const [back] = await scrapeJob('toggle1');
    expect(back.health).toBe('up');
    expect(await value('up{job="toggle1"}')).toBe('1');
    expect((await query('app_requests_total{job="toggle1"}')).length).toBe(2);
    expect(await value('scrape_series_added{job="toggle1"}')).toBe(String(GOOD_SERIES - 1));
  });

  it('a target removed from the configuration gets all its series and report series marked stale', async () => {
    await putConfig({ scrape_configs: [job('removed1', ['/good', '/vanish'])] });
    await scrapeJob('removed1');
    expect((await query('up{job="removed1"}')).length).toBe(2);
    await putConfig({ scrape_configs: [job('removed1', ['/vanish'])] });
    expect((await query('up{job="removed1"}')).map((r) => r.metric.path)).toEqual(['/vanish']);
    expect(await query('app_requests_total{job="removed1"}')).toEqual([]);
    // Dropping the whole job stops its pool the same way.
    await putConfig({ scrape_configs: [] });
    expect(await query('up{job="removed1"}')).toEqual([]);
    expect(await query('{job="removed1",__name__=~"vanish_.*"}')).toEqual([]);
  });
});

describe('the /targets page', () => {
  it('lists each target with its state', async () => {
    await putConfig({ scrape_configs: [job('page1', ['/good', '/status500'])] });
    await scrapeJob('page1');
    const r = await call('/targets');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.text).toContain(`http://${targets()}/good`);
    expect(r.text).toContain('server returned HTTP status 500');
    expect(r.text).toMatch(/<td>UP<\/td>/);
    expect(r.text).toMatch(/<td>DOWN<\/td>/);
  });
});
