-- People who sign in to the authorization server (clinicians, patients, carers, administrators) and their links to
-- upstream OpenID Connect identity providers. See server/src/accounts/README.md.

-- One row per person who can sign in. Every account stands for one FHIR resource (`fhir_user`), which is what its
-- tokens' `fhirUser` claim names and what access control reasons about.
CREATE TABLE account (
  -- A random UUID, chosen by the server; the `sub` of the account's tokens.
  id text PRIMARY KEY,
  -- The sign-in name, stored trimmed and lower-cased so that look-ups are exact.
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  -- What kind of person this is; decides which FHIR resource type `fhir_user` names and whether MFA is required.
  role text NOT NULL CHECK (role IN ('clinician', 'patient', 'carer', 'admin')),
  -- The FHIR resource the person is: 'Practitioner/<id>' (clinicians and admins), 'Patient/<id>', 'RelatedPerson/<id>'.
  fhir_user text NOT NULL CHECK (fhir_user ~ '^(Practitioner|Patient|RelatedPerson)/[A-Za-z0-9.-]{1,64}$'),
  -- A name to greet the person with (optional; the FHIR resource holds the official name).
  display_name text,
  -- argon2id PHC string ('$argon2id$v=19$m=…'); NULL = no password: the account signs in only through an
  -- upstream identity provider (account_identity).
  password_hash text,
  -- Consecutive failed sign-in attempts (password or TOTP); reset by a completed sign-in or an unlock.
  failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  -- Sign-in is refused until this time (set when failed_logins reaches the lockout threshold).
  locked_until timestamptz,
  -- Base32 TOTP secret (RFC 6238): pending while totp_enabled is false, in force once it is true. Treat database
  -- access as access to every second factor.
  totp_secret text,
  totp_enabled boolean NOT NULL DEFAULT false,
  -- The last 30-second time step whose code was accepted: codes for this step or earlier are refused (no replay).
  totp_last_step bigint,
  -- A disabled account cannot sign in; the row is kept for audit and can be enabled again.
  disabled boolean NOT NULL DEFAULT false,
  password_changed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Clinicians and admins are Practitioners, patients Patients, carers RelatedPersons.
  CONSTRAINT account_role_fhir_user_check CHECK (
    (role IN ('clinician', 'admin') AND fhir_user LIKE 'Practitioner/%')
    OR (role = 'patient' AND fhir_user LIKE 'Patient/%')
    OR (role = 'carer' AND fhir_user LIKE 'RelatedPerson/%')
  ),
  CONSTRAINT account_totp_enabled_check CHECK (NOT totp_enabled OR totp_secret IS NOT NULL)
);
-- Which accounts stand for a FHIR resource (access control and administration look accounts up by it).
CREATE INDEX account_fhir_user_idx ON account (fhir_user);

-- Identities at upstream OpenID Connect providers (NHS login, NHS CIS2) that sign in as an account: the provider's
-- issuer URL and its stable `sub` for the person. One upstream identity belongs to at most one account; an account
-- may have several.
CREATE TABLE account_identity (
  issuer text NOT NULL,
  subject text NOT NULL,
  account_id text NOT NULL REFERENCES account (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX account_identity_account_idx ON account_identity (account_id);
