// Missed readings over the bot time limit: a cut-off run keeps its alerts; the scheduled run's queued runs finish.
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
 * The server's bot time limit, RPM_BOT_TIMEOUT_MS (the production setting, 10 s by default), lowered so that one run
 * opening every alert of the caseload below cannot finish, while a queued run of PATIENTS_PER_RUN patients finishes
 * within a few attempts (in a loaded CI run each needed 3 or 4, every cut-off attempt keeping its alerts).
 */
const TIME_LIMIT_MS = 4_000;
/**
 * Patients enrolled three days ago who never took a reading: each of the heart-failure CarePlan's four daily readings
 * (09:00 Europe/London, 3 h grace) is overdue whatever the time of day, so the scan must open four alerts for each.
 * 2,000 patients = 8,000 alerts = 80 transactions of 100: one run of them all was cut off at 4 s in every run seen
 * (the most it opened was 5,500, on a fast day). Nor can one run re-check them all in 4 s on a loaded machine: in a
 * CI run, a run finding all 8,000 alerts open was cut off too. That is the case the split exists for; before it,
 * this test let runs of the whole caseload finish the work, and failed that way.
 */
const PATIENTS = 2000;
const SCHEDULED_CODES = ['29463-7', '85354-9', '8867-4', '2708-6'];
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

/** A run's report: the alerts it opened or changed, and how many it found open and left unchanged. */
interface ScanResult {
  carePlans: number;
  schedules: number;
  overdue: number;
  alerts: { patient: string; code: string; outcome: string }[];
  unchanged: number;
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
  /** The AsyncJobs of the queued runs seen so far. */
  const seenJobs = new Set<string>();

  test(`one run of ${PATIENTS} silent patients is cut off and keeps what it committed; the scheduled run's queued runs of ${PATIENTS_PER_RUN} finish the rest, each alert once`, async () => {
    const enrolled = await enrolSilentPatients(PATIENTS);
    patients = enrolled.patients;
    expect(patients).toHaveLength(PATIENTS);

    // One run given the whole caseload (more than the scheduled run ever gives one run) is cut off part-way, with
    // whole transactions of 100 alerts written: the one in flight at the cut-off still commits (the server finishes
    // the request after the bot's worker is stopped).
    const started = Date.now();
    const cutOff = await runScan(enrolled.carePlans);
    await settle();
    const opened = (await storedAlerts(patients)).length;
    console.log(
      `one run: HTTP ${cutOff.status} after ${Date.now() - started} ms, ${opened} of ${expectedAlerts} alerts`
    );
    expect(cutOff.status).toBe(400);
    expect(cutOff.text).toContain(`The bot failed: Timed out after ${TIME_LIMIT_MS} ms`);
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThan(expectedAlerts);
    expect(opened % ALERTS_PER_TRANSACTION).toBe(0);

    // The scheduled run (through the job queue, as on its cron) splits the caseload; its queued runs finish it,
    // leaving the alerts the cut-off run opened as they were.
    const runs = await scheduledScan(1);
    const reports = runs.map((r) => r.report);
    expect(reports.map((r) => r.carePlans)).toEqual(Array(PATIENTS / PATIENTS_PER_RUN).fill(PATIENTS_PER_RUN));
    const created = reports.flatMap((r) => r.alerts).filter((a) => a.outcome === 'created').length;
    const unchanged = reports.reduce((n, r) => n + r.unchanged, 0);
    expect(created + unchanged).toBe(expectedAlerts);
    if (runs.every((r) => r.attempts === 1)) {
      expect(unchanged).toBe(opened);
    } else {
      // A queued attempt cut off by the limit had opened alerts too: the attempt that finished found them open.
      expect(unchanged).toBeGreaterThanOrEqual(opened);
    }

    await settle();
    const alerts = await storedAlerts(patients);
    expectOneAlertEach(alerts, patients);
    // Each alert was written once: one version each, none updated by a later run.
    expect(await alertVersions()).toBe(expectedAlerts);
  }, 600_000);

  test('the next scheduled scan finds every alert open and writes nothing', async () => {
    const before = await storedAlerts(patients);
    const reports = (await scheduledScan(2)).map((r) => r.report);
    expect(reports.every((r) => r.alerts.length === 0)).toBe(true);
    expect(reports.reduce((n, r) => n + r.unchanged, 0)).toBe(expectedAlerts);
    await settle();
    const after = await storedAlerts(patients);
    expect(after.map((a) => `${a.id} ${a.versionId}`).sort()).toEqual(
      before.map((a) => `${a.id} ${a.versionId}`).sort()
    );
    expect(await alertVersions()).toBe(expectedAlerts);
  }, 600_000);

