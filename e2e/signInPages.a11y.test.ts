// Accessibility of the sign-in pages in Chromium: axe (WCAG 2.1 A/AA) at phone and desktop sizes, and keyboard use.
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  authorizeUrl,
  createPatientPerson,
  createStaffPerson,
  newPkce,
  type TestPerson,
} from '../server/src/testing/smartFlow.ts';
import { useTestServer } from '../server/src/testing/testServer.ts';
import {
  createCareTeam,
  createPatient,
  heading,
  launchChromium,
  publicAppMetadata,
  randomSuffix,
  registerClient,
  unusedTotp,
  waitForHeading,
} from './support.ts';

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Each page is checked at both sizes: laid out for a phone first, then resized to a desktop window. */
const VIEWPORTS = [
  { name: 'phone 375×667', size: { width: 375, height: 667 } },
  { name: 'desktop 1280×800', size: { width: 1280, height: 800 } },
];

const ctx = useTestServer();
let browser: Browser;
/** People shared by the tests: signing in to look at a page uses nothing up (each test gets its own session). */
let patient: TestPerson;
let clinician: TestPerson & { practitionerId: string };
let unenrolledClinician: TestPerson;
let pickablePatientId: string;
const suffix = randomSuffix();
/** Real names can be long; pages listing patients must still fit a phone screen (WCAG 1.4.10 Reflow). */
const LONG_GIVEN = 'Maximiliana Alexandra';
const LONG_FAMILY = 'Featherstonehaugh-Cholmondeley';
/** A third-party (consent page) public client; its redirect URI is never reached by these tests. */
const clientId = `e2e-a11y-${suffix}`;
const clientName = `E2E accessibility app ${suffix}`;
const redirectUri = 'http://127.0.0.1:9/callback';

beforeAll(async () => {
  browser = await launchChromium();
  await registerClient(
    ctx,
    publicAppMetadata({ clientId, clientName, redirectUri, launchUri: 'http://127.0.0.1:9/launch.html' })
  );
  // Accounts hash their passwords (slow on purpose): create them side by side.
  [patient, clinician, unenrolledClinician] = await Promise.all([
    createPatientPerson(ctx.server),
    createStaffPerson(ctx.server, { role: 'clinician' }),
    createStaffPerson(ctx.server, { role: 'clinician', enrolMfa: false }),
  ]);
  // A patient on the clinician's care team, for the patient picker.
  pickablePatientId = (await createPatient(ctx, LONG_GIVEN, `${LONG_FAMILY}${suffix}`)).id;
  await createCareTeam(ctx, pickablePatientId, clinician.practitionerId);
});
afterAll(async () => {
  await browser?.close();
});

/** The authorization request of a standalone launch with this file's client: the browser lands on the login page. */
function standaloneAuthorizeUrl(scope = 'launch/patient openid fhirUser patient/*.rs'): string {
  return authorizeUrl(ctx.server, { clientId, redirectUri, scope, pkce: newPkce() });
}

/** Runs axe (and a reflow check) on the page at each viewport size; a readable list of problems, empty if none. */
async function axeViolations(
  page: Page,
  options: { quiet?: boolean } = {}
): Promise<{ ids: string[]; report: string }> {
  const ids: string[] = [];
  const lines: string[] = [];
  // Legacy mode runs axe in the page itself (about twice as fast as the default, which finishes each run in an
  // extra tab); it only differs for pages with frames, and these pages have none.
  expect(page.frames()).toHaveLength(1);
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport.size);
    const results = await new AxeBuilder({ page })
      .withTags(WCAG_TAGS)
      .options({ resultTypes: ['violations'] })
      .setLegacyMode(true)
      .analyze();
    for (const v of results.violations) {
      ids.push(`${v.id} @ ${viewport.name}`);
      lines.push(`  [${viewport.name}] ${v.id} (${v.impact ?? 'n/a'}): ${v.help} <${v.helpUrl}>`);
      for (const node of v.nodes) {
        lines.push(
          `      ${node.target.join(' ')}${node.failureSummary ? ` — ${node.failureSummary.replace(/\s+/g, ' ')}` : ''}`
        );
      }
    }
    // WCAG 1.4.10 Reflow, which axe does not test: no horizontal scrolling at a phone's width.
    if (viewport.size.width < 600) {
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll<HTMLElement>('body *')]
          .filter((el) => el.getBoundingClientRect().right > width + 1)
          .map(
            (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${el.className}` : ''}`
          );
        return document.documentElement.scrollWidth > width ? wide.slice(0, 5) : [];
      });
      if (overflow.length > 0) {
        ids.push(`reflow @ ${viewport.name}`);
        lines.push(`  [${viewport.name}] reflow: the page scrolls horizontally; too wide: ${overflow.join(', ')}`);
      }
    }
  }
  const report = lines.join('\n');
  if (report && !options.quiet) {
    console.error(`accessibility problems on ${page.url()} ("${await heading(page)}"):\n${report}`);
  }
  return { ids, report };
}

