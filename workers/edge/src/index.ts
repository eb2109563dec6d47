/**
 * The edge Worker: the pull CDN (Cache API in front of ORIGIN_URL), the push CDN and the edge's
 * own API. Its routes are in app.ts; here the deployed Worker gets the system clock.
 */
import { edgeApp } from './app';
import { systemClock } from './cache';

export { PurgeLog } from './purge';

export default edgeApp(systemClock);
