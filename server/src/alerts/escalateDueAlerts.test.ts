// The escalation sweep on a real database: boundaries, acknowledged and resolved alerts, re-runs, concurrency, policies.
import { randomUUID } from 'node:crypto';
import type { Communication, DetectedIssue, PlanDefinition, Task } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { ALERT_TASK_IDENTIFIER_SYSTEM, EXTENSIONS } from './alertCodes.ts';
import { escalatedLevels } from './alertState.ts';
import { alertTaskIdentifier, alertTaskSearch, buildAlertTask } from './alertTask.ts';
import {
  alertFor,
  callOperation,
  create,
  createAlertWorld,
  parameters,
  searchAll,
  systemRepo,
  tasksOf,
  type AlertWorld,
} from './alertTestWorld.ts';
import { alertEscalationModule, ESCALATION_TASK } from './alertEscalationModule.ts';
import { escalateDueAlerts, type EscalationSweepOptions } from './escalateDueAlerts.ts';
import type { BackgroundDeps } from '../background.ts';

/**
 * Alerts here are identified in 2100 and later, so that sweeps of other test servers sharing the database (run with the
 * real time) never see them; each test sweeps only its own patient's alerts, so these sweeps never touch others'.
 * The lookback (by the real write time) is widened to reach 2100.
 */
const ctx = useTestServer({ RPM_RUN_JOBS: 'false' });
let world: AlertWorld;
let base = Date.parse('2100-01-01T00:00:00.000Z');

beforeAll(async () => {
  world = await createAlertWorld(ctx);
});

interface Scenario {
  patient: string;
  t0: number;
  at: (minutes: number, seconds?: number) => Date;
  sweep: (now: Date, options?: EscalationSweepOptions) => ReturnType<typeof escalateDueAlerts>;
  alert: (options?: Parameters<typeof alertFor>[1]) => Promise<DetectedIssue & { id: string }>;
}

/** A new patient (managed by the ward unless told), a fresh time base, and a sweep limited to that patient. */
async function scenario(organization = 'ward'): Promise<Scenario> {
  base += 10 * 24 * 3_600_000;
  const t0 = base;
  const patient = await create(ctx, {
    resourceType: 'Patient',
    name: [{ family: `Sweep-${randomUUID().slice(0, 6)}` }],
    managingOrganization: { reference: world.ref(organization) },
  });
  const patientRef = `Patient/${patient.id}`;
  return {
    patient: patientRef,
    t0,
    at: (minutes, seconds = 0) => new Date(t0 + minutes * 60_000 + seconds * 1000),
    sweep: (now, options = {}) =>
      escalateDueAlerts(systemRepo(ctx), now, { lookbackHours: 200 * 365 * 24, patient: patientRef, ...options }),
    alert: (options = {}) => create(ctx, alertFor(patientRef, { identified: new Date(t0).toISOString(), ...options })),
  };
}

const read = async (id: string) => (await (await ctx.api(`DetectedIssue/${id}`)).json()) as DetectedIssue;

async function notificationsOf(patient: string, alertId: string): Promise<Communication[]> {
  const all = await searchAll<Communication>(ctx, `Communication?subject=${patient}&_count=1000`);
  return all.filter((c) => c.about?.some((a) => a.reference === `DetectedIssue/${alertId}`));
}

function summary(tasks: Task[]): string[] {
  return tasks.map((t) => `${t.owner?.reference} ${t.status} ${t.identifier?.[0].value?.split(':')[2]}`).sort();
}

