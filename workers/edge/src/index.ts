import { Hono } from 'hono';
import { jsonErrorHandler } from '../../shared/errors';

const app = new Hono<{ Bindings: Env }>();
app.onError(jsonErrorHandler);
app.all('*', (c) => c.text('edge'));

export default app;
export class PurgeLog implements DurableObject {
  fetch(): Response { return new Response('todo'); }
}
