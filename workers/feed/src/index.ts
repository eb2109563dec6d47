import { Hono } from 'hono';
import { jsonErrorHandler, jsonNotFound } from '../../shared/errors';
import { admin } from './admin';
import { type FeedEnv, loadSettings } from './context';
import { consumeFanoutBatch } from './fanout';
import { posts, userPosts } from './posts';
import { timeline } from './timeline';
import { users } from './users';

export { TimelineInbox } from './inbox';

const app = new Hono<FeedEnv>();
app.onError(jsonErrorHandler);
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
