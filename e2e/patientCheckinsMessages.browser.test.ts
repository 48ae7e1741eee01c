// The patient app's check-in and messages screens at phone size: a check-in answered (QuestionnaireResponse on the
// server, a red flag alerted by the built-in bot), messages exchanged with a clinician (live, with read state in the
// clinician app), axe on every screen.
import type { Communication, DetectedIssue, QuestionnaireResponse } from '@medplum/fhirtypes';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createStaffPerson, nextTotp } from '../server/src/testing/smartFlow.ts';
import { useTestServer } from '../server/src/testing/testServer.ts';
import { registerClinicianApp, type ClinicianAppClient } from './clinicianAppClient.ts';
import { createMonitoredPatient, registerPatientApp, type PatientAppClient } from './patientAppClient.ts';
import {
  accessibilityProblems,
  assignCheckIn,
  careTeamNurse,
  openScreen,
  phonePage,
  screenshot,
  signInToApp,
  smallTouchTargets,
  type PhonePage,
} from './patientScreens.ts';
import { createCareTeam, heading, launchChromium, waitForHeading, waitForUrl } from './support.ts';

const ctx = useTestServer({ RPM_BUILT_IN_BOTS: 'true' });
const TEST_TIMEOUT = 150_000;
/** A live change must show well before the 20 s poll (which is off anyway while the socket is live). */
const LIVE_MS = 10_000;

let browser: Browser;
let app: PatientAppClient;
let clinicianApp: ClinicianAppClient;
let phone: PhonePage | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  app = await registerPatientApp(ctx, 'checkins');
  clinicianApp = await registerClinicianApp(ctx, 'patient-messages');
}, 300_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await phone?.context.close();
  expect(phone?.blocked, 'requests to other origins').toEqual([]);
  expect(phone?.pageErrors, 'uncaught errors in the app').toEqual([]);
  phone = undefined;
});

