-- Binding tokens of the FHIR Subscription websocket channel (Subscription/{id}/$get-ws-binding-token): any instance
-- accepts a `bind-with-token` for a token another instance issued. See server/src/subscriptions/websocket/README.md.
CREATE TABLE websocket_binding_token (
  -- SHA-256 of the token (base64url); the token itself is only ever known to the client.
  token_hash text PRIMARY KEY,
  -- The one Subscription the token binds to.
  subscription_id text NOT NULL,
  -- The identity that asked for the token (the API caller: client, scopes, account, fhirUser, role, launch patient);
  -- a bound socket receives only what this caller may read.
  caller jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Never later than the access token that asked for it.
  expires_at timestamptz NOT NULL
);
CREATE INDEX websocket_binding_token_expires_idx ON websocket_binding_token (expires_at);
