// The alerting pipeline end to end on a real server: a reading's commit, its Subscription, the bot, the alert, the audit.
import { sliceInput } from '../../../bots/src/bots/missedReadings.bot.ts';
import type { AuditEvent, Bundle, Observation, Parameters } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { enrolPatient, ensureProgramme, spo2Reading } from '../testing/monitoring.ts';
import { useTestServer } from '../testing/testServer.ts';

const ctx = useTestServer({ RPM_BUILT_IN_BOTS: 'true' });

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The patient's threshold alerts (the missed-readings bot, every 15 minutes, may add its own alerts). */
const alertsOf = (patientId: string) => async () =>
  (await ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${patientId}` })).filter((a) =>
    a.identifier?.some((i) => i.value?.startsWith('vital-sign-threshold'))
  );

/** The latest AuditEvents of the alerts bot's runs. */
const observationBotRuns = () =>
  ctx.medplum.searchResources('AuditEvent', {
    entity: 'Bot/rpm-observation-alerts',
    _count: '200',
    _sort: '-_lastUpdated',
  });

describe('alert pipeline', () => {
  test('the built-in bots are deployed as Bot resources with code, scopes and their Subscription', async () => {
    const bot = await ctx.medplum.readResource('Bot', 'rpm-observation-alerts');
    expect(bot.executableCode?.url).toMatch(/^Binary\//);
    const subscription = await ctx.medplum.readResource('Subscription', 'rpm-observation-alerts');
    expect(subscription.status).toBe('active');
    expect(subscription.channel.endpoint).toBe('Bot/rpm-observation-alerts');
    const scheduled = await ctx.medplum.readResource('Bot', 'rpm-missed-readings');
    expect(scheduled.cronString).toBe('*/15 * * * *');
  });

  test('a red SpO2 reading becomes one red alert; the same reading again adds nothing', async () => {
    await ensureProgramme(ctx.medplum, 'heart-failure');
    const { patient } = await enrolPatient(ctx.medplum, 'heart-failure');
    const reading = await ctx.medplum.createResource<Observation>(spo2Reading(patient.id, 85));
    const alerts = await waitFor(alertsOf(patient.id), (a) => a.length > 0);
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert.status).toBe('preliminary');
    expect(alert.severity).toBe('high');
    expect(alert.implicated?.map((r) => r.reference)).toContain(`Observation/${reading.id}`);
    expect(alert.detail).toMatch(/SpO2/i);

    // An update of the reading (same values) re-triggers the bot: still one alert, not changed in substance.
    await ctx.medplum.updateResource({ ...reading, note: [{ text: 'checked' }] });
    await new Promise((r) => setTimeout(r, 1500));
    const after = await alertsOf(patient.id)();
    expect(after).toHaveLength(1);
    expect(after[0].implicated).toEqual(alert.implicated);
  });

  test('a normal reading raises nothing, and every bot run is an AuditEvent with its outcome', async () => {
    const { patient } = await enrolPatient(ctx.medplum, 'heart-failure');
    const reading = await ctx.medplum.createResource<Observation>(spo2Reading(patient.id, 98));
    const audits = await waitFor(observationBotRuns, (events) =>
      events.some((e) => JSON.stringify(e).includes(`Observation/${reading.id}`))
    );
    const run = audits.find((e) => JSON.stringify(e).includes(`Observation/${reading.id}`));
    expect(run?.outcome).toBe('0');
    expect(run?.agent?.some((a) => a.who?.identifier?.value === 'bot-rpm-observation-alerts')).toBe(true);
    // The triggering version is an entity of the run, with its attempt, and finds the run.
    const version = `Observation/${reading.id}/_history/${reading.meta?.versionId}`;
    const trigger = run?.entity?.find((e) => e.what?.reference === version);
    expect(trigger?.detail?.find((d) => d.type === 'attempt')?.valueString).toMatch(/^1 of \d+$/);
    const found = await ctx.medplum.searchResources('AuditEvent', {
      entity: `Observation/${reading.id}`,
      subtype: 'operation',
    });
    expect(found.map((e) => e.id)).toEqual([run?.id]);
    expect(await alertsOf(patient.id)()).toHaveLength(0);
  });

  test('readings committed together run the bot as one batch; each red reading gets its alert and its audit', async () => {
    await ensureProgramme(ctx.medplum, 'heart-failure');
    const patients = [];
    for (let i = 0; i < 8; i++) {
      patients.push((await enrolPatient(ctx.medplum, 'heart-failure')).patient);
    }
    // One transaction: eight readings, every other one red, queued as eight bot jobs in the same commit.
    const response = await ctx.medplum.executeBatch({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: patients.map((patient, i) => ({
        resource: spo2Reading(patient.id, i % 2 === 0 ? 84 : 97),
        request: { method: 'POST', url: 'Observation' },
      })),
    });
    const readings = (response as Bundle).entry?.map((e) => e.resource as Observation) ?? [];
    expect(readings).toHaveLength(8);
    for (const [i, patient] of patients.entries()) {
      const alerts = await waitFor(alertsOf(patient.id), (a) => a.length > 0 || i % 2 === 1);
      expect(alerts.map((a) => a.implicated?.[0]?.reference)).toEqual(
        i % 2 === 0 ? [`Observation/${readings[i].id}`] : []
      );
    }
    // One AuditEvent per run: a run alone names its trigger in the Bot's details; a batched run names every
    // triggering version as an entity (with its attempt) and every patient of them.
    const detail = (event: AuditEvent | undefined, type: string) =>
      event?.entity?.[0]?.detail?.find((d) => d.type === type)?.valueString;
    const named = (event: AuditEvent, reading: Observation) =>
      detail(event, 'trigger')?.startsWith(`Observation/${reading.id}/`) ||
      (event.entity ?? []).some((e) => e.what?.reference?.startsWith(`Observation/${reading.id}/_history/`));
    const runs = await waitFor(observationBotRuns, (events) => readings.every((r) => events.some((e) => named(e, r))));
    for (const reading of readings) {
      const events = runs.filter((e) => named(e, reading));
      expect(events).toHaveLength(1);
      expect(events[0].outcome).toBe('0');
    }
    // The runs a reading triggered, as bots/README.md says to find them.
    const ofFirst = await ctx.medplum.searchResources('AuditEvent', {
      entity: `Observation/${readings[0].id}`,
      subtype: 'operation',
    });
    expect(ofFirst.map((e) => e.id)).toEqual(runs.filter((e) => named(e, readings[0])).map((e) => e.id));
    const batched = runs.filter((e) => readings.some((r) => named(e, r)) && detail(e, 'batch'));
    expect(batched.length).toBeGreaterThan(0);
    for (const event of batched) {
      const size = Number(/^(\d+) triggers run together$/.exec(detail(event, 'batch') ?? '')?.[1]);
      const triggers = (event.entity ?? []).filter((e) =>
        /^Observation\/[^/]+\/_history\//.test(e.what?.reference ?? '')
      );
      expect(size).toBeGreaterThanOrEqual(2);
      expect(triggers).toHaveLength(size);
      expect(
        triggers.every((t) => /^\d+ of \d+$/.test(t.detail?.find((d) => d.type === 'attempt')?.valueString ?? ''))
      ).toBe(true);
      const patientsNamed = (event.entity ?? []).filter((e) => e.role?.code === '1').map((e) => e.what?.reference);
      for (const reading of readings.filter((r) => named(event, r))) {
        expect(patientsNamed).toContain(reading.subject?.reference);
      }
    }
  });

  test("the missed-readings bot on the real server: one search finds many patients' recent readings", async () => {
    await ensureProgramme(ctx.medplum, 'heart-failure');
    const measured = await enrolPatient(ctx.medplum, 'heart-failure');
    const silent = await enrolPatient(ctx.medplum, 'heart-failure');
    await ctx.medplum.createResource<Observation>(spo2Reading(measured.patient.id, 97));
    // A run of these two CarePlans, as the scheduled run queues them: the shared test database holds other files'
    // patients, and a scheduled run over more than PATIENTS_PER_RUN of them would queue runs rather than check.
    const slice = sliceInput([measured.carePlan.id as string, silent.carePlan.id as string]);
    const response = await ctx.medplum.post(ctx.medplum.fhirUrl('Bot', 'rpm-missed-readings', '$execute'), slice);
    const result = JSON.parse(
      (response as Parameters).parameter?.find((p) => p.name === 'result')?.valueString ?? 'null'
    ) as { carePlans: number; schedules: number; alerts: { patient: string; code: string }[]; skipped: string[] };
    expect(result.carePlans).toBe(2);
    expect(result.schedules).toBe(8);
    expect(result.skipped).toEqual([]);
    // The measured patient's SpO2 was found by the batched search, so it is not reported missing; every alert the
    // scan reports for the silent patient exists on the server.
    expect(result.alerts).not.toContainEqual(
      expect.objectContaining({ patient: `Patient/${measured.patient.id}`, code: '2708-6' })
    );
    const stored = await ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${silent.patient.id}` });
    const reported = result.alerts.filter((a) => a.patient === `Patient/${silent.patient.id}`);
    expect(stored.map((a) => a.evidence?.[0]?.code?.[0]?.coding?.[0]?.code).sort()).toEqual(
      reported.map((a) => a.code).sort()
    );

    // The next scan finds those alerts open (one search per hundred patients) and leaves them as they are.
    const again = await ctx.medplum.post(ctx.medplum.fhirUrl('Bot', 'rpm-missed-readings', '$execute'), slice);
    const second = JSON.parse(
      (again as Parameters).parameter?.find((p) => p.name === 'result')?.valueString ?? 'null'
    ) as { alerts: unknown[]; unchanged: number };
    // Only alerts opened or changed are listed; the rest are counted.
    expect(second.alerts).toEqual([]);
    expect(second.unchanged).toBe(result.alerts.length);
    const storedAgain = await ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${silent.patient.id}` });
    expect(storedAgain.map((a) => a.meta?.versionId)).toEqual(stored.map((a) => a.meta?.versionId));
  });
});
