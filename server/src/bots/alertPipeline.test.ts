// The alerting pipeline end to end on a real server: a reading's commit, its Subscription, the bot, the alert, the audit.
import type { Observation, Parameters } from '@medplum/fhirtypes';
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
    const audits = await waitFor(
      () =>
        ctx.medplum.searchResources('AuditEvent', {
          entity: 'Bot/rpm-observation-alerts',
          _count: '200',
          _sort: '-_lastUpdated',
        }),
      (events) => events.some((e) => JSON.stringify(e).includes(`Observation/${reading.id}`))
    );
    const run = audits.find((e) => JSON.stringify(e).includes(`Observation/${reading.id}`));
    expect(run?.outcome).toBe('0');
    expect(run?.agent?.some((a) => a.who?.identifier?.value === 'bot-rpm-observation-alerts')).toBe(true);
    expect(await alertsOf(patient.id)()).toHaveLength(0);
  });

  test("the missed-readings bot on the real server: one search finds many patients' recent readings", async () => {
    await ensureProgramme(ctx.medplum, 'heart-failure');
    const measured = await enrolPatient(ctx.medplum, 'heart-failure');
    const silent = await enrolPatient(ctx.medplum, 'heart-failure');
    await ctx.medplum.createResource<Observation>(spo2Reading(measured.patient.id, 97));
    const response = await ctx.medplum.post(ctx.medplum.fhirUrl('Bot', 'rpm-missed-readings', '$execute'), {
      resourceType: 'Parameters',
      parameter: [{ name: 'scheduled', valueDateTime: new Date().toISOString() }],
    });
    const result = JSON.parse(
      (response as Parameters).parameter?.find((p) => p.name === 'result')?.valueString ?? 'null'
    ) as { carePlans: number; schedules: number; alerts: { patient: string; code: string }[]; skipped: string[] };
    expect(result.carePlans).toBeGreaterThanOrEqual(2);
    expect(result.schedules).toBeGreaterThanOrEqual(8);
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
    const again = await ctx.medplum.post(ctx.medplum.fhirUrl('Bot', 'rpm-missed-readings', '$execute'), {
      resourceType: 'Parameters',
      parameter: [{ name: 'scheduled', valueDateTime: new Date().toISOString() }],
    });
    const second = JSON.parse(
      (again as Parameters).parameter?.find((p) => p.name === 'result')?.valueString ?? 'null'
    ) as { alerts: { patient: string; code: string; outcome: string }[] };
    const silentAgain = second.alerts.filter((a) => a.patient === `Patient/${silent.patient.id}`);
    expect(silentAgain.map((a) => a.code).sort()).toEqual(reported.map((a) => a.code).sort());
    expect(silentAgain.every((a) => a.outcome === 'unchanged')).toBe(true);
    const storedAgain = await ctx.medplum.searchResources('DetectedIssue', { patient: `Patient/${silent.patient.id}` });
    expect(storedAgain.map((a) => a.meta?.versionId)).toEqual(stored.map((a) => a.meta?.versionId));
  });
});