describe('escalateDueAlerts', () => {
  test('red: nothing at 14:59, the on-call clinician at 15:00, the senior clinician at 30:00', async () => {
    const s = await scenario();
    const alert = await s.alert();

    const early = await s.sweep(s.at(14, 59));
    expect(early).toMatchObject({ examined: 1, escalated: [], failures: [] });
    expect(await tasksOf(ctx, alert.id)).toEqual([]);

    const first = await s.sweep(s.at(15));
    expect(first.failures).toEqual([]);
    expect(first.escalated).toEqual([
      {
        alert: `DetectedIssue/${alert.id}`,
        level: 'high-15min-on-call-clinician',
        tasks: [expect.stringMatching(/^Task\//)],
        notifications: 2,
      },
    ]);
    const [task] = await tasksOf(ctx, alert.id);
    expect(task).toMatchObject({
      status: 'requested',
      owner: { reference: world.ref('onCall') },
      code: { coding: [{ code: 'escalated' }] },
      authoredOn: s.at(15).toISOString(),
      identifier: [
        {
          system: ALERT_TASK_IDENTIFIER_SYSTEM,
          value: `escalation:DetectedIssue/${alert.id}:high-15min-on-call-clinician:${world.ref('onCall')}`,
        },
      ],
    });
    expect(task.requester).toBeUndefined();
    const notifications = await notificationsOf(s.patient, alert.id);
    expect(notifications.map((n) => `${n.medium?.[0].coding?.[0].code} ${n.recipient?.[0].reference}`).sort()).toEqual([
      `EMAILWRIT ${world.ref('drOnCall')}`,
      `SMSWRIT ${world.ref('onCall')}`,
    ]);
    expect(notifications[0].payload?.[0].contentString).toMatch(
      /red remote monitoring alert has not been acknowledged within 15 minutes/
    );
    const escalated = await read(alert.id);
    expect(escalated.status).toBe('preliminary');
    expect(escalated.mitigation?.[0]).toMatchObject({
      action: {
        coding: [{ code: 'escalated' }],
        text: `Escalated: to ${world.ref('onCall')} (not acknowledged within 15 min)`,
      },
      date: s.at(15).toISOString(),
      extension: expect.arrayContaining([
        { url: EXTENSIONS.escalationLevel, valueString: 'high-15min-on-call-clinician' },
        { url: EXTENSIONS.actionTask, valueReference: { reference: `Task/${task.id}` } },
      ]),
    });
    expect(escalated.mitigation?.[0].author).toBeUndefined();

    expect((await s.sweep(s.at(29, 59))).escalated).toEqual([]);
    const second = await s.sweep(s.at(30));
    expect(second.escalated.map((e) => [e.level, e.notifications])).toEqual([['high-30min-senior-clinician', 1]]);
    // summary() sorts by owner reference, whose ids are random within a millisecond: compare sorted.
    expect(summary(await tasksOf(ctx, alert.id))).toEqual(
      [
        `${world.ref('onCall')} requested high-15min-on-call-clinician`,
        `${world.ref('senior')} requested high-30min-senior-clinician`,
      ].sort()
    );
    expect((await notificationsOf(s.patient, alert.id)).map((n) => n.recipient?.[0].reference)).toContain(
      world.ref('drSenior')
    );
  });

  test('a sweep that comes late carries out every due level at once; re-runs add nothing', async () => {
    const s = await scenario();
    const alert = await s.alert();
    const late = await s.sweep(s.at(45));
    expect(late.escalated.map((e) => e.level)).toEqual(['high-15min-on-call-clinician', 'high-30min-senior-clinician']);
    const before = { tasks: await tasksOf(ctx, alert.id), notifications: await notificationsOf(s.patient, alert.id) };
    expect(before.tasks).toHaveLength(2);
    expect(before.notifications).toHaveLength(3);
    for (const minutes of [45, 46, 600]) {
      expect((await s.sweep(s.at(minutes))).escalated).toEqual([]);
    }
    expect(await tasksOf(ctx, alert.id)).toHaveLength(2);
    expect(await notificationsOf(s.patient, alert.id)).toHaveLength(3);
    expect(escalatedLevels(await read(alert.id))).toEqual(
      new Set(['high-15min-on-call-clinician', 'high-30min-senior-clinician'])
    );
  });

  test('concurrent sweeps (as on two instances) escalate once', async () => {
    const s = await scenario();
    const alerts = await Promise.all([s.alert(), s.alert(), s.alert({ severity: 'moderate' })]);
    const reports = await Promise.all([1, 2, 3].map(() => s.sweep(s.at(60))));
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    expect(
      reports
        .flatMap((r) => r.escalated)
        .map((e) => e.level)
        .sort()
    ).toEqual([
      'high-15min-on-call-clinician',
      'high-15min-on-call-clinician',
      'high-30min-senior-clinician',
      'high-30min-senior-clinician',
      'moderate-60min-on-call-clinician',
    ]);
    for (const alert of alerts) {
      const stored = await read(alert.id);
      const tasks = await tasksOf(ctx, alert.id);
      expect(tasks).toHaveLength(stored.severity === 'high' ? 2 : 1);
      expect(stored.mitigation).toHaveLength(tasks.length);
      expect(await notificationsOf(s.patient, alert.id)).toHaveLength(stored.severity === 'high' ? 3 : 2);
    }
  });

  test('after a crash that left the Task behind, the re-run uses it (no second Task)', async () => {
    const s = await scenario();
    const alert = await s.alert();
    const identifier = alertTaskIdentifier('escalation', alert.id, 'high-15min-on-call-clinician', world.ref('onCall'));
    const leftover = await systemRepo(ctx).conditionalCreate(
      buildAlertTask({
        alert,
        action: 'escalated',
        identifier,
        status: 'requested',
        now: s.at(15),
        description: 'left by a crashed run',
        owner: { reference: world.ref('onCall') },
      }),
      alertTaskSearch(identifier)
    );
    await s.sweep(s.at(16));
    const tasks = await tasksOf(ctx, alert.id);
    expect(tasks.map((t) => t.id)).toEqual([leftover.resource.id]);
    expect((await read(alert.id)).mitigation?.[0].extension).toContainEqual({
      url: EXTENSIONS.actionTask,
      valueReference: { reference: `Task/${leftover.resource.id}` },
    });
  });

  test('acknowledged alerts never escalate; resolved ones never do; a severity rise after acknowledgement does', async () => {
    const s = await scenario();
    const acknowledged = await s.alert();
    const resolved = await s.alert();
    const raised = await s.alert({ severity: 'moderate' });
    const asSwitchboard = parameters({ practitioner: world.ref('drTeam') });
    expect((await callOperation(ctx.api, acknowledged.id, 'acknowledge', asSwitchboard)).status).toBe(200);
    expect((await callOperation(ctx.api, raised.id, 'acknowledge', asSwitchboard)).status).toBe(200);
    const resolveBody = parameters({ practitioner: world.ref('drTeam'), note: 'false alarm' });
    expect((await callOperation(ctx.api, resolved.id, 'resolve', resolveBody)).status).toBe(200);

    const report = await s.sweep(s.at(24 * 60));
    expect(report.examined).toBe(2);
    expect(report.escalated).toEqual([]);

    const current = await read(raised.id);
    expect(
      (
        await ctx.api(`DetectedIssue/${raised.id}`, {
          method: 'PUT',
          body: JSON.stringify({ ...current, severity: 'high' }),
        })
      ).status
    ).toBe(200);
    const afterRise = await s.sweep(s.at(24 * 60));
    expect(afterRise.escalated.map((e) => [e.alert, e.level])).toEqual([
      [`DetectedIssue/${raised.id}`, 'high-15min-on-call-clinician'],
      [`DetectedIssue/${raised.id}`, 'high-30min-senior-clinician'],
    ]);
    expect(await tasksOf(ctx, acknowledged.id)).toHaveLength(1);
    expect(await tasksOf(ctx, resolved.id)).toHaveLength(1);
  });

  test("a programme's policy replaces the defaults for the severities it names; invalid levels are reported", async () => {
    const s = await scenario();
    const url = `http://example.org/fhir/PlanDefinition/test-${randomUUID()}`;
    await create<PlanDefinition>(ctx, {
      resourceType: 'PlanDefinition',
      url,
      status: 'draft',
      extension: [
        {
          url: EXTENSIONS.escalationPolicy,
          extension: [
            {
              url: 'level',
              extension: [
                { url: 'severity', valueCode: 'high' },
                { url: 'after', valueDuration: { value: 5, code: 'min', system: 'http://unitsofmeasure.org' } },
                { url: 'target', valueReference: { reference: world.ref('team') } },
              ],
            },
            { url: 'level', extension: [{ url: 'severity', valueCode: 'moderate' }] },
          ],
        },
      ],
    });
    const red = await s.alert({ programme: url });
    const amber = await s.alert({ programme: url, severity: 'moderate' });
    const early = await s.sweep(s.at(5));
    expect(early.escalated.map((e) => [e.alert, e.level])).toEqual([
      [`DetectedIssue/${red.id}`, `high-5min-${world.ref('team')}`],
    ]);
    expect(early.warnings).toEqual([
      `${url}: level 2: a level needs exactly one 'severity', one 'after' and one 'target'; level ignored`,
    ]);
    expect(summary(await tasksOf(ctx, red.id))).toEqual([
      `${world.ref('drTeam')} requested high-5min-${world.ref('team')}`,
    ]);
    expect((await s.sweep(s.at(59))).escalated).toEqual([]);
    expect((await s.sweep(s.at(60))).escalated.map((e) => [e.alert, e.level])).toEqual([
      [`DetectedIssue/${amber.id}`, 'moderate-60min-on-call-clinician'],
    ]);
  });

  test('nobody in the role: the Task goes to the organization, without notifications, with a warning', async () => {
    const s = await scenario('elsewhere');
    const alert = await s.alert({ severity: 'low' });
    const report = await s.sweep(s.at(240));
    expect(report.escalated).toEqual([
      expect.objectContaining({ level: 'low-240min-on-call-clinician', notifications: 0 }),
    ]);
    expect(report.warnings).toEqual([
      `DetectedIssue/${alert.id} low-240min-on-call-clinician: nobody found for role on-call-clinician (patient's organization: ${world.ref('elsewhere')}); Task assigned to ${world.ref('elsewhere')}`,
    ]);
    expect(summary(await tasksOf(ctx, alert.id))).toEqual([
      `${world.ref('elsewhere')} requested low-240min-on-call-clinician`,
    ]);
  });

  test('alerts not updated within the lookback are not read', async () => {
    const s = await scenario();
    await s.alert();
    expect((await s.sweep(s.at(15), { lookbackHours: 48 })).examined).toBe(0);
    expect((await s.sweep(s.at(15))).examined).toBe(1);
  });

  test('pages through the open alerts', async () => {
    const s = await scenario();
    await Promise.all([1, 2, 3, 4, 5].map(() => s.alert()));
    const report = await s.sweep(s.at(15), { pageSize: 2 });
    expect(report.examined).toBe(5);
    expect(report.escalated).toHaveLength(5);
  });

  test('an alert resolved while the sweep reads its pages does not make it skip the next one', async () => {
    const s = await scenario();
    const alerts: string[] = [];
    for (let i = 0; i < 5; i++) {
      alerts.push((await s.alert()).id);
    }
    alerts.sort(); // the sweep reads in id order
    // The first page is read; then, before the sweep reads on, a clinician resolves the first alert of that page.
    const repo = systemRepo(ctx);
    let pages = 0;
    const resolvingRepo = new Proxy(repo, {
      get(target, property, receiver) {
        if (property !== 'search') {
          const value = Reflect.get(target, property, receiver) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (...args: Parameters<typeof repo.search>) => {
          const bundle = await target.search(...args);
          if (++pages === 1) {
            const first = await target.readResource<DetectedIssue>('DetectedIssue', alerts[0]);
            await target.updateResource<DetectedIssue>({ ...first, status: 'final' });
          }
          return bundle;
        };
      },
    });
    const report = await escalateDueAlerts(resolvingRepo, s.at(15), {
      lookbackHours: 200 * 365 * 24,
      patient: s.patient,
      pageSize: 2,
    });
    // Paged by offset, the third alert moved onto the first page once the first left, and was not read this time.
    expect(report.examined).toBe(5);
    expect(report.escalated.map((e) => e.alert).sort()).toEqual(alerts.slice(1).map((id) => `DetectedIssue/${id}`));
  });

  test('the background module: a job every minute running the sweep', () => {
    const module = alertEscalationModule({ systemRepo: systemRepo(ctx) } as unknown as BackgroundDeps);
    expect(module.recurring).toEqual([{ task: ESCALATION_TASK, pattern: '* * * * *', identifier: 'escalate-alerts' }]);
    expect(Object.keys(module.tasks ?? {})).toEqual(['escalate-alerts']);
  });
});
