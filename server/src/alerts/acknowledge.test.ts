// $acknowledge through HTTP: mitigation and Task, idempotence, who may acknowledge, bad input, concurrent calls.
import type { DetectedIssue, OperationOutcome, Task } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { asUser } from '../access/testWorld.ts';
import { useTestServer } from '../testing/testServer.ts';
import { ALERT_ACTION_SYSTEM, ALERT_TASK_IDENTIFIER_SYSTEM, EXTENSIONS } from './alertCodes.ts';
import {
  alertFor,
  asClinician,
  callOperation,
  create,
  createAlertWorld,
  parameters,
  tasksOf,
  type AlertWorld,
} from './alertTestWorld.ts';

// Jobs off: these tests read the notifications as created, before any sender would process them.
const ctx = useTestServer({ RPM_RUN_JOBS: 'false' });
let world: AlertWorld;

beforeAll(async () => {
  world = await createAlertWorld(ctx);
});

const openAlert = () => create(ctx, alertFor(world.ref('p')));
const outcomeText = async (res: Response) => ((await res.json()) as OperationOutcome).issue?.[0]?.details?.text ?? '';

describe('$acknowledge', () => {
  test("a clinician on the patient's CareTeam acknowledges: mitigation, Task in progress, alert still open", async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const res = await callOperation(drTeam, alert.id, 'acknowledge', parameters({ note: 'Phoned the patient' }));
    expect(res.status).toBe(200);
    const acknowledged = (await res.json()) as DetectedIssue;
    expect(acknowledged.status).toBe('preliminary');
    expect(acknowledged.meta?.versionId).not.toBe(alert.meta?.versionId);
    const [mitigation] = acknowledged.mitigation ?? [];
    expect(mitigation.action.coding).toEqual([
      { system: ALERT_ACTION_SYSTEM, code: 'acknowledged', display: 'Acknowledged' },
    ]);
    expect(mitigation.action.text).toBe('Acknowledged: Phoned the patient');
    expect(mitigation.author).toEqual({ reference: world.ref('drTeam') });
    expect(Date.now() - Date.parse(mitigation.date as string)).toBeLessThan(60_000);
    expect(mitigation.extension).toContainEqual({ url: EXTENSIONS.actionSeverity, valueCode: 'high' });

    const tasks = await tasksOf(ctx, alert.id);
    expect(tasks).toHaveLength(1);
    const task = tasks[0];
    expect(mitigation.extension).toContainEqual({
      url: EXTENSIONS.actionTask,
      valueReference: { reference: `Task/${task.id}` },
    });
    expect(task).toMatchObject({
      status: 'in-progress',
      intent: 'order',
      priority: 'asap',
      code: { coding: [{ system: ALERT_ACTION_SYSTEM, code: 'acknowledged' }] },
      focus: { reference: `DetectedIssue/${alert.id}` },
      for: { reference: world.ref('p') },
      owner: { reference: world.ref('drTeam') },
      requester: { reference: world.ref('drTeam') },
      identifier: [{ system: ALERT_TASK_IDENTIFIER_SYSTEM, value: `acknowledged:DetectedIssue/${alert.id}:high` }],
      note: [{ text: 'Phoned the patient' }],
    });
    expect(task.executionPeriod?.start).toBe(mitigation.date);
    expect(task.authoredOn).toBe(mitigation.date);
  });

  test('acknowledging again (same or another clinician) answers 200 with the alert unchanged', async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const first = (await (await callOperation(drTeam, alert.id, 'acknowledge', {})).json()) as DetectedIssue;
    const again = await callOperation(drTeam, alert.id, 'acknowledge', parameters({ note: 'again' }));
    expect(again.status).toBe(200);
    expect(((await again.json()) as DetectedIssue).meta?.versionId).toBe(first.meta?.versionId);
    const admin = await callOperation(
      ctx.api,
      alert.id,
      'acknowledge',
      parameters({ practitioner: world.ref('drOnCall') })
    );
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as DetectedIssue).mitigation).toHaveLength(1);
    expect(await tasksOf(ctx, alert.id)).toHaveLength(1);
  });

  test('an alert whose severity rose after the acknowledgement can be acknowledged again', async () => {
    const alert = await create(ctx, alertFor(world.ref('p'), { severity: 'moderate' }));
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const acknowledged = (await (await callOperation(drTeam, alert.id, 'acknowledge', {})).json()) as DetectedIssue;
    const raised = await ctx.api(`DetectedIssue/${alert.id}`, {
      method: 'PUT',
      body: JSON.stringify({ ...acknowledged, severity: 'high' }),
    });
    expect(raised.status).toBe(200);
    const again = (await (await callOperation(drTeam, alert.id, 'acknowledge', {})).json()) as DetectedIssue;
    expect(again.mitigation?.map((m) => m.extension?.[0].valueCode)).toEqual(['moderate', 'high']);
    const tasks = await tasksOf(ctx, alert.id);
    expect(tasks.map((t) => t.identifier?.[0].value?.split(':').pop()).sort()).toEqual(['high', 'moderate']);
  });

  test('a system client must name the practitioner; with one it acknowledges in their name', async () => {
    const alert = await openAlert();
    const without = await callOperation(ctx.api, alert.id, 'acknowledge', {});
    expect(without.status).toBe(400);
    expect(await outcomeText(without)).toMatch(/must name the practitioner/);
    const unknown = await callOperation(
      ctx.api,
      alert.id,
      'acknowledge',
      parameters({ practitioner: 'Practitioner/nope' })
    );
    expect(unknown.status).toBe(400);
    expect(await outcomeText(unknown)).toMatch(/Practitioner\/nope was not found/);
    const named = await callOperation(
      ctx.api,
      alert.id,
      'acknowledge',
      parameters({ practitioner: world.ref('onCall') })
    );
    expect(named.status).toBe(200);
    expect(((await named.json()) as DetectedIssue).mitigation?.[0].author).toEqual({ reference: world.ref('onCall') });
  });

  test('a clinician who does not reach the patient gets 404, and nothing is written', async () => {
    const alert = await openAlert();
    const drOther = await asClinician(ctx, world.ref('drOther'));
    const res = await callOperation(drOther, alert.id, 'acknowledge', {});
    expect(res.status).toBe(404);
    expect(await tasksOf(ctx, alert.id)).toEqual([]);
    expect(((await (await ctx.api(`DetectedIssue/${alert.id}`)).json()) as DetectedIssue).mitigation).toBeUndefined();
  });

  test('only clinicians and admins acknowledge, in their own name; scopes apply', async () => {
    const alert = await openAlert();
    const asPatient = await asUser(ctx, { role: 'patient', fhirUser: world.ref('p') }, 'patient/*.cruds');
    expect((await callOperation(asPatient, alert.id, 'acknowledge', {})).status).toBe(403);
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const forOther = await callOperation(
      drTeam,
      alert.id,
      'acknowledge',
      parameters({ practitioner: world.ref('drOther') })
    );
    expect(forOther.status).toBe(403);
    expect(await outcomeText(forOther)).toMatch(/only in their own name/);
    const readOnly = await asClinician(ctx, world.ref('drTeam'), 'user/DetectedIssue.rs');
    expect((await callOperation(readOnly, alert.id, 'acknowledge', {})).status).toBe(403);
    expect(await tasksOf(ctx, alert.id)).toEqual([]);
  });

  test('unknown id 404, closed alert 409, bad Parameters 400', async () => {
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    expect((await callOperation(drTeam, 'no-such-alert', 'acknowledge', {})).status).toBe(404);
    const closed = await create(ctx, alertFor(world.ref('p'), { status: 'final' }));
    const conflict = await callOperation(drTeam, closed.id, 'acknowledge', {});
    expect(conflict.status).toBe(409);
    expect(await outcomeText(conflict)).toMatch(/is closed \(status final\)/);
    const alert = await openAlert();
    const bad: [unknown, RegExp][] = [
      [{ resourceType: 'Patient' }, /must be a Parameters/],
      [[1, 2], /must be a Parameters/],
      [{ resourceType: 'Parameters', parameter: [{ name: 'notes', valueString: 'x' }] }, /Unknown parameter "notes"/],
      [{ resourceType: 'Parameters', parameter: [{ name: 'note', valueInteger: 3 }] }, /must be a valueString/],
      [{ resourceType: 'Parameters', parameter: [{ name: 'note', valueString: '  ' }] }, /must not be empty/],
      [{ resourceType: 'Parameters', parameter: [{ name: 'note', valueString: 'x'.repeat(2001) }] }, /longer than/],
      [parameters({ practitioner: 'Patient/1' }), /must be a valueReference to Practitioner/],
      [
        { resourceType: 'Parameters', parameter: [{ name: 'practitioner', valueString: 'Practitioner/1' }] },
        /valueReference/,
      ],
      [
        {
          resourceType: 'Parameters',
          parameter: [
            { name: 'note', valueString: 'a' },
            { name: 'note', valueString: 'b' },
          ],
        },
        /more than once/,
      ],
      [{ resourceType: 'Parameters', parameter: 'x' }, /must be an array/],
    ];
    for (const [body, message] of bad) {
      const res = await callOperation(drTeam, alert.id, 'acknowledge', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await outcomeText(res)).toMatch(message);
    }
    const notJson = await drTeam(`DetectedIssue/${alert.id}/$acknowledge`, {
      method: 'POST',
      body: '{"resourceType":',
    });
    expect(notJson.status).toBe(400);
    expect((await drTeam(`DetectedIssue/${alert.id}/$acknowledge`)).status).toBe(405);
    expect(await tasksOf(ctx, alert.id)).toEqual([]);
  });

  test('two simultaneous acknowledgements end with one mitigation and one Task', async () => {
    for (let round = 0; round < 3; round++) {
      const alert = await openAlert();
      const drTeam = await asClinician(ctx, world.ref('drTeam'));
      const responses = await Promise.all([
        callOperation(drTeam, alert.id, 'acknowledge', parameters({ note: 'first' })),
        callOperation(drTeam, alert.id, 'acknowledge', parameters({ note: 'second' })),
        callOperation(ctx.api, alert.id, 'acknowledge', parameters({ practitioner: world.ref('drOnCall') })),
      ]);
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      const bodies = (await Promise.all(responses.map((r) => r.json()))) as DetectedIssue[];
      const stored = (await (await ctx.api(`DetectedIssue/${alert.id}`)).json()) as DetectedIssue;
      expect(stored.mitigation).toHaveLength(1);
      for (const body of bodies) {
        expect(body.meta?.versionId).toBe(stored.meta?.versionId);
      }
      const tasks: Task[] = await tasksOf(ctx, alert.id);
      expect(tasks).toHaveLength(1);
      expect(stored.mitigation?.[0].extension).toContainEqual({
        url: EXTENSIONS.actionTask,
        valueReference: { reference: `Task/${tasks[0].id}` },
      });
    }
  });
});
