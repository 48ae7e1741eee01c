// The account and account_identity tables: creating, finding and administering accounts (hashes stay in here).
import crypto from 'node:crypto';
import type { AccountRole } from '../auth/authenticate.ts';
import type { Queryable } from '../db/pool.ts';
import { accountConflict, accountNotFound, invalidAccountInput } from './accountErrors.ts';
import {
  DISPLAY_NAME_MAX_LENGTH,
  fhirUserProblem,
  isAccountRole,
  normalizeEmail,
  parseFhirUser,
} from './accountInput.ts';
import { hashPassword, passwordProblems } from './passwords.ts';

/** A person who can sign in, as the rest of the server sees them: no password hash, no TOTP secret. */
export interface Account {
  /** A UUID; the `sub` of the account's tokens. */
  id: string;
  /** Lower-cased. */
  email: string;
  role: AccountRole;
  /** The FHIR resource the person is: 'Practitioner/…', 'Patient/…' or 'RelatedPerson/…'. */
  fhirUser: string;
  displayName?: string;
  /** False for an account that signs in only through an upstream identity provider. */
  hasPassword: boolean;
  /** A TOTP authenticator is set up (enrolment confirmed). */
  totpEnabled: boolean;
  disabled: boolean;
  /** Consecutive failed sign-in attempts. */
  failedLogins: number;
  /** ISO time until which sign-in is refused; present only while the account is locked out. */
  lockedUntil?: string;
  passwordChangedAt?: string;
  createdAt: string;
  updatedAt: string;
}

/** An identity at an upstream OpenID Connect provider that signs in as an account. */
export interface AccountIdentity {
  /** The provider's issuer URL. */
  issuer: string;
  /** The provider's `sub` for the person. */
  subject: string;
  createdAt: string;
}

export interface NewAccount {
  email: string;
  /** Omitted or null: the account signs in only through an upstream identity provider. */
  password?: string | null;
  role: AccountRole;
  fhirUser: string;
  displayName?: string | null;
}

/** ISO 8601 in UTC from a timestamptz column (the pool hands timestamps over as PostgreSQL text otherwise). */
function iso(expression: string, name: string): string {
  return `to_char((${expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${name}`;
}

/** Every column an Account is made from (never password_hash or totp_secret themselves). */
const ACCOUNT_COLUMNS = [
  'id',
  'email',
  'role',
  'fhir_user',
  'display_name',
  'password_hash IS NOT NULL AS has_password',
  'totp_enabled',
  'disabled',
  'failed_logins',
  iso('CASE WHEN locked_until > now() THEN locked_until END', 'locked_until'),
  iso('password_changed_at', 'password_changed_at'),
  iso('created_at', 'created_at'),
  iso('updated_at', 'updated_at'),
].join(', ');

type AccountRow = Record<string, unknown>;

