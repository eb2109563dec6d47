/**
 * The metrics Worker: push ingest (InfluxDB, Pushgateway, remote_write, RPC) into a sharded
 * time-series store, read back through a Prometheus-compatible query API. Only wires routes.
 */
import { Hono } from 'hono';
import { jsonErrorHandler, jsonNotFound } from '@pushpull/http/errors';
import { dashboardPages } from './dashboards/pages';
import { influxApi } from './influx';
import { metaApi } from './meta-api';
import { pushgatewayApi } from './pushgateway';
import { queryApi } from './query-api';
import { remoteWriteApi } from './remote-write-route';
import { metricsSelfMetrics } from './self-metrics';
import { storeStatusApi } from './store-status';

const app = new Hono<{ Bindings: Env }>();
app.onError(jsonErrorHandler);
app.notFound(jsonNotFound);
app.use(metricsSelfMetrics());

app.route('/api/v1/write', remoteWriteApi);
app.route('/api/v1/status/store', storeStatusApi);
app.route('/api/v1', metaApi);
app.route('/api/v1', queryApi);
app.route('/metrics', pushgatewayApi);
app.route('/', influxApi);
app.route('/', dashboardPages);

export default app;
export { MetricsRpc } from './rpc';
export { MetricsShard } from './shard';
export { PushGroup } from './push-group';
