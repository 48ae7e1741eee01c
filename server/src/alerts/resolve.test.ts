// $resolve through HTTP: closes the alert with a reason, completes its open Tasks; access, bad input and closed alerts.
import type { DetectedIssue, OperationOutcome } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { ALERT_ACTION_SYSTEM, ALERT_TASK_IDENTIFIER_SYSTEM } from './alertCodes.ts';
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

describe('$resolve', () => {
  test('closes an acknowledged, escalated alert: status final, its open Tasks completed, a resolved Task', async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    expect((await callOperation(drTeam, alert.id, 'acknowledge', {})).status).toBe(200);
    expect(
      (await callOperation(drTeam, alert.id, 'escalate', parameters({ practitioner: world.ref('senior') }))).status
    ).toBe(200);
    const res = await callOperation(drTeam, alert.id, 'resolve', parameters({ note: 'Reviewed: probe fault' }));
    expect(res.status).toBe(200);
    const resolved = (await res.json()) as DetectedIssue;
    expect(resolved.status).toBe('final');
    expect(resolved.mitigation?.map((m) => m.action.coding?.[0].code)).toEqual([
      'acknowledged',
      'escalated',
      'resolved',
    ]);
    const last = resolved.mitigation?.[2];
    expect(last?.action).toMatchObject({
      coding: [{ system: ALERT_ACTION_SYSTEM, code: 'resolved' }],
      text: 'Resolved: Reviewed: probe fault',
    });
    expect(last?.author).toEqual({ reference: world.ref('drTeam') });

    const tasks = await tasksOf(ctx, alert.id);
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      expect(task.status).toBe('completed');
      expect(task.executionPeriod?.end).toBe(last?.date);
    }
    const byCode = Object.fromEntries(tasks.map((t) => [t.code?.coding?.[0].code, t]));
    expect(byCode.resolved).toMatchObject({
      owner: { reference: world.ref('drTeam') },
      identifier: [{ system: ALERT_TASK_IDENTIFIER_SYSTEM, value: `resolved:DetectedIssue/${alert.id}` }],
      note: [{ text: 'Reviewed: probe fault' }],
    });
    expect(byCode.escalated.statusReason?.text).toBe(`Alert resolved by ${world.ref('drTeam')}`);
    expect(byCode.acknowledged.executionPeriod?.start < (byCode.acknowledged.executionPeriod?.end as string)).toBe(
      true
    );
  });

  test('a closed alert cannot be resolved, acknowledged or escalated again (409)', async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    expect((await callOperation(drTeam, alert.id, 'resolve', parameters({ note: 'done' }))).status).toBe(200);
    for (const [operation, body] of [
      ['resolve', parameters({ note: 'again' })],
      ['acknowledge', {}],
      ['escalate', parameters({ practitioner: world.ref('senior') })],
    ] as const) {
      const res = await callOperation(drTeam, alert.id, operation, body);
      expect(res.status, operation).toBe(409);
      expect(await outcomeText(res)).toMatch(/is closed \(status final\)/);
    }
    expect(await tasksOf(ctx, alert.id)).toHaveLength(1);
  });

  test('the reason is required; bad Parameters 400; out of reach 404; system clients name the practitioner', async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const noNote = await callOperation(drTeam, alert.id, 'resolve', {});
    expect(noNote.status).toBe(400);
    expect(await outcomeText(noNote)).toMatch(/"note" is required/);
    expect((await callOperation(drTeam, alert.id, 'resolve', parameters({ note: '' }))).status).toBe(400);
    const drOther = await asClinician(ctx, world.ref('drOther'));
    expect((await callOperation(drOther, alert.id, 'resolve', parameters({ note: 'x' }))).status).toBe(404);
    expect((await callOperation(ctx.api, alert.id, 'resolve', parameters({ note: 'x' }))).status).toBe(400);
    expect(((await (await ctx.api(`DetectedIssue/${alert.id}`)).json()) as DetectedIssue).status).toBe('preliminary');
    const bySystem = await callOperation(
      ctx.api,
      alert.id,
      'resolve',
      parameters({ note: 'closed by the switchboard', practitioner: world.ref('drOnCall') })
    );
    expect(bySystem.status).toBe(200);
    expect(((await bySystem.json()) as DetectedIssue).status).toBe('final');
  });

  test('two simultaneous resolutions: one wins, the other gets 409; one resolved Task', async () => {
    const alert = await openAlert();
    const drTeam = await asClinician(ctx, world.ref('drTeam'));
    const statuses = (
      await Promise.all([
        callOperation(drTeam, alert.id, 'resolve', parameters({ note: 'a' })),
        callOperation(drTeam, alert.id, 'resolve', parameters({ note: 'b' })),
      ])
    ).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 409]);
    const stored = (await (await ctx.api(`DetectedIssue/${alert.id}`)).json()) as DetectedIssue;
    expect(stored.mitigation).toHaveLength(1);
    expect(await tasksOf(ctx, alert.id)).toHaveLength(1);
  });
});