function accountFromRow(row: AccountRow): Account {
  return {
    id: row.id as string,
    email: row.email as string,
    role: row.role as AccountRole,
    fhirUser: row.fhir_user as string,
    ...(row.display_name ? { displayName: row.display_name as string } : {}),
    hasPassword: row.has_password as boolean,
    totpEnabled: row.totp_enabled as boolean,
    disabled: row.disabled as boolean,
    failedLogins: row.failed_logins as number,
    ...(row.locked_until ? { lockedUntil: row.locked_until as string } : {}),
    ...(row.password_changed_at ? { passwordChangedAt: row.password_changed_at as string } : {}),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

/** Trimmed, or undefined when empty. */
function cleanDisplayName(displayName: unknown): string | undefined {
  return typeof displayName === 'string' && displayName.trim() ? displayName.trim() : undefined;
}

/** Every problem with a new account's fields, in plain English. */
function newAccountProblems(input: NewAccount, email: string | undefined): string[] {
  const problems: string[] = [];
  if (!email) {
    problems.push('email must be an email address such as name@example.org');
  }
  if (!isAccountRole(input.role)) {
    problems.push("role must be one of 'clinician', 'patient', 'carer' or 'admin'");
  } else {
    const problem = fhirUserProblem(input.role, input.fhirUser);
    if (problem) {
      problems.push(problem);
    }
  }
  if (input.displayName !== undefined && input.displayName !== null && typeof input.displayName !== 'string') {
    problems.push('displayName must be text');
  } else if ((cleanDisplayName(input.displayName)?.length ?? 0) > DISPLAY_NAME_MAX_LENGTH) {
    problems.push(`displayName must be at most ${DISPLAY_NAME_MAX_LENGTH} characters long`);
  }
  if (input.password !== undefined && input.password !== null) {
    problems.push(
      ...passwordProblems(input.password, { email, displayName: cleanDisplayName(input.displayName) ?? undefined })
    );
  }
  return problems;
}

/** True when the FHIR resource exists and is not deleted (an account must stand for a real resource). */
async function fhirResourceExists(db: Queryable, fhirUser: string): Promise<boolean> {
  const parsed = parseFhirUser(fhirUser);
  if (!parsed) {
    return false;
  }
  const { rows } = await db.query('SELECT 1 FROM resource WHERE resource_type = $1 AND id = $2 AND NOT deleted', [
    parsed.resourceType,
    parsed.id,
  ]);
  return rows.length > 0;
}

/**
 * Creates an account. Throws a 400 OperationOutcomeError listing every problem (bad email, role, fhirUser of the
 * wrong type or not an existing resource, password against the policy) and a 409 when the email is taken.
 */
export async function createAccount(db: Queryable, input: NewAccount): Promise<Account> {
  const email = normalizeEmail(input.email);
  const problems = newAccountProblems(input, email);
  if (problems.length === 0 && !(await fhirResourceExists(db, input.fhirUser))) {
    problems.push(`fhirUser ${input.fhirUser} does not exist on this server`);
  }
  if (problems.length > 0) {
    throw invalidAccountInput(problems);
  }
  const hasPassword = input.password !== undefined && input.password !== null;
  const passwordHash = hasPassword ? await hashPassword(input.password as string) : null;
  const { rows } = await db.query(
    `INSERT INTO account (id, email, role, fhir_user, display_name, password_hash, password_changed_at)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END)
     ON CONFLICT (email) DO NOTHING
     RETURNING ${ACCOUNT_COLUMNS}`,
    [crypto.randomUUID(), email, input.role, input.fhirUser, cleanDisplayName(input.displayName) ?? null, passwordHash]
  );
  if (rows.length === 0) {
    throw accountConflict(`An account with the email ${email} already exists`);
  }
  return accountFromRow(rows[0]);
}

export async function findAccountById(db: Queryable, id: string): Promise<Account | undefined> {
  const { rows } = await db.query(`SELECT ${ACCOUNT_COLUMNS} FROM account WHERE id = $1`, [id]);
  return rows[0] ? accountFromRow(rows[0]) : undefined;
}

/** Case-insensitive; undefined for an unknown or malformed address. */
export async function findAccountByEmail(db: Queryable, email: string): Promise<Account | undefined> {
  const normalized = normalizeEmail(email);
  if (!normalized) {
    return undefined;
  }
  const { rows } = await db.query(`SELECT ${ACCOUNT_COLUMNS} FROM account WHERE email = $1`, [normalized]);
  return rows[0] ? accountFromRow(rows[0]) : undefined;
}

/** The account an upstream identity (provider issuer and `sub`) signs in as, if it has been linked. */
export async function findAccountByIdentity(
  db: Queryable,
  issuer: string,
  subject: string
): Promise<Account | undefined> {
  const { rows } = await db.query(
    `SELECT ${ACCOUNT_COLUMNS} FROM account
     WHERE id = (SELECT account_id FROM account_identity WHERE issuer = $1 AND subject = $2)`,
    [issuer, subject]
  );
  return rows[0] ? accountFromRow(rows[0]) : undefined;
}

export interface AccountListOptions {
  /** Only the account with this email (case-insensitive). */
  email?: string;
  /** At most this many, oldest first (default and maximum 1000). */
  limit?: number;
}

export const ACCOUNT_LIST_MAX = 1000;

/** Accounts, oldest first. */
export async function listAccounts(db: Queryable, options: AccountListOptions = {}): Promise<Account[]> {
  const limit = Math.min(Math.max(1, options.limit ?? ACCOUNT_LIST_MAX), ACCOUNT_LIST_MAX);
  if (options.email !== undefined) {
    const account = await findAccountByEmail(db, options.email);
    return account ? [account] : [];
  }
  const { rows } = await db.query(`SELECT ${ACCOUNT_COLUMNS} FROM account ORDER BY created_at, id LIMIT $1`, [limit]);
  return rows.map(accountFromRow);
}

/** The upstream identities linked to an account. */
export async function listIdentities(db: Queryable, accountId: string): Promise<AccountIdentity[]> {
  const { rows } = await db.query(
    `SELECT issuer, subject, ${iso('created_at', 'created_at')} FROM account_identity
     WHERE account_id = $1 ORDER BY created_at, issuer, subject`,
    [accountId]
  );
  return rows.map((row) => ({ issuer: row.issuer, subject: row.subject, createdAt: row.created_at }));
}

/**
 * Lets an upstream identity sign in as the account. Linking it again to the same account changes nothing; an
 * identity already linked to another account is a 409; an unknown account a 404.
 */
export async function linkIdentity(db: Queryable, accountId: string, issuer: string, subject: string): Promise<void> {
  if (typeof issuer !== 'string' || !issuer || typeof subject !== 'string' || !subject) {
    throw invalidAccountInput(['issuer and subject must be non-empty text']);
  }
  const { rows } = await db
    .query(
      `INSERT INTO account_identity (issuer, subject, account_id) VALUES ($1, $2, $3)
       ON CONFLICT (issuer, subject) DO UPDATE SET issuer = EXCLUDED.issuer
       RETURNING account_id`,
      [issuer, subject, accountId]
    )
    .catch((err: unknown) => {
      // foreign_key_violation: no such account
      throw (err as { code?: string }).code === '23503' ? accountNotFound(accountId) : err;
    });
  if (rows[0]?.account_id !== accountId) {
    throw accountConflict('This identity is already linked to another account');
  }
}

/** Runs one UPDATE … RETURNING on the account and gives the updated Account, or throws 404. */
async function updateAccount(db: Queryable, id: string, set: string, values: unknown[] = []): Promise<Account> {
  const { rows } = await db.query(
    `UPDATE account SET ${set}, updated_at = now() WHERE id = $1 RETURNING ${ACCOUNT_COLUMNS}`,
    [id, ...values]
  );
  if (!rows[0]) {
    throw accountNotFound(id);
  }
  return accountFromRow(rows[0]);
}

/** Replaces the password after checking it against the policy (400 listing the problems; 404 unknown account). */
export async function setPassword(db: Queryable, accountId: string, password: string): Promise<Account> {
  const account = await findAccountById(db, accountId);
  if (!account) {
    throw accountNotFound(accountId);
  }
  const problems = passwordProblems(password, { email: account.email, displayName: account.displayName });
  if (problems.length > 0) {
    throw invalidAccountInput(problems);
  }
  return updateAccount(db, accountId, 'password_hash = $2, password_changed_at = now()', [
    await hashPassword(password),
  ]);
}

/** Stops the account signing in (by password or upstream identity). Tokens already issued run to their expiry. */
export async function disableAccount(db: Queryable, accountId: string): Promise<Account> {
  return updateAccount(db, accountId, 'disabled = true');
}

/** Lets a disabled account sign in again. */
export async function enableAccount(db: Queryable, accountId: string): Promise<Account> {
  return updateAccount(db, accountId, 'disabled = false');
}

/** Lifts a lockout and forgets the failed attempts. */
export async function unlockAccount(db: Queryable, accountId: string): Promise<Account> {
  return updateAccount(db, accountId, 'failed_logins = 0, locked_until = NULL');
}

/** Removes the TOTP authenticator (enrolled or pending): the person sets a new one up at their next sign-in. */
export async function resetMfa(db: Queryable, accountId: string): Promise<Account> {
  return updateAccount(db, accountId, 'totp_secret = NULL, totp_enabled = false, totp_last_step = NULL');
}

// ---------------------------------------------------------------- for login.ts only: credentials

/** What a password check needs: the account and its hash (null when it has no password). */
export interface PasswordCredential {
  account: Account;
  passwordHash: string | null;
}

export async function findPasswordCredential(db: Queryable, email: string): Promise<PasswordCredential | undefined> {
  const normalized = normalizeEmail(email);
  if (!normalized) {
    return undefined;
  }
  const { rows } = await db.query(`SELECT ${ACCOUNT_COLUMNS}, password_hash FROM account WHERE email = $1`, [
    normalized,
  ]);
  return rows[0] ? { account: accountFromRow(rows[0]), passwordHash: rows[0].password_hash } : undefined;
}

/** Replaces a hash made with older parameters, unless the password changed meanwhile. */
export async function replacePasswordHash(
  db: Queryable,
  accountId: string,
  oldHash: string,
  newHash: string
): Promise<void> {
  await db.query('UPDATE account SET password_hash = $3 WHERE id = $1 AND password_hash = $2', [
    accountId,
    oldHash,
    newHash,
  ]);
}

/** What a TOTP check needs: the account, its secret (pending or enabled) and the last step used. */
export interface TotpCredential {
  account: Account;
  secret: string | null;
  lastStep: number | null;
}

export async function findTotpCredential(db: Queryable, accountId: string): Promise<TotpCredential | undefined> {
  const { rows } = await db.query(`SELECT ${ACCOUNT_COLUMNS}, totp_secret, totp_last_step FROM account WHERE id = $1`, [
    accountId,
  ]);
  const row = rows[0];
  if (!row) {
    return undefined;
  }
  return {
    account: accountFromRow(row),
    secret: row.totp_secret,
    lastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
  };
}
