// E2E helpers for the patient app's check-in, messages and devices screens: a browser page, sign-in, axe, a care team.
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { CarePlan, Practitioner, Questionnaire } from '@medplum/fhirtypes';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { checkInActivity } from '../server/src/seed/symptomCheckIns.ts';
import type { TestServerContext } from '../server/src/testing/testServer.ts';
import { issueUserToken } from '../server/src/testing/userTokens.ts';
import { fhirFetch } from '../server/src/testing/testServer.ts';
import { createCareTeam, createResource, heading, waitForHeading, waitForUrl } from './support.ts';
import { readFileSync } from 'node:fs';

export const ARTIFACTS = new URL('./artifacts/patient-app/', import.meta.url).pathname;
export const PHONE = { width: 360, height: 740 };
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface PhonePage {
  context: BrowserContext;
  page: Page;
  /** Requests to other origins (aborted) and uncaught page errors: both must stay empty. */
  blocked: string[];
  pageErrors: string[];
}

/** A phone-sized page (360×740, touch) whose requests may go only to the test server. */
export async function phonePage(browser: Browser, baseUrl: string, initScript?: string): Promise<PhonePage> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  if (initScript) {
    await context.addInitScript(initScript);
  }
  const page = await context.newPage();
  const result: PhonePage = { context, page, blocked: [], pageErrors: [] };
  page.on('pageerror', (err) => result.pageErrors.push(err.message));
  await context.route(
    (url) => url.origin !== baseUrl,
    (route) => {
      result.blocked.push(route.request().url());
      return route.abort();
    }
  );
  return result;
}

/** Opens launch.html, signs in on the server's login page, and waits for Today. */
export async function signInToApp(
  page: Page,
  app: { appUrl: string; clientId: string },
  person: { email: string; password: string }
): Promise<void> {
  await page.goto(`${app.appUrl}launch.html?clientId=${app.clientId}`);
  await waitForUrl(page, (url) => url.pathname.startsWith('/oauth2/interaction/'));
  expect(await heading(page)).toBe('Sign in');
  await page.locator('#email').fill(person.email);
  await page.locator('#password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForUrl(page, (url) => url.pathname.startsWith('/apps/patient/today'));
  await waitForHeading(page, 'Today');
}

/** Follows a bottom-menu link and waits for the screen's heading. */
export async function openScreen(page: Page, menuLabel: string, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: menuLabel }).click();
  await waitForHeading(page, title);
}

/** axe (WCAG 2.1 A/AA) serious and critical violations, sideways scrolling and clipping at 360 px (1.4.10). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
  const found = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) {
    found.push(`the page scrolls sideways by ${overflow} px at 360 px wide`);
  }
  // Cut off on the right: the fixed header and menu do not scroll, so the width check above misses them.
  const clipped = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('header *, footer *, main *')]
      .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().right > window.innerWidth + 1)
      .map((el) => `${el.tagName} "${(el.textContent ?? '').trim().slice(0, 30)}"`)
  );
  found.push(...clipped.map((el) => `${el} is cut off on the right at 360 px`));
  return found;
}

/** Buttons, links and text fields in the main area smaller than 44×44 px. */
export async function smallTouchTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLElement>(
        'main button, main a, main input:not([type=radio]), main textarea, nav a'
      ),
    ]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.height < 44 || box.width < 44)
      .map(
        ({ el, box }) =>
          `${el.tagName} "${el.textContent?.trim() ?? ''}" ${Math.round(box.width)}×${Math.round(box.height)}`
      )
  );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** Stores the heart-failure check-in Questionnaire (admin) and assigns it on the patient's active CarePlan. */
export async function assignCheckIn(ctx: TestServerContext, patientId: string): Promise<void> {
  const questionnaire = JSON.parse(
    readFileSync(
      new URL('../fhir/profiles/examples/rpm-questionnaire-heart-failure-symptoms.json', import.meta.url),
      'utf8'
    )
  ) as Questionnaire;
  await ctx.medplum.updateResource(questionnaire);
  const [carePlan] = await ctx.medplum.searchResources('CarePlan', {
    subject: `Patient/${patientId}`,
    status: 'active',
  });
  await ctx.medplum.updateResource<CarePlan>({
    ...(carePlan as CarePlan),
    activity: [...((carePlan as CarePlan).activity ?? []), checkInActivity()],
  });
}

/** A nurse on the patient's care team, with a clinician token for the FHIR API (the clinician side of messages). */
export async function careTeamNurse(
  ctx: TestServerContext,
  patientId: string
): Promise<{ practitioner: Practitioner & { id: string }; api: ReturnType<typeof fhirFetch> }> {
  const practitioner = await createResource<Practitioner>(ctx, {
    resourceType: 'Practitioner',
    name: [{ prefix: ['Nurse'], given: ['Sam'], family: 'Bennett' }],
  });
  await createCareTeam(ctx, patientId, practitioner.id);
  const token = await issueUserToken(ctx.server, {
    accountId: `nurse-${practitioner.id}`,
    scope: 'openid fhirUser user/*.cruds',
    role: 'clinician',
    fhirUser: `Practitioner/${practitioner.id}`,
  });
  return { practitioner, api: fhirFetch(ctx.server, token) };
}
