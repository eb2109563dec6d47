import { Hono } from 'hono';
import { ApiError, errorBody, jsonErrorHandler, jsonNotFound } from '@pushpull/http/errors';
import { admin } from './admin';
import { type FeedEnv, loadSettings } from './context';
import { consumeFanoutBatch } from './fanout';
import { posts, userPosts } from './posts';
import { timeline } from './timeline';
import { users } from './users';

export { TimelineInbox } from './inbox';

const app = new Hono<FeedEnv>();
app.onError((err, c) => {
  // A fresh local state has no tables until the migrations are applied: say how to fix it.
  if (!(err instanceof ApiError) && /no such table: (users|follows|posts|fanout_chunks)/.test(String(err))) {
    console.error('D1 schema missing', err);
    return c.json(
      errorBody(
        'schema_missing',
        'the D1 schema is missing: run `npx wrangler d1 migrations apply DB --local ' +
          '-c workers/feed/wrangler.toml` (with the same --persist-to as wrangler dev)',
      ),
      503,
    );
  }
  return jsonErrorHandler(err, c);
});
app.notFound(jsonNotFound);
app.use('*', loadSettings);
app.route('/users/:id/posts', userPosts);
app.route('/users/:id/timeline', timeline);
app.route('/users', users);
app.route('/posts', posts);
app.route('/admin', admin);

export default {
  fetch: app.fetch,
  queue: consumeFanoutBatch,
} satisfies ExportedHandler<Env>;
