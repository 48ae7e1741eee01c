-- SMART App Launch state shared by every server instance: EHR launch contexts, each grant's launch context, and the
-- progress of a sign-in between its password and second-factor steps.

-- A launch context an EHR created through POST /oauth2/launch, named by the opaque `launch` value it hands the app.
-- `context` holds patient, encounter, practitioner, need_patient_banner and smart_style_url.
CREATE TABLE smart_launch (
  id text PRIMARY KEY,
  context jsonb NOT NULL,
  -- The client (EHR) or account that created it.
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX smart_launch_expires_idx ON smart_launch (expires_at);

-- The launch context and identity decided when a user approved an app (one row per oidc-provider Grant): every
-- access token issued from the grant (including after refresh) carries it.
CREATE TABLE smart_grant_context (
  grant_id text PRIMARY KEY,
  context jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX smart_grant_context_expires_idx ON smart_grant_context (expires_at);

-- A sign-in that passed its password and still owes a second factor (stage 'mfa') or an MFA enrolment
-- ('enrol'), keyed by the oidc-provider interaction it belongs to.
CREATE TABLE smart_login_step (
  interaction_uid text PRIMARY KEY,
  account_id text NOT NULL,
  stage text NOT NULL CHECK (stage IN ('mfa', 'enrol')),
  expires_at timestamptz NOT NULL
);

-- A sign-in handed to an upstream OpenID Connect provider (NHS login, NHS CIS2), keyed by the `state` sent to it:
-- the PKCE verifier and nonce to check its answer, and once it answered, the account it signed in.
CREATE TABLE smart_upstream_login (
  state text PRIMARY KEY,
  interaction_uid text NOT NULL,
  provider_id text NOT NULL,
  code_verifier text NOT NULL,
  nonce text NOT NULL,
  account_id text,
  expires_at timestamptz NOT NULL
);
