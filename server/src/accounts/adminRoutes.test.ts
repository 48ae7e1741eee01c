// The account administration API over real HTTP: the admin client's token, an admin account's token, refusals
// (403), bad input (400), unknown ids (404) and taken emails (409), always as OperationOutcomes.
import type { OperationOutcome } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { issueUserToken } from '../testing/userTokens.ts';
import { useTestServer } from '../testing/testServer.ts';
import { createAccount, findAccountById, type Account } from './accountStore.ts';
import { createFhirUser, uniqueEmail } from './accountTesting.ts';
import { verifyLogin } from './login.ts';

const ctx = useTestServer();
const PASSWORD = 'tangerine-bicycle-41';

let adminToken: string;
let practitioner: string;
let patient: string;

beforeAll(async () => {
  adminToken = ctx.medplum.getAccessToken() as string;
  [practitioner, patient] = await Promise.all([
    createFhirUser(ctx.server.pool, 'Practitioner'),
    createFhirUser(ctx.server.pool, 'Patient'),
  ]);
});

function call(path: string, options: { method?: string; body?: unknown; token?: string | null } = {}) {
  const token = options.token === undefined ? adminToken : options.token;
  return fetch(`${ctx.server.baseUrl}/admin/accounts${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

async function expectOutcome(res: Response, status: number): Promise<string[]> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/fhir+json');
  const outcome = (await res.json()) as OperationOutcome;
  expect(outcome.resourceType).toBe('OperationOutcome');
  return (outcome.issue ?? []).map((issue) => issue.details?.text ?? '');
}

async function newClinician(): Promise<Account> {
  const res = await call('/', {
    body: { email: uniqueEmail('clinician'), password: PASSWORD, role: 'clinician', fhirUser: practitioner },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Account;
}

describe('POST /admin/accounts', () => {
  test('201 with the account and its Location; no secrets in the answer', async () => {
    const email = uniqueEmail('Grace');
    const res = await call('/', {
      body: { email, password: PASSWORD, role: 'patient', fhirUser: patient, displayName: 'Grace Okafor' },
    });
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toMatch(/argon2|password_hash|totp_secret/i);
    const account = JSON.parse(text) as Account;
    expect(res.headers.get('location')).toBe(`/admin/accounts/${account.id}`);
    expect(account).toMatchObject({
      email: email.toLowerCase(),
      role: 'patient',
      fhirUser: patient,
      hasPassword: true,
    });
    expect((await verifyLogin(ctx.server.pool, email, PASSWORD)).status).toBe('ok');
  });

  test('400 for bad input, with every problem listed', async () => {
    expect(
      await expectOutcome(
        await call('/', { body: { email: 'nope', password: 'short', role: 'clinician', fhirUser: patient } }),
        400
      )
    ).toEqual([
      'email must be an email address such as name@example.org',
      'A clinician account must link to a Practitioner, not a Patient',
      'The password must be at least 12 characters long',
      'The password is too common: it appears in lists of passwords attackers try first',
    ]);
    expect(await expectOutcome(await call('/', { body: { email: uniqueEmail(), role: 'patient' } }), 400)).toEqual([
      'fhirUser is required',
    ]);
    expect(
      await expectOutcome(
        await call('/', { body: { email: uniqueEmail(), role: 'patient', fhirUser: patient, display_name: 'x' } }),
        400
      )
    ).toEqual(["Unknown field 'display_name': expected email, password, role, fhirUser, displayName"]);
    expect(
      await expectOutcome(await call('/', { body: { email: 42, role: 'patient', fhirUser: patient } }), 400)
    ).toEqual(['email must be text']);
    expect(await expectOutcome(await call('/', { body: ['not', 'an', 'object'] }), 400)).toHaveLength(1);
    const notJson = await fetch(`${ctx.server.baseUrl}/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: '{"email":',
    });
    await expectOutcome(notJson, 400);
    const form = await fetch(`${ctx.server.baseUrl}/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a@example.org',
    });
    expect(await expectOutcome(form, 400)).toEqual([
      'Send a JSON object in the body, with Content-Type: application/json',
    ]);
  });

  test('409 for an email already taken', async () => {
    const email = uniqueEmail();
    expect((await call('/', { body: { email, role: 'patient', fhirUser: patient } })).status).toBe(201);
    const again = await call('/', { body: { email: email.toUpperCase(), role: 'patient', fhirUser: patient } });
    expect(await expectOutcome(again, 409)).toEqual([`An account with the email ${email} already exists`]);
  });
});

describe('reading accounts', () => {
  test('GET / lists, ?email= finds one (any case); GET /:id with identities; 404 unknown', async () => {
    const account = await newClinician();
    const list = (await (await call('/')).json()) as { accounts: Account[] };
    expect(list.accounts.map((a) => a.id)).toContain(account.id);
    const one = (await (await call(`/?email=${encodeURIComponent(account.email.toUpperCase())}`)).json()) as {
      accounts: Account[];
    };
    expect(one.accounts).toEqual([account]);
    const none = (await (await call(`/?email=${encodeURIComponent(uniqueEmail())}`)).json()) as {
      accounts: Account[];
    };
    expect(none.accounts).toEqual([]);

    const read = await call(`/${account.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ ...account, identities: [] });
    expect(await expectOutcome(await call('/no-such-account'), 404)).toEqual(['No account with id no-such-account']);
  });
});