  /**
   * One scheduled scan: the scheduled run (its AuditEvent: success at the first attempt), then its queued runs until
   * each AsyncJob is completed; each queued run's attempts are cut off by the time limit (if at all, and only by
   * it), then succeed. Returns each queued run's report (its last attempt's) and number of attempts, in order.
   */
  async function scheduledScan(round: number): Promise<{ report: ScanResult; attempts: number }[]> {
    const maxAttempts = server.config.jobs.deliveryMaxAttempts;
    const scheduled = await scheduledRun(round);
    expect(scheduled.map((run) => [run.outcome, runDetail(run, 'attempt')])).toEqual([['0', `1 of ${maxAttempts}`]]);
    const slices = PATIENTS / PATIENTS_PER_RUN;
    const ofThisScan = async () =>
      (await medplum.searchResources('AsyncJob', { _count: '100' }, { cache: 'no-cache' })).filter(
        (job) => !seenJobs.has(job.id as string)
      );
    const jobs = await waitFor(
      ofThisScan,
      (found) => found.length === slices && found.every((job) => job.status !== 'accepted'),
      480_000
    );
    jobs.forEach((job) => seenJobs.add(job.id as string));
    expect(jobs.map((job) => job.status)).toEqual(Array(slices).fill('completed'));
    // The AuditEvents are written by the batched audit log, just after the AsyncJob.
    const isQueued = (run: AuditEvent) => jobs.some((job) => runDetail(run, 'trigger') === `AsyncJob/${job.id}`);
    const queuedRuns = await waitFor(
      async () => (await botRuns(medplum, BOT.id)).filter(isQueued),
      (runs) => runs.filter((run) => run.outcome === '0').length >= slices
    );
    const ordered = [...jobs].sort((a, b) => Date.parse(a.requestTime) - Date.parse(b.requestTime));
    return ordered.map((job) => {
      const attempts = queuedRuns.filter((run) => runDetail(run, 'trigger') === `AsyncJob/${job.id}`);
      console.log(
        `scan ${round}, AsyncJob/${job.id}: ` +
          attempts.map((a) => `attempt ${runDetail(a, 'attempt')} outcome ${a.outcome}`).join(', ')
      );
      expect(attempts.at(-1)?.outcome).toBe('0');
      attempts.slice(0, -1).forEach((attempt) => {
        expect(attempt.outcome).toBe('4');
        expect(attempt.outcomeDesc).toBe(`Timed out after ${TIME_LIMIT_MS} ms`);
      });
      const result = job.output?.parameter?.find((p) => p.name === 'result')?.valueString as string;
      return { report: JSON.parse(result) as ScanResult, attempts: attempts.length };
    });
  }
});

/**
 * Queues the missed-readings bot as its schedule does (the scheduler's own task, into this server's job queue) and
 * waits for its run (which only reads the CarePlans and queues the slices). Returns its AuditEvents. Each round at
 * its own minute (DUE is round 1's), so that its scheduled run is a new job.
 */
async function scheduledRun(round: number): Promise<AuditEvent[]> {
  const since = Date.now() - 1_000;
  const minute = 10 + round;
  const bot = await medplum.readResource('Bot', BOT.id);
  await medplum.updateResource({ ...bot, cronString: DUE.replace(/^11 /, `${minute} `) });
  const systemRepo = new PostgresRepository(server.pool, { fhirBaseUrl: server.fhirBaseUrl });
  const queue = new JobQueue({ pool: server.pool, schema: server.config.jobs.schema, concurrency: 1 });
  await scheduledBotsTask(
    systemRepo,
    queue,
    server.config.jobs.deliveryMaxAttempts
  )({ _cron: { ts: `2028-02-29T08:${minute}:00.000Z` } }, { attempts: 1, maxAttempts: 1, jobId: `test-${round}` });
  const ofThisRun = async () =>
    (await botRuns(medplum, BOT.id)).filter(
      (e) => Date.parse(e.recorded) >= since && runDetail(e, 'trigger') === 'schedule'
    );
  return waitFor(ofThisRun, (events) => events.some((e) => e.outcome === '0'), 120_000);
}
