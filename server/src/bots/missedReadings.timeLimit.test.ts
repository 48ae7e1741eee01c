// Missed readings over the bot time limit: a cut-off run keeps its alerts and the next finishes; a split scan finishes.
import crypto from 'node:crypto';
import type { MedplumClient } from '@medplum/core';
import type { AuditEvent, Bundle, CarePlan, DetectedIssue, Parameters, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALERTS_PER_TRANSACTION } from '../../../bots/src/alerts/raiseAlert.ts';
import { PATIENTS_PER_RUN, sliceInput } from '../../../bots/src/bots/missedReadings.bot.ts';
import { readExample } from '../../../bots/src/testing/examples.ts';
import type { ServerConfig } from '../config.ts';
import { createPool, type Db } from '../db/pool.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { JobQueue } from '../jobs/jobQueue.ts';
import type { RunningServer } from '../server.ts';
import { ensureProgramme } from '../testing/monitoring.ts';
import { createTestDatabase, type TestDatabase } from '../testing/testDatabase.ts';
import { adminClient, startTestServer } from '../testing/testServer.ts';
import { BOT_EXTENSIONS } from './botExtensions.ts';
import { BUILT_IN_BOTS, bundleBot } from './builtInBots.ts';
import { scheduledBotsTask } from './scheduledBots.ts';
import { botRuns, runDetail, waitFor } from './testBots.ts';

/**
 * The server's bot time limit, RPM_BOT_TIMEOUT_MS (the production setting, 10 s by default), lowered so that a scan
 * opening every alert of the caseload below cannot finish in one run, while a scan finding them open (searches only,
 * about a second here) can.
 */
const TIME_LIMIT_MS = 4_000;
/**
 * Patients enrolled three days ago who never took a reading: each of the heart-failure CarePlan's four daily readings
 * (09:00 Europe/London, 3 h grace) is overdue whatever the time of day, so the scan must open four alerts for each.
 * 2,000 patients = 8,000 alerts = 80 transactions of 100. 600 were about twice the limit's work on an idle 2-core
 * machine while the scan checked one batch of patients at a time; checking three at once (BATCHES_IN_FLIGHT), it
 * opened all 2,400 in one run, and once alerts were written in one statement each, a run cut off at 4 s had opened
 * all 4,800 of 1,200 patients by the time its last transactions committed. Not many more: the last run must also fit
 * the scan of every alert already open (0.7 s for 8,000 on the bench's idle machine, 3.6 s for 40,000; a few times
 * that under the test suite's load: in one CI run, when the patients were still checked in CarePlan order, a cut-off
 * run re-checked the 7,500 alerts already open and added none before the limit; the patients not yet alerted now go
 * first, after one look-up of open alerts per hundred patients). The scheduled run never gives one run that many: it
 * queues runs of PATIENTS_PER_RUN patients (the second test).
 */
const PATIENTS = 2000;
const SCHEDULED_CODES = ['29463-7', '85354-9', '8867-4', '2708-6'];
/** More runs than this without finishing fails the test (each cut-off run must add alerts as well). */
const MAX_RUNS = 25;
const ALERT_SYSTEM = 'http://rpm-platform.org/fhir/identifier/alert';
/** 29 February 08:11 UTC: the Bot is "due" only in the tick this test hands the scheduler, never on the real clock. */
const DUE = '11 8 29 2 *';
const BOT = BUILT_IN_BOTS.find((b) => b.id === 'rpm-missed-readings') as (typeof BUILT_IN_BOTS)[number];

let database: TestDatabase;
let pool: Db;
let server: RunningServer & { config: ServerConfig };
let medplum: MedplumClient;

beforeAll(async () => {
  // A database of its own: hundreds of silent patients would slow every other test file's missed-readings scan, and
  // no other file's Bot or cron run can write the alerts counted here.
  database = await createTestDatabase('rpm_missed_limit_test');
  pool = createPool(database.url, 2);
  server = await startTestServer({ DATABASE_URL: database.url, RPM_BOT_TIMEOUT_MS: String(TIME_LIMIT_MS) });
  medplum = await adminClient(server);
  await deployBot();
  await ensureProgramme(medplum, 'heart-failure');
});

// Closing the server took 168 s once, after the test had doubled its patients twice (cause not found): 300 s allowed.
afterAll(async () => {
  await server?.close();
  await pool?.end();
  await database?.drop();
}, 300_000);

