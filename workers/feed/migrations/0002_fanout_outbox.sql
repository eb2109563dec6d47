-- fanout_chunks becomes the fan-out outbox: each pending step row now holds everything needed
-- to send its queue message again (the author and the hybrid flag; a deleted post's row is
-- gone from posts), and when and how often it was sent, so the sweep (the cron) re-sends
-- steps whose message was lost: a Worker killed between the D1 commit and the queue send,
-- a local queue emptied by a restart, a message dropped after max_retries.
ALTER TABLE fanout_chunks ADD COLUMN author_id INTEGER;
-- 1 when the post goes into hybrid timelines too (the message's `hybrid`).
ALTER TABLE fanout_chunks ADD COLUMN hybrid INTEGER;
-- Milliseconds: when the step's message was last sent (the sweep claims a step by moving it).
ALTER TABLE fanout_chunks ADD COLUMN sent_at INTEGER;
-- How many times the message was sent; each re-send waits twice as long as the one before.
ALTER TABLE fanout_chunks ADD COLUMN sends INTEGER NOT NULL DEFAULT 1;

UPDATE fanout_chunks SET sent_at = created_at,
  author_id = (SELECT author_id FROM posts WHERE posts.id = fanout_chunks.post_id),
  hybrid = (SELECT hybrid_pushed FROM posts WHERE posts.id = fanout_chunks.post_id);
-- Pending steps of posts deleted before this migration cannot be rebuilt (their author is
-- unknown): close them. Reads already drop and purge the ids of deleted posts.
UPDATE fanout_chunks SET done_at = created_at WHERE done_at IS NULL AND author_id IS NULL;
