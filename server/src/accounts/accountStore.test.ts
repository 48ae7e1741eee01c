// The account store on the real database: validation (400 listing problems), 409 on a taken email, look-ups,
// identities, password change, disable/enable, unlock and MFA reset.
import { OperationOutcomeError } from '@medplum/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { createFhirUser, uniqueEmail, useTestPool } from './accountTesting.ts';
import {
  createAccount,
  disableAccount,
  enableAccount,
  findAccountByEmail,
  findAccountById,
  findAccountByIdentity,
  linkIdentity,
  listAccounts,
  listIdentities,
  resetMfa,
  setPassword,
  unlockAccount,
} from './accountStore.ts';
import { statusOf } from '../http/outcomes.ts';

const pool = useTestPool();
const PASSWORD = 'tangerine-bicycle-41';

/** The status and issue texts of what fn throws. */
async function failure(fn: () => Promise<unknown>): Promise<{ status: number; texts: string[] }> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError);
    const outcome = (err as OperationOutcomeError).outcome;
    return { status: statusOf(outcome), texts: (outcome.issue ?? []).map((i) => i.details?.text ?? '') };
  }
  throw new Error('Expected an error');
}

let practitioner: string;
let patient: string;
let relatedPerson: string;

beforeAll(async () => {
  [practitioner, patient, relatedPerson] = await Promise.all([
    createFhirUser(pool, 'Practitioner'),
    createFhirUser(pool, 'Patient'),
    createFhirUser(pool, 'RelatedPerson'),
  ]);
});

describe('createAccount', () => {
  test('stores a lower-cased email and returns no secrets', async () => {
    const email = uniqueEmail('Sam.Bennett').replace('sam', 'SAM');
    const account = await createAccount(pool, {
      email: `  ${email} `,
      password: PASSWORD,
      role: 'clinician',
      fhirUser: practitioner,
      displayName: 'Nurse Sam Bennett',
    });
    expect(account).toMatchObject({
      email: email.toLowerCase(),
      role: 'clinician',
      fhirUser: practitioner,
      displayName: 'Nurse Sam Bennett',
      hasPassword: true,
      totpEnabled: false,
      disabled: false,
      failedLogins: 0,
    });
    expect(account.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(account.passwordChangedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(account.lockedUntil).toBeUndefined();
    expect(JSON.stringify(account)).not.toMatch(/argon2|hash|secret/i);

    const { rows } = await pool.query('SELECT email, password_hash FROM account WHERE id = $1', [account.id]);
    expect(rows[0].email).toBe(email.toLowerCase());
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);

    expect(await findAccountById(pool, account.id)).toEqual(account);
    expect(await findAccountByEmail(pool, email.toUpperCase())).toEqual(account);
    expect(await listAccounts(pool, { email })).toEqual([account]);
  });

  test('without a password: upstream sign-in only', async () => {
    const account = await createAccount(pool, { email: uniqueEmail(), role: 'patient', fhirUser: patient });
    expect(account.hasPassword).toBe(false);
    expect(account.passwordChangedAt).toBeUndefined();
  });

  test('each role links to its resource type', async () => {
    expect((await createAccount(pool, { email: uniqueEmail(), role: 'carer', fhirUser: relatedPerson })).role).toBe(
      'carer'
    );
    expect((await createAccount(pool, { email: uniqueEmail(), role: 'admin', fhirUser: practitioner })).role).toBe(
      'admin'
    );
    const wrong = await failure(() =>
      createAccount(pool, { email: uniqueEmail(), role: 'patient', fhirUser: practitioner })
    );
    expect(wrong).toEqual({ status: 400, texts: ['A patient account must link to a Patient, not a Practitioner'] });
    const carer = await failure(() => createAccount(pool, { email: uniqueEmail(), role: 'carer', fhirUser: patient }));
    expect(carer.texts).toEqual(['A carer account must link to a RelatedPerson, not a Patient']);
  });

  test('every problem is listed in one 400', async () => {
    const result = await failure(() =>
      createAccount(pool, {
        email: 'not an email',
        password: 'kq8#vt2!',
        role: 'clinician',
        fhirUser: 'Practitioner/has spaces',
      })
    );
    expect(result.status).toBe(400);
    expect(result.texts).toEqual([
      'email must be an email address such as name@example.org',
      "fhirUser must be a reference such as 'Practitioner/<id>'",
      'The password must be at least 12 characters long',
    ]);
    const role = await failure(() =>
      createAccount(pool, { email: uniqueEmail(), role: 'doctor' as never, fhirUser: practitioner })
    );
    expect(role.texts).toEqual(["role must be one of 'clinician', 'patient', 'carer' or 'admin'"]);
  });

  test('the password policy applies, including the email and name', async () => {
    const email = uniqueEmail('priya');
    const result = await failure(() =>
      createAccount(pool, {
        email,
        password: `${email.split('@')[0]}-x`,
        role: 'patient',
        fhirUser: patient,
        displayName: 'Mrs Anand',
      })
    );
    expect(result).toEqual({ status: 400, texts: ['The password must not contain your email address'] });
    const common = await failure(() =>
      createAccount(pool, { email: uniqueEmail(), password: 'qwerty123456', role: 'patient', fhirUser: patient })
    );
    expect(common.texts).toEqual(['The password is too common: it appears in lists of passwords attackers try first']);
  });

  test('the FHIR resource must exist', async () => {
    const result = await failure(() =>
      createAccount(pool, { email: uniqueEmail(), role: 'clinician', fhirUser: 'Practitioner/does-not-exist' })
    );
    expect(result).toEqual({
      status: 400,
      texts: ['fhirUser Practitioner/does-not-exist does not exist on this server'],
    });
  });

  test('a taken email is a 409, whatever its case; concurrent creations make one account', async () => {
    const email = uniqueEmail();
    await createAccount(pool, { email, role: 'patient', fhirUser: patient });
    const again = await failure(() =>
      createAccount(pool, { email: email.toUpperCase(), role: 'patient', fhirUser: patient })
    );
    expect(again.status).toBe(409);

    const raced = uniqueEmail();
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => createAccount(pool, { email: raced, role: 'patient', fhirUser: patient }))
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect(statusOf((r.reason as OperationOutcomeError).outcome)).toBe(409);
    }
  });
});