async function expectNoViolations(page: Page): Promise<void> {
  const { ids, report } = await axeViolations(page);
  expect(ids, `accessibility problems:\n${report}`).toEqual([]);
}

async function submitLogin(page: Page, email: string, password: string): Promise<void> {
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('sign-in pages: axe (WCAG 2.1 A and AA) and reflow, at phone and desktop sizes', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext({ viewport: VIEWPORTS[0].size });
  });
  afterAll(async () => {
    await context?.close();
  });

  /** Each page is checked in a fresh tab with no sign-in session left from the page before. */
  async function freshPage(): Promise<Page> {
    await context.clearCookies();
    await page?.close();
    page = await context.newPage();
    await page.setViewportSize(VIEWPORTS[0].size);
    return page;
  }

  test('login page', async () => {
    await (await freshPage()).goto(standaloneAuthorizeUrl());
    await waitForHeading(page, 'Sign in');
    await expectNoViolations(page);
  });

  test('login page showing an error (wrong password)', async () => {
    await (await freshPage()).goto(standaloneAuthorizeUrl());
    await waitForHeading(page, 'Sign in');
    await submitLogin(page, patient.email, `${patient.password}-wrong`);
    await page.locator('.error-summary').waitFor();
    expect(await page.title()).toMatch(/^Error: /);
    expect(await page.locator('#password').getAttribute('aria-invalid')).toBe('true');
    await expectNoViolations(page);
  });

  test('MFA page', async () => {
    await (await freshPage()).goto(standaloneAuthorizeUrl());
    await submitLogin(page, clinician.email, clinician.password);
    await waitForHeading(page, 'Enter your security code');
    await expectNoViolations(page);
  });

  test('MFA page showing an error (wrong code)', async () => {
    await (await freshPage()).goto(standaloneAuthorizeUrl());
    await submitLogin(page, clinician.email, clinician.password);
    await waitForHeading(page, 'Enter your security code');
    await page.locator('#code').fill('000000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.error-summary').waitFor();
    await expectNoViolations(page);
  });

  test('MFA enrolment page', async () => {
    await (await freshPage()).goto(standaloneAuthorizeUrl());
    await submitLogin(page, unenrolledClinician.email, unenrolledClinician.password);
    await waitForHeading(page, 'Set up your security code');
    expect(((await page.locator('#totp-secret').textContent()) ?? '').trim()).toMatch(/^[A-Z2-7]{16,}=*$/);
    await expectNoViolations(page);
  });

  test('patient picker', async () => {
    await (await freshPage()).goto(standaloneAuthorizeUrl('launch/patient openid fhirUser patient/*.rs user/*.rs'));
    await submitLogin(page, clinician.email, clinician.password);
    await waitForHeading(page, 'Enter your security code');
    await page.locator('#code').fill(unusedTotp(clinician.totpSecret as string));
    await page.getByRole('button', { name: 'Continue' }).click();
    await waitForHeading(page, 'Choose a patient');
    expect(await page.locator(`button[name="patient"][value="${pickablePatientId}"]`).count()).toBe(1);
    await expectNoViolations(page);
  });

  test('consent page', async () => {
    await (await freshPage()).goto(standaloneAuthorizeUrl());
    await submitLogin(page, patient.email, patient.password);
    await waitForHeading(page, `Allow ${clientName} to connect?`);
    await expectNoViolations(page);
  });

  test('error page (unknown client_id)', async () => {
    await (
      await freshPage()
    ).goto(
      authorizeUrl(ctx.server, {
        clientId: `no-such-client-${randomSuffix()}`,
        redirectUri,
        scope: 'openid patient/*.rs',
        pkce: newPkce(),
      })
    );
    await waitForHeading(page, 'Sorry, this sign-in could not continue');
    expect(await page.locator('code').textContent()).toBe('invalid_client');
    await expectNoViolations(page);
  });

  test('EHR launcher page', async () => {
    // Created just before the page is opened, so that it is among the (50 most recent) patients the launcher lists.
    const listed = await createPatient(ctx, LONG_GIVEN, LONG_FAMILY);
    await (await freshPage()).goto(`${ctx.server.baseUrl}/oauth2/ehr-launcher`);
    await waitForHeading(page, 'EHR launcher (demo)');
    expect(await page.locator(`#app option[value="${clientId}"]`).count()).toBe(1);
    expect(await page.locator(`#patient option[value="${listed.id}"]`).textContent()).toBe(
      `${LONG_GIVEN} ${LONG_FAMILY}`
    );
    await expectNoViolations(page);
  });
});