describe('actions', () => {
  test('unlock, reset-mfa, disable, enable', async () => {
    const account = await newClinician();
    await ctx.server.pool.query(
      `UPDATE account SET failed_logins = 5, locked_until = now() + interval '15 minutes',
         totp_secret = 'JBSWY3DPEHPK3PXP', totp_enabled = true WHERE id = $1`,
      [account.id]
    );
    const unlocked = (await (await call(`/${account.id}/unlock`, { method: 'POST' })).json()) as Account;
    expect(unlocked).toMatchObject({ failedLogins: 0, totpEnabled: true });
    expect(unlocked.lockedUntil).toBeUndefined();
    const reset = (await (await call(`/${account.id}/reset-mfa`, { method: 'POST' })).json()) as Account;
    expect(reset.totpEnabled).toBe(false);
    const disabled = await call(`/${account.id}/disable`, { method: 'POST' });
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as Account).disabled).toBe(true);
    expect((await verifyLogin(ctx.server.pool, account.email, PASSWORD)).status).toBe('disabled');
    expect(((await (await call(`/${account.id}/enable`, { method: 'POST' })).json()) as Account).disabled).toBe(false);

    for (const action of ['unlock', 'reset-mfa', 'disable', 'enable']) {
      await expectOutcome(await call(`/no-such-account/${action}`, { method: 'POST' }), 404);
    }
  });

  test('password: policy checked, then replaced', async () => {
    const account = await newClinician();
    const weak = await call(`/${account.id}/password`, { body: { password: 'password1234' } });
    expect(await expectOutcome(weak, 400)).toEqual([
      'The password is too common: it appears in lists of passwords attackers try first',
    ]);
    await expectOutcome(await call(`/${account.id}/password`, { body: { password: 123456789012 } }), 400);
    await expectOutcome(await call(`/${account.id}/password`, { body: { password: PASSWORD, extra: 1 } }), 400);
    const res = await call(`/${account.id}/password`, { body: { password: 'marmalade-harbour-77' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Account).passwordChangedAt).toBeDefined();
    expect((await verifyLogin(ctx.server.pool, account.email, 'marmalade-harbour-77')).status).toBe('ok');
    expect((await verifyLogin(ctx.server.pool, account.email, PASSWORD)).status).toBe('invalid');
    await expectOutcome(await call('/no-such-account/password', { body: { password: PASSWORD } }), 404);
  });
});

describe('who may administer accounts', () => {
  test('no token: 401', async () => {
    const res = await call('/', { token: null });
    await expectOutcome(res, 401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  test('a non-admin user: 403, nothing created', async () => {
    const clinician = await newClinician();
    const token = await issueUserToken(ctx.server, {
      accountId: clinician.id,
      scope: 'openid fhirUser user/*.cruds',
      role: 'clinician',
      fhirUser: clinician.fhirUser,
    });
    await expectOutcome(await call('/', { token }), 403);
    const email = uniqueEmail();
    await expectOutcome(await call('/', { token, body: { email, role: 'patient', fhirUser: patient } }), 403);
    expect((await (await call(`/?email=${encodeURIComponent(email)}`)).json()) as object).toEqual({ accounts: [] });
    await expectOutcome(await call(`/${clinician.id}/unlock`, { token, method: 'POST' }), 403);
  });

  test('a system token without the all-resources scope: 403', async () => {
    const res = await fetch(ctx.server.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('rpm-admin:rpm-admin-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=system/Patient.rs',
    });
    const { access_token: token } = (await res.json()) as { access_token: string };
    await expectOutcome(await call('/', { token }), 403);
  });

  test("an admin account's token works while the account is an enabled admin", async () => {
    const admin = await createAccount(ctx.server.pool, {
      email: uniqueEmail('admin'),
      password: PASSWORD,
      role: 'admin',
      fhirUser: practitioner,
    });
    const token = await issueUserToken(ctx.server, {
      accountId: admin.id,
      scope: 'openid fhirUser user/*.cruds',
      role: 'admin',
      fhirUser: admin.fhirUser,
    });
    expect((await call('/', { token })).status).toBe(200);
    const created = await call('/', { token, body: { email: uniqueEmail(), role: 'patient', fhirUser: patient } });
    expect(created.status).toBe(201);

    // A token that claims 'admin' for an account that is not one is refused.
    const clinician = await newClinician();
    const forged = await issueUserToken(ctx.server, {
      accountId: clinician.id,
      scope: 'openid fhirUser user/*.cruds',
      role: 'admin',
      fhirUser: clinician.fhirUser,
    });
    await expectOutcome(await call('/', { token: forged }), 403);

    // A disabled admin's token stops working here at once.
    expect((await call(`/${admin.id}/disable`, { method: 'POST' })).status).toBe(200);
    expect((await findAccountById(ctx.server.pool, admin.id))?.disabled).toBe(true);
    await expectOutcome(await call('/', { token }), 403);
  });
});
