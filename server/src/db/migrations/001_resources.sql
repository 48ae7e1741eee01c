-- Current version of every FHIR resource, and every version ever written (history).
CREATE TABLE resource (
  resource_type text NOT NULL,
  id text NOT NULL,
  version_id text NOT NULL,
  last_updated timestamptz NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  content text NOT NULL,
  PRIMARY KEY (resource_type, id)
);
CREATE INDEX resource_type_updated_idx ON resource (resource_type, last_updated);

CREATE TABLE resource_history (
  resource_type text NOT NULL,
  id text NOT NULL,
  version_id text NOT NULL,
  last_updated timestamptz NOT NULL,
  -- What made this version: 'create', 'update' or 'delete'.
  operation text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
  -- For a deletion the content is the last version before it.
  content text NOT NULL,
  PRIMARY KEY (resource_type, id, version_id)
);
-- Instance history uses the primary key (a resource has few versions); type and system history use these.
CREATE INDEX resource_history_type_idx ON resource_history (resource_type, last_updated DESC);
CREATE INDEX resource_history_system_idx ON resource_history (last_updated DESC);
