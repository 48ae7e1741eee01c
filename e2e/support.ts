// Shared helpers for the browser tests: headless Chromium, client registration, FHIR fixtures through the admin API.
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import type { CareTeam, Observation, Patient } from '@medplum/fhirtypes';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestServerContext } from '../server/src/testing/testServer.ts';
import { currentTotp } from '../server/src/testing/smartFlow.ts';

/** The Debian `chromium` package (CI installs it in .ci/run); Playwright cannot download browsers here. */
export const CHROMIUM_PATH = process.env.RPM_E2E_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it (Debian: apt-get install chromium) or set RPM_E2E_CHROMIUM`
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export function randomSuffix(): string {
  return crypto.randomBytes(4).toString('hex');
}

/** The admin client's bearer token (client_credentials, system/*.*). */
function adminToken(ctx: TestServerContext): string {
  return ctx.medplum.getAccessToken() as string;
}

/** Registers a client through POST /admin/clients; fails the test on anything but 201. */
export async function registerClient(
  ctx: TestServerContext,
  metadata: Record<string, unknown>
): Promise<Record<string, unknown>> {
  const response = await fetch(`${ctx.server.baseUrl}/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken(ctx)}`, 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) {
    throw new Error(`Client registration failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

/** A public (PKCE, no secret) browser app client. */
export function publicAppMetadata(input: {
  clientId: string;
  clientName: string;
  redirectUri: string;
  launchUri?: string;
  firstParty?: boolean;
}): Record<string, unknown> {
  return {
    client_id: input.clientId,
    client_name: input.clientName,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [input.redirectUri],
    fhir_scopes: 'patient/*.rs user/*.rs',
    ...(input.launchUri ? { rpm_launch_uri: input.launchUri } : {}),
    ...(input.firstParty ? { rpm_first_party: true } : {}),
  };
}

/** Creates a resource with the admin token; fails the test on anything but 201. */
export async function createResource<T extends { resourceType: string; id?: string }>(
  ctx: TestServerContext,
  resource: T
): Promise<T & { id: string }> {
  const response = await ctx.api(resource.resourceType, { method: 'POST', body: JSON.stringify(resource) });
  const body = (await response.json()) as T & { id: string };
  if (response.status !== 201) {
    throw new Error(`Creating ${resource.resourceType} failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

export function createPatient(
  ctx: TestServerContext,
  given: string,
  family: string
): Promise<Patient & { id: string }> {
  return createResource<Patient>(ctx, { resourceType: 'Patient', name: [{ given: [given], family }] });
}

/** One heart-rate Observation for the patient, so that the app's search has something to find. */
export function createObservation(ctx: TestServerContext, patientId: string): Promise<Observation & { id: string }> {
  return createResource<Observation>(ctx, {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  });
}

/** Puts the practitioner on the patient's care team, which is what lets a clinician see the patient. */
export function createCareTeam(
  ctx: TestServerContext,
  patientId: string,
  practitionerId: string
): Promise<CareTeam & { id: string }> {
  return createResource<CareTeam>(ctx, {
    resourceType: 'CareTeam',
    status: 'active',
    subject: { reference: `Patient/${patientId}` },
    participant: [{ member: { reference: `Practitioner/${practitionerId}` } }],
  });
}

/**
 * A code the server accepts now. createStaffPerson confirms enrolment with the current step's code, and the
 * server refuses a step it has already seen (replay protection), so within the same 30-second step the current
 * code would be refused; the next step's code is inside the ±1-step window and has not been used.
 */
export function unusedTotp(secret: string): string {
  return currentTotp(secret, 1);
}

/** The page's first heading, trimmed (pages are identified by it). */
export async function heading(page: Page): Promise<string> {
  return ((await page.locator('h1').first().textContent()) ?? '').trim();
}

/** Waits until the browser is on a URL matching `test`; the error names the page it got stuck on instead. */
export async function waitForUrl(page: Page, test: (url: URL) => boolean, timeout = 15_000): Promise<void> {
  try {
    await page.waitForURL(test, { timeout });
  } catch {
    const title = await page
      .locator('h1')
      .first()
      .textContent({ timeout: 1_000 })
      .catch(() => '');
    const text = await page
      .locator('body')
      .innerText({ timeout: 1_000 })
      .catch(() => '');
    throw new Error(`Browser did not get there; it is at ${page.url()} ("${title}"): ${text.slice(0, 500)}`);
  }
}

/** Waits for a page whose first heading is `title`; the error names the page the browser is on instead. */
export async function waitForHeading(page: Page, title: string, timeout = 15_000): Promise<void> {
  try {
    await page.locator('h1', { hasText: title }).first().waitFor({ timeout });
  } catch {
    const text = await page
      .locator('body')
      .innerText({ timeout: 1_000 })
      .catch(() => '');
    throw new Error(`Expected the page "${title}"; the browser is at ${page.url()}: ${text.slice(0, 500)}`);
  }
}
