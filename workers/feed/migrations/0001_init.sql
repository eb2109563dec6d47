-- The feed's source of truth. Ids are 64-bit Snowflake-style integers (docs/feed.md);
-- they are read back with CAST(... AS TEXT) because D1 returns INTEGER as a JS number.

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  handle TEXT NOT NULL UNIQUE,
  -- SHA-256 (hex) of the user's API token; the token itself is never stored.
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  -- Milliseconds; users inactive for ACTIVE_DAYS get no fan-out writes.
  last_active_at INTEGER NOT NULL,
  follower_count INTEGER NOT NULL DEFAULT 0,
  following_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_last_active ON users (last_active_at);

CREATE TABLE follows (
  follower_id INTEGER NOT NULL,
  followee_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (follower_id, followee_id)
) WITHOUT ROWID;
CREATE INDEX follows_followee ON follows (followee_id, follower_id);

CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- 1 when the post is fanned out into hybrid timelines (author at or under HYBRID_THRESHOLD
  -- followers when it was posted); 0 means hybrid reads merge it in from here.
  hybrid_pushed INTEGER NOT NULL,
  -- Timeline rows newly written by fan-out, per mode (retries add 0: inserts are idempotent).
  push_rows INTEGER NOT NULL DEFAULT 0,
  hybrid_rows INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX posts_author ON posts (author_id, id);
CREATE INDEX posts_author_unpushed ON posts (author_id, hybrid_pushed, id);

-- One row per fan-out step: the 'plan' step of a post (splits its followers into ranges)
-- and one 'deliver' step per range (one queue message each). done_at is set when the step's
-- writes have all landed; a post's fan-out has settled when none of its rows is pending.
CREATE TABLE fanout_chunks (
  post_id INTEGER NOT NULL,
  action TEXT NOT NULL,              -- 'insert' (new post) | 'remove' (deleted post)
  stage TEXT NOT NULL,               -- 'plan' | 'deliver'
  after_follower INTEGER NOT NULL,   -- exclusive lower bound of the follower id range
  through_follower INTEGER NOT NULL, -- inclusive upper bound
  created_at INTEGER NOT NULL,
  done_at INTEGER,
  PRIMARY KEY (post_id, action, stage, after_follower)
) WITHOUT ROWID;
CREATE INDEX fanout_chunks_pending ON fanout_chunks (done_at, post_id);
