-- Job queue workers' heartbeats: a worker silent for too long is presumed dead and its locked jobs are released.
CREATE TABLE job_worker (
  worker_id text PRIMARY KEY,
  queue_schema text NOT NULL,
  last_seen timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_worker_last_seen_idx ON job_worker (queue_schema, last_seen);