/** The production missed-readings bot (its code and scopes), first without a schedule: only the tests run it. */
async function deployBot(): Promise<void> {
  await medplum.updateResource({
    resourceType: 'Bot',
    id: BOT.id,
    name: BOT.name,
    extension: [{ url: BOT_EXTENSIONS.scopes, valueString: BOT.scopes }],
  });
  await medplum.post(medplum.fhirUrl('Bot', BOT.id, '$deploy'), {
    resourceType: 'Parameters',
    parameter: [{ name: 'code', valueString: await bundleBot(BOT.entry) }],
  });
}

/** `count` new Patients, each with the heart-failure CarePlan from three days ago, in transactions of 50 patients. */
async function enrolSilentPatients(count: number): Promise<{ patients: string[]; carePlans: string[] }> {
  const {
    id: _id,
    goal: _goal,
    author: _author,
    ...template
  } = readExample<CarePlan>('rpm-monitoring-careplan-heart-failure');
  const start = new Date(Date.now() - 3 * 86_400_000).toISOString();
  const patients: string[] = [];
  const carePlans: string[] = [];
  for (let first = 0; first < count; first += 50) {
    const entry: Bundle['entry'] = [];
    for (let i = first; i < Math.min(count, first + 50); i++) {
      const fullUrl = `urn:uuid:${crypto.randomUUID()}`;
      const patient: Patient = { resourceType: 'Patient', name: [{ family: `Silent-${i}`, given: ['Pat'] }] };
      const carePlan: CarePlan = { ...template, subject: { reference: fullUrl }, period: { start } };
      entry.push(
        { fullUrl, request: { method: 'POST', url: 'Patient' }, resource: patient },
        { request: { method: 'POST', url: 'CarePlan' }, resource: carePlan }
      );
    }
    const response = await medplum.executeBatch({ resourceType: 'Bundle', type: 'transaction', entry });
    for (const item of response.entry ?? []) {
      if (item.resource?.resourceType === 'Patient') {
        patients.push(`Patient/${item.resource.id}`);
      } else if (item.resource?.resourceType === 'CarePlan') {
        carePlans.push(item.resource.id as string);
      }
    }
  }
  return { patients, carePlans };
}

/** Marks these patients' active CarePlans completed, in transactions of 50 (the most updates one may hold). */
async function completeCarePlansOf(of: string[]): Promise<void> {
  const wanted = new Set(of);
  const plans: CarePlan[] = [];
  for await (const page of medplum.searchResourcePages('CarePlan', { status: 'active', _count: '500' })) {
    plans.push(...page.filter((plan) => wanted.has(plan.subject?.reference ?? '')));
  }
  expect(plans).toHaveLength(of.length);
  for (let first = 0; first < plans.length; first += 50) {
    await medplum.executeBatch({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: plans.slice(first, first + 50).map((plan) => ({
        request: { method: 'PUT', url: `CarePlan/${plan.id}` },
        resource: { ...plan, status: 'completed' },
      })),
    });
  }
}

interface ScanResult {
  carePlans: number;
  schedules: number;
  overdue: number;
  alerts: { patient: string; code: string; outcome: string }[];
}

/**
 * One run through Bot/$execute of all these CarePlans (a slice, as the scheduled run queues them, but far larger than
 * it would make one): the bot's own token, worker pool and time limit, as a queued run has.
 */
