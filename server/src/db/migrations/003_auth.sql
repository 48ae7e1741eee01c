-- Authorization server state shared by every server instance: oidc-provider artefacts, clients, keys.

-- One row per oidc-provider artefact (access tokens, client-credentials tokens, and later codes, refresh tokens,
-- grants, sessions, interactions, replay-detection entries). `id` is the artefact's own id (an opaque token's
-- value); rows past `expires_at` are ignored by reads and deleted by a periodic sweep.
CREATE TABLE oauth_payload (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oauth_payload_grant_idx ON oauth_payload (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oauth_payload_user_code_idx ON oauth_payload (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oauth_payload_uid_idx ON oauth_payload (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX oauth_payload_expires_idx ON oauth_payload (expires_at) WHERE expires_at IS NOT NULL;

-- Registered OAuth clients: oidc-provider client metadata (client_secret holds a scrypt hash, never the secret)
-- plus `fhir_scopes`, the SMART scopes the client may be granted.
CREATE TABLE oauth_client (
  client_id text PRIMARY KEY,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Keys generated on first start: private signing JWKs (kind 'signing') and cookie-signing secrets (kind 'cookie',
-- stored as oct JWKs). The newest key of a kind is used first; older ones stay for verification until retired.
CREATE TABLE oauth_key (
  kid text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('signing', 'cookie')),
  jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
CREATE INDEX oauth_key_kind_idx ON oauth_key (kind, created_at DESC) WHERE retired_at IS NULL;