async function search<T>(path: string): Promise<T[]> {
  const res = await ctx.api(path);
  const bundle = (await res.json()) as { entry?: { resource: T }[] };
  return (bundle.entry ?? []).map((e) => e.resource);
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('check-in', () => {
  test(
    'the patient answers the assigned check-in; a missing answer is named; a red flag raises an amber alert',
    async () => {
      const patient = await createMonitoredPatient(ctx);
      await assignCheckIn(ctx, patient.patientId);
      phone = await phonePage(browser, ctx.server.baseUrl);
      const { page } = phone;
      await signInToApp(page, app, patient);
      await openScreen(page, 'Check-in', 'Check-in');
      await page.getByText('You have not done this one yet').waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await smallTouchTargets(page)).toEqual([]);
      await screenshot(page, 'check-in-list');

      await page.getByRole('button', { name: 'Start check-in' }).click();
      await page.getByRole('radiogroup', { name: 'How is your breathing today?' }).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await smallTouchTargets(page)).toEqual([]);
      // Each answer's whole row (its label) is a touch target of at least 44 px.
      const labelHeights = await page
        .locator('main input[type=radio]')
        .evaluateAll((radios) =>
          radios.map((r) => Math.round((r as HTMLInputElement).labels?.[0]?.getBoundingClientRect().height ?? 0))
        );
      expect(labelHeights.length).toBeGreaterThan(10);
      expect(labelHeights.filter((h) => h < 44)).toEqual([]);
      await screenshot(page, 'check-in-form');

      // Keyboard and touch: choose answers by their words; leave one required question out.
      await page.getByRole('radio', { name: 'Out of breath when I sit still or rest' }).check();
      await page.getByRole('radio', { name: 'Yes, a little' }).check();
      await page
        .getByRole('radiogroup', { name: /sleep sitting up/ })
        .getByRole('radio', { name: 'Yes' })
        .check();
      await page.getByLabel('How many pillows did you sleep on last night?', { exact: false }).fill('three');
      await page.getByRole('button', { name: 'Send my answers' }).click();
      await page.getByText('Please type a whole number, like 2.').waitFor();
      await expect(page.getByText('Please choose an answer.')).toBeDefined();
      expect(await page.getByText('Please choose an answer.').count()).toBe(1);
      // What was chosen is kept.
      expect(await page.getByRole('radio', { name: 'Out of breath when I sit still or rest' }).isChecked()).toBe(true);
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, 'check-in-form-problems');

      await page.getByLabel('How many pillows did you sleep on last night?', { exact: false }).fill('3');
      await page
        .getByRole('radiogroup', { name: 'Have you felt dizzy or faint today?' })
        .getByRole('radio', { name: 'No' })
        .check();
      await page.getByLabel('Is there anything else', { exact: false }).fill('Worse since yesterday evening.');
      await page.getByRole('button', { name: 'Send my answers' }).click();
      await page.getByRole('status').getByText('Your answers have been sent to your care team.').waitFor();
      await page.getByText(/^Last sent/).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, 'check-in-sent');

      const [response] = await search<QuestionnaireResponse>(
        `QuestionnaireResponse?subject=Patient/${patient.patientId}`
      );
      expect(response).toMatchObject({
        status: 'completed',
        questionnaire: 'http://rpm-platform.org/fhir/Questionnaire/heart-failure-symptom-check-in|0.1.0',
        subject: { reference: `Patient/${patient.patientId}` },
      });
      expect(Date.now() - Date.parse(response.authored as string)).toBeLessThan(120_000);
      const answers = Object.fromEntries(
        (response.item ?? []).map((i) => [i.linkId, i.answer?.[0]?.valueCoding?.code ?? i.answer?.[0]])
      );
      expect(answers).toMatchObject({
        breathing: 'at-rest',
        swelling: 'a-little',
        'propped-up': { valueBoolean: true },
        pillows: { valueInteger: 3 },
        dizziness: 'no',
        'anything-else': { valueString: 'Worse since yesterday evening.' },
      });

      // The rule: breathless at rest → one amber alert implicating the response.
      const alerts = await waitFor(
        () => search<DetectedIssue>(`DetectedIssue?patient=Patient/${patient.patientId}`),
        (found) => found.length > 0
      );
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        severity: 'moderate',
        status: 'preliminary',
        code: { coding: [{ code: 'symptom-check-in-red-flag' }] },
        implicated: [{ reference: `QuestionnaireResponse/${response.id}` }],
      });
    },
    TEST_TIMEOUT
  );

  test(
    'no check-in assigned: the screen says so in plain words',
    async () => {
      const patient = await createMonitoredPatient(ctx);
      phone = await phonePage(browser, ctx.server.baseUrl);
      await signInToApp(phone.page, app, patient);
      await openScreen(phone.page, 'Check-in', 'Check-in');
      await phone.page.getByText('You have no check-ins to do.').waitFor();
      expect(await accessibilityProblems(phone.page)).toEqual([]);
    },
    TEST_TIMEOUT
  );
});

