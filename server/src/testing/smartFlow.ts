// Test helpers for SMART flows: people with accounts and FHIR records, PKCE, and an authorization-code sign-in.
import crypto from 'node:crypto';
import type { Patient, Practitioner, RelatedPerson } from '@medplum/fhirtypes';
import { createAccount, type Account } from '../accounts/accountStore.ts';
import { confirmTotpEnrolment, startTotpEnrolment } from '../accounts/login.ts';
import { totpCode, totpStepAt } from '../accounts/totp.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import type { RunningServer } from '../server.ts';
import { FormBrowser, formAction, type PageResponse } from './formBrowser.ts';

/** A password that passes the policy; each test person gets their own. */
export function testPassword(): string {
  return `Correct-Horse-${crypto.randomBytes(6).toString('hex')}`;
}

export interface TestPerson {
  account: Account;
  email: string;
  password: string;
  /** Base32 TOTP secret, when MFA was set up. */
  totpSecret?: string;
  /** The last TOTP step used (codes are single-use: the server refuses a step it has seen). */
  lastTotpStep?: number;
  /** 'Patient/…', 'Practitioner/…', 'RelatedPerson/…'. */
  fhirUser: string;
}

function repo(server: RunningServer): PostgresRepository {
  return new PostgresRepository(server.pool, { fhirBaseUrl: server.fhirBaseUrl });
}

function email(prefix: string): string {
  return `${prefix}.${crypto.randomBytes(5).toString('hex')}@example.org`;
}

/** The TOTP code an authenticator would show now (or `stepOffset` steps later). */
export function currentTotp(secret: string, stepOffset = 0): string {
  return totpCode(secret, totpStepAt(Date.now()) + stepOffset);
}

/**
 * The next code an authenticator would accept for this person: the current step, or the one after the last used
 * (the server allows one step of clock drift). Throws when a person signs in too often for their codes.
 */
export function nextTotp(person: TestPerson): string {
  const now = totpStepAt(Date.now());
  const step = Math.max(now, (person.lastTotpStep ?? now - 1) + 1);
  if (step > now + 1) {
    throw new Error('This test person used their TOTP codes up: sign in with a new person');
  }
  person.lastTotpStep = step;
  return totpCode(person.totpSecret as string, step);
}

/** Sets up TOTP for an account as its owner would (enrol, then confirm with the app's code). */
export async function enrolTotp(server: RunningServer, account: Account): Promise<string> {
  const { secret } = await startTotpEnrolment(server.pool, account.id);
  if (!(await confirmTotpEnrolment(server.pool, account.id, currentTotp(secret)))) {
    throw new Error('TOTP enrolment failed');
  }
  return secret;
}

export async function createPatientPerson(
  server: RunningServer,
  patient: Partial<Patient> = {}
): Promise<TestPerson & { patientId: string }> {
  const saved = await repo(server).createResource<Patient>({
    resourceType: 'Patient',
    name: [{ given: ['Pat'], family: `Tester${crypto.randomBytes(2).toString('hex')}` }],
    ...patient,
  });
  const password = testPassword();
  const address = email('patient');
  const account = await createAccount(server.pool, {
    email: address,
    password,
    role: 'patient',
    fhirUser: `Patient/${saved.id}`,
  });
  return { account, email: address, password, fhirUser: `Patient/${saved.id}`, patientId: saved.id };
}

export async function createCarerPerson(server: RunningServer, patientId: string): Promise<TestPerson> {
  const related = await repo(server).createResource<RelatedPerson>({
    resourceType: 'RelatedPerson',
    patient: { reference: `Patient/${patientId}` },
    name: [{ given: ['Cara'], family: 'Carer' }],
  });
  const password = testPassword();
  const address = email('carer');
  const fhirUser = `RelatedPerson/${related.id}`;
  const account = await createAccount(server.pool, { email: address, password, role: 'carer', fhirUser });
  return { account, email: address, password, fhirUser };
}

/** A clinician (or admin) with a Practitioner; MFA enrolled unless `enrolMfa` is false. */
export async function createStaffPerson(
  server: RunningServer,
  options: { role?: 'clinician' | 'admin'; enrolMfa?: boolean } = {}
): Promise<TestPerson & { practitionerId: string }> {
  const practitioner = await repo(server).createResource<Practitioner>({
    resourceType: 'Practitioner',
    name: [{ given: ['Dana'], family: 'Doctor' }],
  });
  const password = testPassword();
  const address = email(options.role ?? 'clinician');
  const fhirUser = `Practitioner/${practitioner.id}`;
  const account = await createAccount(server.pool, {
    email: address,
    password,
    role: options.role ?? 'clinician',
    fhirUser,
  });
  const totpSecret = options.enrolMfa === false ? undefined : await enrolTotp(server, account);
  return {
    account,
    email: address,
    password,
    fhirUser,
    totpSecret,
    ...(totpSecret ? { lastTotpStep: totpStepAt(Date.now()) } : {}),
    practitionerId: practitioner.id,
  };
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  scope: string;
  aud?: string;
  launch?: string;
  pkce?: Pkce;
  state?: string;
  /** Extra or overriding query parameters (undefined removes one). */
  extra?: Record<string, string | undefined>;
}

export function authorizeUrl(server: RunningServer, request: AuthorizeRequest): string {
  const url = new URL(`${server.baseUrl}/oauth2/authorize`);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scope,
    state: request.state ?? crypto.randomBytes(8).toString('hex'),
    aud: request.aud ?? server.fhirBaseUrl,
    ...(request.launch ? { launch: request.launch } : {}),
    ...(request.pkce ? { code_challenge: request.pkce.challenge, code_challenge_method: 'S256' } : {}),
    ...request.extra,
  };
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) {
      url.searchParams.set(key, value);
    }
  }
  return url.toString();
}

/** Signs in on the login page (and the MFA page when the person has TOTP); returns the page after. */
export async function signIn(browser: FormBrowser, page: PageResponse, person: TestPerson): Promise<PageResponse> {
  let next = await browser.post(formAction(page, '/login'), { email: person.email, password: person.password });
  if (next.status === 200 && next.text.includes('/mfa"') && person.totpSecret) {
    next = await browser.post(formAction(next, '/mfa'), { code: nextTotp(person) });
  }
  return next;
}

/** The authorization response's query parameters, when the browser stopped at the redirect URI. */
export function redirectParams(page: PageResponse): URLSearchParams {
  if (page.status !== 0) {
    throw new Error(`Expected a redirect to the app, got ${page.status} at ${page.url}: ${page.text.slice(0, 400)}`);
  }
  return new URL(page.url).searchParams;
}

export async function exchangeCode(
  server: RunningServer,
  input: { code: string; redirectUri: string; clientId: string; verifier?: string }
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const form: Record<string, string> = {
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    client_id: input.clientId,
    ...(input.verifier ? { code_verifier: input.verifier } : {}),
  };
  const response = await fetch(`${server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}