describe('the checks themselves', () => {
  test('axe and the reflow check do report problems (a control: the page is broken on purpose)', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS[0].size });
    try {
      const page = await context.newPage();
      await page.goto(standaloneAuthorizeUrl());
      await waitForHeading(page, 'Sign in');
      await page.evaluate(() => {
        document.querySelector('label[for="email"]')?.removeAttribute('for');
        (document.querySelector('h1') as HTMLElement).style.color = '#c8c8c8';
        (document.querySelector('main') as HTMLElement).style.minWidth = '900px';
      });
      const { ids } = await axeViolations(page, { quiet: true });
      expect(ids).toEqual(
        expect.arrayContaining([
          'label @ phone 375×667',
          'color-contrast @ phone 375×667',
          'reflow @ phone 375×667',
          'label @ desktop 1280×800',
        ])
      );
    } finally {
      await context.close();
    }
  });
});

describe('keyboard use of the login page', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
  });

  test('the first Tab stop is the email field (or a skip link), then the password field and the button', async () => {
    await page.goto(standaloneAuthorizeUrl());
    await waitForHeading(page, 'Sign in');
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el
          ? {
              tag: el.tagName.toLowerCase(),
              id: el.id,
              text: (el.textContent ?? '').trim(),
              href: el.getAttribute('href'),
            }
          : null;
      });
    await page.keyboard.press('Tab');
    const first = await focused();
    const skipLink = first?.tag === 'a' && (first.href ?? '').startsWith('#');
    expect(first?.id === 'email' || skipLink, `first focus: ${JSON.stringify(first)}`).toBe(true);
    if (skipLink) {
      await page.keyboard.press('Tab');
      expect((await focused())?.id).toBe('email');
    }
    await page.keyboard.press('Tab');
    expect((await focused())?.id).toBe('password');
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ tag: 'button', text: 'Sign in' });
  });

  test('typing the credentials and pressing Enter submits the form', async () => {
    await page.context().clearCookies();
    await page.goto(standaloneAuthorizeUrl());
    await waitForHeading(page, 'Sign in');
    await page.locator('#email').focus();
    await page.keyboard.type(patient.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(patient.password);
    await page.keyboard.press('Enter');
    // Signed in: the next step of the flow (this client is third-party, so the consent page).
    await waitForHeading(page, `Allow ${clientName} to connect?`);
  });

  test('an error after a wrong password is announced and the email is kept', async () => {
    await page.context().clearCookies();
    await page.goto(standaloneAuthorizeUrl());
    await waitForHeading(page, 'Sign in');
    await page.locator('#email').fill('nobody@example.org');
    await page.locator('#password').fill('not-the-password');
    await page.locator('#password').press('Enter');
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').getAttribute('role')).toBe('alert');
    expect(await page.locator('#email').inputValue()).toBe('nobody@example.org');
    expect(await page.locator('#password').getAttribute('aria-describedby')).toBe('password-error');
    expect(((await page.locator('#password-error').textContent()) ?? '').trim()).toContain('not right');
  });
});
