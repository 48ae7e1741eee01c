// $escalate through HTTP: a Task and notifications for the target, idempotence, access and bad input.
import type { Communication, DetectedIssue, OperationOutcome } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { asUser } from '../access/testWorld.ts';
import { NOTIFICATION_IDENTIFIER_SYSTEM } from '../notifications/buildNotification.ts';
import { useTestServer } from '../testing/testServer.ts';
import { ALERT_ACTION_SYSTEM, ALERT_TASK_IDENTIFIER_SYSTEM, EXTENSIONS } from './alertCodes.ts';
import {
  alertFor,
  asClinician,
  callOperation,
  create,
  createAlertWorld,
  parameters,
  searchAll,
  tasksOf,
  type AlertWorld,
} from './alertTestWorld.ts';

// Jobs off: these tests read the notifications as created, before any sender would process them.
const ctx = useTestServer({ RPM_RUN_JOBS: 'false' });
let world: AlertWorld;

beforeAll(async () => {
  world = await createAlertWorld(ctx);
});

const openAlert = () => create(ctx, alertFor(world.ref('p'), { severity: 'moderate' }));
const outcomeText = async (res: Response) => ((await res.json()) as OperationOutcome).issue?.[0]?.details?.text ?? '';
/** The alert's notifications (Communication has no `about` search parameter: filtered here). */
async function notificationsOf(alertId: string): Promise<Communication[]> {
  const all = await searchAll<Communication>(ctx, `Communication?subject=${world.ref('p')}&_count=1000`);
  return all.filter((c) => c.about?.some((a) => a.reference === `DetectedIssue/${alertId}`));
}

/** medium code → recipient reference */
function byMedium(notifications: Communication[]): Record<string, string | undefined> {
  return Object.fromEntries(notifications.map((n) => [n.medium?.[0].coding?.[0].code, n.recipient?.[0].reference]));
}

describe('$escalate', () => {
  test("to a PractitionerRole: a requested Task it owns, SMS to the role's phone, email to its practitioner", async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const res = await callOperation(
      drTeam,
      alert.id,
      'escalate',
      parameters({ practitioner: world.ref('onCall'), note: 'Please call the patient' })
    );
    expect(res.status).toBe(200);
    const escalated = (await res.json()) as DetectedIssue;
    expect(escalated.status).toBe('preliminary');
    const [mitigation] = escalated.mitigation ?? [];
    expect(mitigation.action).toEqual({
      coding: [{ system: ALERT_ACTION_SYSTEM, code: 'escalated', display: 'Escalated' }],
      text: `Escalated: to ${world.ref('onCall')} (Please call the patient)`,
    });
    expect(mitigation.author).toEqual({ reference: world.ref('drTeam') });

    const [task] = await tasksOf(ctx, alert.id);
    expect(task).toMatchObject({
      status: 'requested',
      priority: 'urgent',
      code: { coding: [{ code: 'escalated' }] },
      owner: { reference: world.ref('onCall') },
      requester: { reference: world.ref('drTeam') },
      for: { reference: world.ref('p') },
      identifier: [
        {
          system: ALERT_TASK_IDENTIFIER_SYSTEM,
          value: `escalated:DetectedIssue/${alert.id}:moderate:${world.ref('onCall')}`,
        },
      ],
    });
    expect(task.executionPeriod).toBeUndefined();
    expect(mitigation.extension).toContainEqual({
      url: EXTENSIONS.actionTask,
      valueReference: { reference: `Task/${task.id}` },
    });

    const notifications = await notificationsOf(alert.id);
    expect(byMedium(notifications)).toEqual({ SMSWRIT: world.ref('onCall'), EMAILWRIT: world.ref('drOnCall') });
    for (const notification of notifications) {
      expect(notification.status).toBe('preparation');
      expect(notification.about).toContainEqual({ reference: `Task/${task.id}` });
      expect(notification.payload?.[0].contentString).not.toMatch(/Please call the patient|SpO2/);
      expect(notification.identifier?.[0].system).toBe(NOTIFICATION_IDENTIFIER_SYSTEM);
    }
  });

  test('escalating again to the same person changes nothing; to another adds a Task and notifications', async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const first = (await (
      await callOperation(drTeam, alert.id, 'escalate', parameters({ practitioner: world.ref('drTeam') }))
    ).json()) as DetectedIssue;
    const again = await callOperation(drTeam, alert.id, 'escalate', parameters({ practitioner: world.ref('drTeam') }));
    expect(again.status).toBe(200);
    expect(((await again.json()) as DetectedIssue).meta?.versionId).toBe(first.meta?.versionId);
    expect(await tasksOf(ctx, alert.id)).toHaveLength(1);
    expect(byMedium(await notificationsOf(alert.id))).toEqual({
      EMAILWRIT: world.ref('drTeam'),
      SMSWRIT: world.ref('drTeam'),
    });
    const other = await callOperation(drTeam, alert.id, 'escalate', parameters({ practitioner: world.ref('senior') }));
    expect(((await other.json()) as DetectedIssue).mitigation).toHaveLength(2);
    expect(await tasksOf(ctx, alert.id)).toHaveLength(2);
    expect(await notificationsOf(alert.id)).toHaveLength(3);
  });

  test('a target without email or mobile gets the Task only; a system client escalates without an author', async () => {
    const alert = await openAlert();
    const res = await callOperation(
      ctx.api,
      alert.id,
      'escalate',
      parameters({ practitioner: world.ref('noContact') })
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as DetectedIssue).mitigation?.[0].author).toBeUndefined();
    const [task] = await tasksOf(ctx, alert.id);
    expect(task.owner).toEqual({ reference: world.ref('noContact') });
    expect(task.requester).toBeUndefined();
    expect(await notificationsOf(alert.id)).toEqual([]);
  });

  test('the target is required and must exist; out of reach 404; patients 403; closed 409', async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const missing = await callOperation(drTeam, alert.id, 'escalate', parameters({ note: 'x' }));
    expect(missing.status).toBe(400);
    expect(await outcomeText(missing)).toMatch(/"practitioner" is required/);
    const unknown = await callOperation(
      drTeam,
      alert.id,
      'escalate',
      parameters({ practitioner: 'PractitionerRole/x1' })
    );
    expect(unknown.status).toBe(400);
    expect(await outcomeText(unknown)).toMatch(/PractitionerRole\/x1 was not found/);
    expect((await callOperation(drTeam, alert.id, 'escalate', parameters({ practitioner: 'CareTeam/1' }))).status).toBe(
      400
    );
    const drOther = await asClinician(ctx, world.ref('drOther'));
    expect(
      (await callOperation(drOther, alert.id, 'escalate', parameters({ practitioner: world.ref('senior') }))).status
    ).toBe(404);
    const patient = await asUser(ctx, { role: 'patient', fhirUser: world.ref('p') }, 'patient/*.cruds');
    expect(
      (await callOperation(patient, alert.id, 'escalate', parameters({ practitioner: world.ref('senior') }))).status
    ).toBe(403);
    expect(await tasksOf(ctx, alert.id)).toEqual([]);
    expect(await notificationsOf(alert.id)).toEqual([]);
  });
});