describe('messages', () => {
  test(
    'patient and nurse exchange messages; a new reply is marked and then received; a failed send keeps the text',
    async () => {
      const patient = await createMonitoredPatient(ctx);
      const nurse = await careTeamNurse(ctx, patient.patientId);
      phone = await phonePage(browser, ctx.server.baseUrl);
      const { page } = phone;
      await signInToApp(page, app, patient);
      await openScreen(page, 'Messages', 'Messages');
      await page.getByText('No messages yet.').waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await smallTouchTargets(page)).toEqual([]);

      // An empty message is refused in plain words.
      await page.getByRole('button', { name: 'Send message' }).click();
      await page.getByText('Please write your message first.').waitFor();

      await page.getByLabel('Write a message to your care team').fill('My ankles are more swollen today.');
      await page.getByRole('button', { name: 'Send message' }).click();
      await page.getByRole('status').getByText('Your message has been sent.').waitFor();
      expect(await page.getByLabel('Write a message to your care team').inputValue()).toBe('');
      await page.getByTestId('message').getByText('My ankles are more swollen today.').waitFor();

      // The clinician sees it through the FHIR API (their token, their reach) and replies.
      const res = await nurse.api(`Communication?subject=Patient/${patient.patientId}`);
      expect(res.status).toBe(200);
      const received = ((await res.json()) as { entry?: { resource: Communication }[] }).entry ?? [];
      expect(received).toHaveLength(1);
      expect(received[0].resource).toMatchObject({
        status: 'completed',
        sender: { reference: `Patient/${patient.patientId}` },
        recipient: [{ reference: `Practitioner/${nurse.practitioner.id}` }],
        payload: [{ contentString: 'My ankles are more swollen today.' }],
      });
      const reply = await nurse.api('Communication', {
        method: 'POST',
        body: JSON.stringify({
          resourceType: 'Communication',
          status: 'completed',
          subject: { reference: `Patient/${patient.patientId}` },
          sender: { reference: `Practitioner/${nurse.practitioner.id}` },
          recipient: [{ reference: `Patient/${patient.patientId}` }],
          inResponseTo: [{ reference: `Communication/${received[0].resource.id}` }],
          sent: new Date().toISOString(),
          payload: [{ contentString: 'Thank you. Please weigh yourself and send the reading.' }],
        } satisfies Communication),
      });
      expect(reply.status).toBe(201);
      const replyId = ((await reply.json()) as Communication).id;

      // The reply arrives live (websocket Subscription; else the 20 s poll): at the bottom, marked New, with the name.
      const last = page.getByTestId('message').last();
      await last.getByText('Thank you. Please weigh yourself').waitFor({ timeout: 30_000 });
      expect(await last.getByText('New', { exact: true }).isVisible()).toBe(true);
      expect(await last.getByText('Nurse Sam Bennett').isVisible()).toBe(true);
      await page.getByText('You have 1 new message.').waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, 'messages-new-reply');
      // Shown to the patient: Communication.received is set on the server.
      const marked = await waitFor(
        async () => (await (await ctx.api(`Communication/${replyId}`)).json()) as Communication,
        (c) => !!c.received
      );
      expect(marked.received).toBeTruthy();

      // Offline: the send fails, the text stays in the box with a plain-words reason.
      await phone.context.setOffline(true);
      await page.getByLabel('Write a message to your care team').fill('I have weighed myself.');
      await page.getByRole('button', { name: 'Send message' }).click();
      await page.getByText(/No internet connection.*Your message is still in the box/).waitFor();
      expect(await page.getByLabel('Write a message to your care team').inputValue()).toBe('I have weighed myself.');
      await screenshot(page, 'messages-send-failed');
      await phone.context.setOffline(false);
      await page.getByRole('button', { name: 'Send message' }).click();
      await page.getByRole('status').getByText('Your message has been sent.').waitFor();
      await page.getByTestId('message').last().getByText('I have weighed myself.').waitFor();
      expect(await page.getByTestId('message').count()).toBe(3);
      expect(await page.getByLabel('Write a message to your care team').inputValue()).toBe('');
    },
    TEST_TIMEOUT
  );

  test(
    "live: a clinician's message marks Messages on Today and appears in the open thread within seconds; reading it shows as Read to the clinician",
    async () => {
      const patient = await createMonitoredPatient(ctx);
      const clinician = await createStaffPerson(ctx.server, { role: 'clinician' });
      await createCareTeam(ctx, patient.patientId, clinician.practitionerId);
      phone = await phonePage(browser, ctx.server.baseUrl);
      const { page } = phone;
      await signInToApp(page, app, patient);
      // The app holds its websocket Subscription while signed in (polling stops while it is live).
      await page.locator('[data-testid="new-messages-cue"][data-live="live"]').waitFor({ state: 'attached' });
      const subscriptions = await search<{ criteria?: string; channel?: { type?: string } }>(
        `Subscription?criteria=${encodeURIComponent(`Communication?recipient=Patient/${patient.patientId}`)}`
      );
      expect(subscriptions.map((s) => s.channel?.type)).toEqual(['websocket']);

      await openScreen(page, 'Messages', 'Messages');
      await page.getByLabel('Write a message to your care team').fill('Is my weight going up a problem?');
      await page.getByRole('button', { name: 'Send message' }).click();
      await page.getByRole('status').getByText('Your message has been sent.').waitFor();
      const [question] = await search<Communication>(`Communication?sender=Patient/${patient.patientId}`);
      expect(question.received).toBeUndefined();
      await openScreen(page, 'Today', 'Today');

      // The clinician opens the patient's messages in the clinician app: the patient's message is marked received.
      const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const clinicianPage = await desk.newPage();
        const clinicianErrors: string[] = [];
        clinicianPage.on('pageerror', (err) => clinicianErrors.push(err.message));
        await clinicianPage.goto(`${clinicianApp.appUrl}launch.html?clientId=${clinicianApp.clientId}`);
        await waitForUrl(clinicianPage, (url) => url.pathname.startsWith('/oauth2/interaction/'));
        expect(await heading(clinicianPage)).toBe('Sign in');
        await clinicianPage.locator('#email').fill(clinician.email);
        await clinicianPage.locator('#password').fill(clinician.password);
        await clinicianPage.getByRole('button', { name: 'Sign in' }).click();
        await waitForHeading(clinicianPage, 'Enter your security code');
        await clinicianPage.locator('#code').fill(nextTotp(clinician));
        await clinicianPage.getByRole('button', { name: 'Continue' }).click();
        // The first load of the caseload can be slow on a busy test machine.
        await waitForHeading(clinicianPage, 'Caseload', 45_000);
        await clinicianPage.getByRole('link', { name: new RegExp(patient.family, 'i') }).click();
        await waitForUrl(clinicianPage, (url) => url.pathname.endsWith(`/patient/${patient.patientId}`));
        await clinicianPage.getByRole('tab', { name: 'Messages' }).click();
        const thread = clinicianPage.getByTestId('message-thread');
        await thread.getByText('Is my weight going up a problem?').waitFor();
        const seen = await waitFor(
          async () => (await (await ctx.api(`Communication/${question.id}`)).json()) as Communication,
          (c) => !!c.received
        );
        expect(seen.received).toBeTruthy();

        // The clinician replies: on the patient's Today screen, the Messages item gets a "1 new" mark within
        // seconds (the poll would take up to 20 s and is off while the socket is live).
        await clinicianPage.getByLabel('New message to the patient').fill('A little is normal. Weigh again tomorrow.');
        await clinicianPage.getByRole('button', { name: 'Send message' }).click();
        await clinicianPage.getByRole('tabpanel').getByRole('status').getByText('Message sent.').waitFor();
        await thread.getByTestId('read-state').getByText('Not read yet').waitFor();
        const menuLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Messages/ });
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: /^Messages\W*1 new message$/ })
          .waitFor({ timeout: LIVE_MS });
        expect(await menuLink.getByText('1 new', { exact: true }).isVisible()).toBe(true);
        await page.getByTestId('new-messages-cue').getByText('1 new message from your care team.').waitFor({
          state: 'attached',
        });
        expect(await accessibilityProblems(page)).toEqual([]);
        expect(await smallTouchTargets(page)).toEqual([]);
        await screenshot(page, 'today-new-message-mark');

        // Reading it: shown, marked New; received on the server; the mark goes; the clinician sees "Read hh:mm".
        await openScreen(page, 'Messages', 'Messages');
        await page.getByTestId('message').last().getByText('A little is normal.', { exact: false }).waitFor();
        await page.getByText('You have 1 new message.').waitFor();
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: 'Messages', exact: true })
          .waitFor({ timeout: LIVE_MS });
        await expect
          .poll(() => thread.getByTestId('read-state').last().innerText(), { timeout: LIVE_MS })
          .toMatch(/^Read \d{2}:\d{2}$/);

        // With Messages open, the next message appears without a reload, well before the 20 s poll.
        const loads: string[] = [];
        page.on('framenavigated', (frame) => frame === page.mainFrame() && loads.push(frame.url()));
        await clinicianPage.getByLabel('New message to the patient').fill('Thank you for letting us know.');
        await clinicianPage.getByRole('button', { name: 'Send message' }).click();
        await page
          .getByTestId('message')
          .last()
          .getByText('Thank you for letting us know.')
          .waitFor({ timeout: LIVE_MS });
        expect(await page.getByTestId('message').last().getByText('New', { exact: true }).isVisible()).toBe(true);
        expect(loads).toEqual([]);
        expect(await accessibilityProblems(page)).toEqual([]);
        await screenshot(page, 'messages-live-reply');
        await expect
          .poll(() => thread.getByTestId('read-state').last().innerText(), { timeout: LIVE_MS })
          .toMatch(/^Read \d{2}:\d{2}$/);
        expect(clinicianErrors).toEqual([]);
      } finally {
        await desk.close();
      }
    },
    TEST_TIMEOUT
  );
});