describe('identities', () => {
  test('link once per upstream identity; find the account by it', async () => {
    const account = await createAccount(pool, { email: uniqueEmail(), role: 'patient', fhirUser: patient });
    const other = await createAccount(pool, { email: uniqueEmail(), role: 'patient', fhirUser: patient });
    const issuer = 'https://auth.login.nhs.uk';
    const subject = `nhs-${account.id}`;
    expect(await findAccountByIdentity(pool, issuer, subject)).toBeUndefined();
    await linkIdentity(pool, account.id, issuer, subject);
    await linkIdentity(pool, account.id, issuer, subject); // again: no change
    expect((await findAccountByIdentity(pool, issuer, subject))?.id).toBe(account.id);
    expect(await findAccountByIdentity(pool, 'https://other.example', subject)).toBeUndefined();
    expect((await failure(() => linkIdentity(pool, other.id, issuer, subject))).status).toBe(409);
    expect((await failure(() => linkIdentity(pool, 'no-such-account', issuer, 'x'))).status).toBe(404);
    expect((await failure(() => linkIdentity(pool, account.id, '', 'x'))).status).toBe(400);
    expect(await listIdentities(pool, account.id)).toEqual([{ issuer, subject, createdAt: expect.any(String) }]);
  });
});

describe('administration', () => {
  test('setPassword applies the policy and replaces the hash', async () => {
    const account = await createAccount(pool, { email: uniqueEmail(), role: 'patient', fhirUser: patient });
    expect((await failure(() => setPassword(pool, account.id, 'short'))).status).toBe(400);
    const updated = await setPassword(pool, account.id, PASSWORD);
    expect(updated.hasPassword).toBe(true);
    expect(updated.passwordChangedAt).toBeDefined();
    expect((await failure(() => setPassword(pool, 'no-such-account', PASSWORD))).status).toBe(404);
  });

  test('disable, enable, unlock, reset MFA; 404 for an unknown id', async () => {
    const account = await createAccount(pool, { email: uniqueEmail(), role: 'patient', fhirUser: patient });
    expect((await disableAccount(pool, account.id)).disabled).toBe(true);
    expect((await enableAccount(pool, account.id)).disabled).toBe(false);

    await pool.query(
      "UPDATE account SET failed_logins = 5, locked_until = now() + interval '15 minutes' WHERE id = $1",
      [account.id]
    );
    expect((await findAccountById(pool, account.id))?.lockedUntil).toBeDefined();
    const unlocked = await unlockAccount(pool, account.id);
    expect(unlocked.failedLogins).toBe(0);
    expect(unlocked.lockedUntil).toBeUndefined();

    await pool.query(
      "UPDATE account SET totp_secret = 'JBSWY3DPEHPK3PXP', totp_enabled = true, totp_last_step = 9 WHERE id = $1",
      [account.id]
    );
    expect((await findAccountById(pool, account.id))?.totpEnabled).toBe(true);
    expect((await resetMfa(pool, account.id)).totpEnabled).toBe(false);
    const { rows } = await pool.query('SELECT totp_secret, totp_last_step FROM account WHERE id = $1', [account.id]);
    expect(rows[0]).toEqual({ totp_secret: null, totp_last_step: null });

    for (const action of [disableAccount, enableAccount, unlockAccount, resetMfa]) {
      expect((await failure(() => action(pool, 'no-such-account'))).status).toBe(404);
    }
  });

  test('an expired lockout is not reported', async () => {
    const account = await createAccount(pool, { email: uniqueEmail(), role: 'patient', fhirUser: patient });
    await pool.query("UPDATE account SET locked_until = now() - interval '1 second' WHERE id = $1", [account.id]);
    expect((await findAccountById(pool, account.id))?.lockedUntil).toBeUndefined();
  });
});