async function runScan(carePlans: string[]): Promise<{ status: number; text: string; result?: ScanResult }> {
  const input = sliceInput(carePlans);
  const response = await fetch(`${server.fhirBaseUrl}/Bot/${BOT.id}/$execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${medplum.getAccessToken()}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  const result =
    response.status === 200
      ? (JSON.parse(text) as Parameters).parameter?.find((p) => p.name === 'result')?.valueString
      : undefined;
  return { status: response.status, text, result: result ? (JSON.parse(result) as ScanResult) : undefined };
}

/**
 * Waits until no request of a cut-off run is still being served: its worker is gone, but a transaction it had sent
 * still commits (or rolls back) on the server. Quiet = no other session on this database running a statement or
 * inside a transaction, three polls in a row.
 */
async function settle(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let quiet = 0; quiet < 3 && Date.now() < deadline;) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS busy FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND (state = 'active' OR state LIKE 'idle in transaction%')`
    );
    quiet = rows[0].busy === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface StoredAlert {
  id: string;
  versionId: string;
  identifier: string;
  patient: string;
  code: string;
  status: string;
}

/** The DetectedIssues of these patients (deleted ones excluded), straight from the resource table. */
async function storedAlerts(patients: string[]): Promise<StoredAlert[]> {
  const wanted = new Set(patients);
  const { rows } = await pool.query(
    `SELECT id, version_id, content FROM resource WHERE resource_type = 'DetectedIssue' AND NOT deleted`
  );
  return rows
    .map((row) => {
      const alert = JSON.parse(row.content as string) as DetectedIssue;
      return {
        id: row.id as string,
        versionId: row.version_id as string,
        identifier: alert.identifier?.find((i) => i.system === ALERT_SYSTEM)?.value ?? '',
        patient: alert.patient?.reference ?? '',
        code: alert.evidence?.[0]?.code?.[0]?.coding?.[0]?.code ?? '',
        status: alert.status,
      };
    })
    .filter((a) => wanted.has(a.patient));
}

/** Every version ever written of a DetectedIssue in this database (a create is one, each update another). */
async function alertVersions(): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM resource_history WHERE resource_type = 'DetectedIssue'`
  );
  return rows[0].n as number;
}

/** Exactly one open missed-reading alert per patient and scheduled vital sign, nothing else, none updated. */
function expectOneAlertEach(alerts: StoredAlert[], patients: string[]): void {
  const expected = patients.flatMap((p) => SCHEDULED_CODES.map((code) => `missed-reading.${code}:${p}`)).sort();
  expect(alerts.map((a) => a.identifier).sort()).toEqual(expected); // none missing, none twice
  for (const alert of alerts) {
    expect(alert.identifier).toBe(`missed-reading.${alert.code}:${alert.patient}`);
    expect(alert.status).toBe('preliminary');
  }
  const perPatient = new Map<string, number>();
  alerts.forEach((a) => perPatient.set(a.patient, (perPatient.get(a.patient) ?? 0) + 1));
  expect(perPatient.size).toBe(patients.length);
  expect([...perPatient.values()].every((n) => n === SCHEDULED_CODES.length)).toBe(true);
}

describe('missed-readings scan over the bot time limit', () => {
  let patients: string[] = [];
  const expectedAlerts = PATIENTS * SCHEDULED_CODES.length;

  test(`${PATIENTS} silent patients in one run: cut-off runs keep their alerts, a later run finishes, each alert once`, async () => {
    const enrolled = await enrolSilentPatients(PATIENTS);
    patients = enrolled.patients;
    expect(patients).toHaveLength(PATIENTS);
    const runScanOfAll = () => runScan(enrolled.carePlans);

    const runs: { status: number; alerts: number }[] = [];
    let finished: ScanResult | undefined;
    for (let run = 1; run <= MAX_RUNS && !finished; run++) {
      const started = Date.now();
      const answer = await runScanOfAll();
      const ms = Date.now() - started;
      const atAnswer = (await storedAlerts(patients)).length;
      await settle();
      const alerts = (await storedAlerts(patients)).length;
      const before = runs.at(-1)?.alerts ?? 0;
      runs.push({ status: answer.status, alerts });
      console.log(
        `run ${run}: HTTP ${answer.status} after ${ms} ms, ${atAnswer} → ${alerts} of ${expectedAlerts} alerts`
      );
      if (answer.status === 200) {
        finished = answer.result;
        // The finishing run opened only what the cut-off runs had not; what they had opened it left alone.
        expect(finished).toMatchObject({ carePlans: PATIENTS, schedules: expectedAlerts, overdue: expectedAlerts });
        const outcomes = (finished?.alerts ?? []).reduce<Record<string, number>>(
          (counts, a) => ({ ...counts, [a.outcome]: (counts[a.outcome] ?? 0) + 1 }),
          {}
        );
        expect(outcomes).toEqual({
          ...(expectedAlerts > before ? { created: expectedAlerts - before } : {}),
          ...(before > 0 ? { unchanged: before } : {}),
        });
        break;
      }
      // Cut off by the time limit (no other failure), with progress: more alerts than before, in whole
      // transactions of 100 only (each hundred patients' 400 alerts are four full transactions). The transaction
      // in flight at the cut-off still commits (the server finishes the request), so a cut-off run may even have
      // written the last alert; the first run must have stopped part-way.
      expect(answer.status).toBe(400);
      expect(answer.text).toContain(`The bot failed: Timed out after ${TIME_LIMIT_MS} ms`);
      expect(alerts).toBeGreaterThan(before);
      expect(alerts).toBeLessThan(run === 1 ? expectedAlerts : expectedAlerts + 1);
      expect(alerts % ALERTS_PER_TRANSACTION).toBe(0);
    }
    // The first run really was cut off, and a later one finished within the limit.
    expect(runs[0].status).toBe(400);
    expect(finished).toBeDefined();

    const alerts = await storedAlerts(patients);
    expectOneAlertEach(alerts, patients);
    // Each alert was written once: one version each, no update by a later run.
    expect(await alertVersions()).toBe(expectedAlerts);

    // One more run changes nothing: every alert unchanged, no new version.
    const extraStarted = Date.now();
    const extra = await runScanOfAll();
    console.log(`extra run: HTTP ${extra.status} after ${Date.now() - extraStarted} ms`);
    expect(extra.status).toBe(200);
    expect(extra.result?.alerts).toHaveLength(expectedAlerts);
    expect(extra.result?.alerts.every((a) => a.outcome === 'unchanged')).toBe(true);
    await settle();
    const after = await storedAlerts(patients);
    expect(after.map((a) => `${a.id} ${a.versionId}`).sort()).toEqual(
      alerts.map((a) => `${a.id} ${a.versionId}`).sort()
    );
    expect(await alertVersions()).toBe(expectedAlerts);
  }, 300_000);

  test(`the scheduled run splits ${PATIENTS} more silent patients into queued runs of ${PATIENTS_PER_RUN}: each finishes, each alert once`, async () => {
    // The first test's patients leave the programme (their CarePlans completed, their alerts left open), so the
    // caseload is the same work one run could not do above.
    await completeCarePlansOf(patients);
    const { patients: more } = await enrolSilentPatients(PATIENTS);
    // The writes above queued work of their own (resource-changed jobs): let it finish first.
    await settle();
    const versionsBefore = await alertVersions();
    const maxAttempts = server.config.jobs.deliveryMaxAttempts;

    const scheduled = await scheduledRun();
    expect(scheduled.map((run) => [run.outcome, runDetail(run, 'attempt')])).toEqual([['0', `1 of ${maxAttempts}`]]);
    const slices = Math.ceil(PATIENTS / PATIENTS_PER_RUN);
    const jobs = await waitFor(
      () => medplum.searchResources('AsyncJob', { _count: '100' }, { cache: 'no-cache' }),
      (found) => found.length === slices && found.every((job) => job.status !== 'accepted'),
      240_000
    );
    expect(jobs.map((job) => job.status)).toEqual(Array(slices).fill('completed'));
    // Every queued run's AuditEvents (written by the batched audit log, just after the AsyncJob): attempts cut off by
    // the time limit (if any, and only by it), then a success.
    const isQueued = (run: AuditEvent) => runDetail(run, 'trigger')?.startsWith('AsyncJob/') === true;
    const queuedRuns = await waitFor(
      async () => (await botRuns(medplum, BOT.id)).filter(isQueued),
      (runs) => runs.filter((run) => run.outcome === '0').length >= slices
    );
    for (const job of jobs) {
      const attempts = queuedRuns.filter((run) => runDetail(run, 'trigger') === `AsyncJob/${job.id}`);
      console.log(
        `AsyncJob/${job.id}: ${attempts.map((a) => `attempt ${runDetail(a, 'attempt')} outcome ${a.outcome}`).join(', ')}`
      );
      expect(attempts.at(-1)?.outcome).toBe('0');
      attempts.slice(0, -1).forEach((attempt) => {
        expect(attempt.outcome).toBe('4');
        expect(attempt.outcomeDesc).toBe(`Timed out after ${TIME_LIMIT_MS} ms`);
      });
      const result = JSON.parse(
        job.output?.parameter?.find((p) => p.name === 'result')?.valueString as string
      ) as ScanResult;
      expect(result.carePlans).toBe(PATIENTS_PER_RUN);
    }

    await settle();
    const alerts = await storedAlerts(more);
    expectOneAlertEach(alerts, more);
    expect(await alertVersions()).toBe(versionsBefore + PATIENTS * SCHEDULED_CODES.length);
  }, 600_000);
});

/**
 * Queues the missed-readings bot as its schedule does (the scheduler's own task, into this server's job queue) and
 * waits for its run (which only reads the CarePlans and queues the slices). Returns its AuditEvents.
 */
async function scheduledRun(): Promise<AuditEvent[]> {
  const since = Date.now() - 1_000;
  const bot = await medplum.readResource('Bot', BOT.id);
  await medplum.updateResource({ ...bot, cronString: DUE });
  const systemRepo = new PostgresRepository(server.pool, { fhirBaseUrl: server.fhirBaseUrl });
  const queue = new JobQueue({ pool: server.pool, schema: server.config.jobs.schema, concurrency: 1 });
  await scheduledBotsTask(
    systemRepo,
    queue,
    server.config.jobs.deliveryMaxAttempts
  )({ _cron: { ts: '2028-02-29T08:11:00.000Z' } }, { attempts: 1, maxAttempts: 1, jobId: 'test' });
  const ofThisRun = async () =>
    (await botRuns(medplum, BOT.id)).filter(
      (e) => Date.parse(e.recorded) >= since && runDetail(e, 'trigger') === 'schedule'
    );
  return waitFor(ofThisRun, (events) => events.some((e) => e.outcome === '0'), 120_000);
}
