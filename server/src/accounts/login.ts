// Sign-in checks for the login pages: password (with lockout), TOTP second factor, and setting up an authenticator.
import type { Queryable } from '../db/pool.ts';
import { accountConflict, accountNotFound } from './accountErrors.ts';
import {
  findAccountById,
  findPasswordCredential,
  findTotpCredential,
  replacePasswordHash,
  type Account,
} from './accountStore.ts';
import { clearFailedLogins, recordFailedLogin } from './lockout.ts';
import { hashPassword, passwordNeedsRehash, verifyDummyPassword, verifyPassword } from './passwords.ts';
import { generateTotpSecret, matchTotpStep, totpQrSvg, totpUri } from './totp.ts';

export { LOCKOUT_MINUTES, MAX_FAILED_LOGINS } from './lockout.ts';

export type LoginResult =
  | { status: 'ok'; account: Account }
  | { status: 'invalid' }
  | { status: 'locked'; until: Date }
  | { status: 'disabled' };

/**
 * True when the account must also give a TOTP code to sign in: always for clinicians and admins (who must set an
 * authenticator up at their first sign-in), and for patients and carers who chose to set one up.
 */
export function mfaRequired(account: Pick<Account, 'role' | 'totpEnabled'>): boolean {
  return account.role === 'clinician' || account.role === 'admin' || account.totpEnabled;
}

/**
 * Checks an email and password. 'ok' means the password is right; when mfaRequired(account) the sign-in is not
 * complete until verifyTotpCode (or confirmTotpEnrolment) succeeds, and until then failed attempts keep counting.
 *
 * - Unknown email, or an account without a password: 'invalid', after the same hashing work as a wrong password.
 * - Wrong password: 'invalid', counted; the MAX_FAILED_LOGINS-th consecutive failure answers 'locked'.
 * - Locked: 'locked' whatever the password, not counted, the lockout not extended.
 * - Disabled: 'disabled', but only for the right password (a wrong one is 'invalid' and counted as usual).
 */
export async function verifyLogin(db: Queryable, email: string, password: string): Promise<LoginResult> {
  const credential = typeof email === 'string' ? await findPasswordCredential(db, email) : undefined;
  if (!credential || credential.passwordHash === null) {
    await verifyDummyPassword(password);
    return { status: 'invalid' };
  }
  const { account, passwordHash } = credential;
  const matches = await verifyPassword(password, passwordHash);
  if (account.lockedUntil) {
    return { status: 'locked', until: new Date(account.lockedUntil) };
  }
  if (!matches) {
    const lockedUntil = await recordFailedLogin(db, account.id);
    return lockedUntil ? { status: 'locked', until: lockedUntil } : { status: 'invalid' };
  }
  if (account.disabled) {
    return { status: 'disabled' };
  }
  if (passwordNeedsRehash(passwordHash)) {
    await replacePasswordHash(db, account.id, passwordHash, await hashPassword(password));
  }
  if (mfaRequired(account)) {
    return { status: 'ok', account };
  }
  await clearFailedLogins(db, account.id);
  return { status: 'ok', account: { ...account, failedLogins: 0 } };
}

/**
 * Checks the second factor of an account with TOTP enabled. A right code within ±1 step that is newer than the
 * last accepted one is accepted once (the step is recorded atomically, so the same code cannot be used twice, even
 * concurrently) and completes the sign-in (failed attempts forgotten). A wrong or replayed code counts toward the
 * same lockout as wrong passwords. Locked or disabled accounts, and accounts without TOTP, always get false.
 */
export async function verifyTotpCode(db: Queryable, accountId: string, code: string): Promise<boolean> {
  const credential = await findTotpCredential(db, accountId);
  if (!credential?.secret || !credential.account.totpEnabled) {
    return false;
  }
  const { account, secret, lastStep } = credential;
  if (account.lockedUntil || account.disabled) {
    return false;
  }
  const step = matchTotpStep(secret, code, { lastStep });
  if (step !== undefined) {
    const { rows } = await db.query(
      `UPDATE account SET totp_last_step = $3, failed_logins = 0, locked_until = NULL, updated_at = now()
       WHERE id = $1 AND totp_enabled AND totp_secret = $2
         AND (totp_last_step IS NULL OR totp_last_step < $3)
         AND (locked_until IS NULL OR locked_until <= now())
       RETURNING id`,
      [accountId, secret, step]
    );
    if (rows.length > 0) {
      return true;
    }
  }
  await recordFailedLogin(db, accountId);
  return false;
}

export interface TotpEnrolment {
  /** Base32, for typing into an authenticator app by hand. */
  secret: string;
  /** otpauth://totp/RPM:<email>?secret=…&issuer=RPM… */
  otpauthUri: string;
  /** A QR code of otpauthUri as an inline SVG element (no external assets). */
  qrSvg: string;
}

/**
 * Starts setting up an authenticator: stores a new pending secret (replacing any earlier pending one; TOTP stays
 * off until confirmTotpEnrolment) and returns what the enrolment page shows. 404 for an unknown account; 409 when
 * TOTP is already enabled (an administrator resets it first, so a stolen session cannot swap the authenticator).
 */
export async function startTotpEnrolment(db: Queryable, accountId: string): Promise<TotpEnrolment> {
  const account = await findAccountById(db, accountId);
  if (!account) {
    throw accountNotFound(accountId);
  }
  const secret = generateTotpSecret();
  const { rows } = await db.query(
    `UPDATE account SET totp_secret = $2, totp_last_step = NULL, updated_at = now()
     WHERE id = $1 AND NOT totp_enabled RETURNING id`,
    [accountId, secret]
  );
  if (rows.length === 0) {
    throw accountConflict('An authenticator is already set up for this account; an administrator must reset it first');
  }
  const otpauthUri = totpUri(secret, account.email);
  return { secret, otpauthUri, qrSvg: await totpQrSvg(otpauthUri) };
}

/**
 * Finishes setting up an authenticator: true when `code` is right for the pending secret, which turns TOTP on
 * (the code's step counts as used) and completes the sign-in. A wrong code leaves the pending secret for another
 * try and is not counted toward lockout (whoever enrols chose the secret, so guessing gains nothing).
 */
export async function confirmTotpEnrolment(db: Queryable, accountId: string, code: string): Promise<boolean> {
  const credential = await findTotpCredential(db, accountId);
  if (!credential?.secret || credential.account.totpEnabled) {
    return false;
  }
  const { account, secret } = credential;
  if (account.lockedUntil || account.disabled) {
    return false;
  }
  const step = matchTotpStep(secret, code);
  if (step === undefined) {
    return false;
  }
  const { rows } = await db.query(
    `UPDATE account SET totp_enabled = true, totp_last_step = $3, failed_logins = 0, locked_until = NULL,
       updated_at = now()
     WHERE id = $1 AND totp_secret = $2 AND NOT totp_enabled
       AND (locked_until IS NULL OR locked_until <= now())
     RETURNING id`,
    [accountId, secret, step]
  );
  return rows.length > 0;
}
