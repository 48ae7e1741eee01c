// A missed-readings scan cut off by the bot time limit keeps what it committed; the next runs finish it, each alert once.
import crypto from 'node:crypto';
import type { MedplumClient } from '@medplum/core';
import type { AuditEvent, Bundle, CarePlan, DetectedIssue, Parameters, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALERTS_PER_TRANSACTION } from '../../../bots/src/alerts/raiseAlert.ts';
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
 * first, after one look-up of open alerts per hundred patients).
 */
const PATIENTS = 2000;
/**
 * Patients added before the scheduled run (job queue) test, sized from what one cut-off run opened in the test before it
 * (same machine, same load): about ATTEMPTS_OF_WORK attempts' worth of alerts (a little more in practice: each
 * attempt checks again, quickly, the alerts the attempts before it opened). A fixed number could not fit every
 * machine: with 300 (1,200 alerts) an idle machine once finished in one attempt, so there was no retry to test; with
 * 600 a CI run on a loaded, slower machine opened under 500 alerts per attempt and had not finished when the fifth
 * attempt failed, and graphile-worker's back-off (e^attempts s) puts the sixth beyond the test's 240 s wait.
 */
const ATTEMPTS_OF_WORK = 2;
const MORE_PATIENTS_RANGE = { min: 150, max: 2000 };
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
async function enrolSilentPatients(count: number): Promise<string[]> {
  const {
    id: _id,
    goal: _goal,
    author: _author,
    ...template
  } = readExample<CarePlan>('rpm-monitoring-careplan-heart-failure');
  const start = new Date(Date.now() - 3 * 86_400_000).toISOString();
  const patients: string[] = [];
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
      }
    }
  }
  return patients;
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

/** One run through Bot/$execute: the bot's own token, worker pool and time limit, as a scheduled run has. */
async function runScan(): Promise<{ status: number; text: string; result?: ScanResult }> {
  const input: Parameters = {
    resourceType: 'Parameters',
    parameter: [{ name: 'scheduled', valueDateTime: new Date().toISOString() }],
  };
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
  /** Alerts the first $execute run had opened when it was cut off. */
  let openedByOneRun = 0;
  const expectedAlerts = PATIENTS * SCHEDULED_CODES.length;

  test(`${PATIENTS} silent patients through $execute: cut-off runs keep their alerts, a later run finishes, each alert once`, async () => {
    patients = await enrolSilentPatients(PATIENTS);
    expect(patients).toHaveLength(PATIENTS);

    const runs: { status: number; alerts: number }[] = [];
    let finished: ScanResult | undefined;
    for (let run = 1; run <= MAX_RUNS && !finished; run++) {
      const started = Date.now();
      const answer = await runScan();
      const ms = Date.now() - started;
      const atAnswer = (await storedAlerts(patients)).length;
      await settle();
      const alerts = (await storedAlerts(patients)).length;
      const before = runs.at(-1)?.alerts ?? 0;
      runs.push({ status: answer.status, alerts });
      openedByOneRun ||= alerts;
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
    const extra = await runScan();
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

  test(`a scheduled run cut off is retried by the job queue until it finishes: AuditEvents say so, each alert once`, async () => {
    let morePatients = Math.min(
      MORE_PATIENTS_RANGE.max,
      Math.max(
        MORE_PATIENTS_RANGE.min,
        Math.round((openedByOneRun * ATTEMPTS_OF_WORK) / SCHEDULED_CODES.length / 50) * 50
      )
    );
    console.log(`one cut-off run opened ${openedByOneRun} alerts: ${morePatients} more patients`);
    // The first test's patients leave the programme (their CarePlans completed, their alerts left open): every attempt
    // would otherwise look up all their open alerts before reaching the new patients (and re-check them all after),
    // and the attempts would no longer be comparable with the cut-off run the work was sized by.
    await completeCarePlansOf(patients);
    let everyone = [...patients];
    const maxAttempts = server.config.jobs.deliveryMaxAttempts;
    let runs: AuditEvent[] = [];
    let versionsBefore: number;
    // The machine can be much faster now than during the cut-off run the work was sized by (in one CI run the other
    // test files had finished meanwhile, and 1,600 alerts fitted in one attempt): then there was no retry to test,
    // and the round is repeated with twice the patients, the earlier ones leaving the programme as above.
    for (let round = 1; ; round++) {
      const more = await enrolSilentPatients(morePatients);
      // The writes above queued work of their own (resource-changed jobs): let it finish, so that the attempts below
      // compete with nothing the cut-off run the work was sized by did not (in one CI run they opened half as many
      // alerts each and needed five attempts, the most the 240 s wait allows).
      await settle();
      everyone = [...everyone, ...more];
      versionsBefore = await alertVersions();
      runs = await scheduledRunUntilItFinishes(round);
      if (runs.length >= 2 || round === 3) {
        break;
      }
      console.log(`round ${round}: ${morePatients} patients finished in one attempt; again with twice as many`);
      await settle();
      await completeCarePlansOf(more);
      morePatients = Math.min(morePatients * 2, MORE_PATIENTS_RANGE.max * 2);
    }
    expect(runs.at(-1)?.outcome).toBe('0');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    runs.forEach((run, i) => {
      expect(runDetail(run, 'trigger')).toBe('schedule');
      expect(runDetail(run, 'attempt')).toBe(`${i + 1} of ${maxAttempts}`);
      if (i < runs.length - 1) {
        // Every attempt before the last failed on the time limit, and only on it.
        expect(run.outcome).toBe('4');
        expect(run.outcomeDesc).toBe(`Timed out after ${TIME_LIMIT_MS} ms`);
      }
    });

    await settle();
    // This test's patients (every round's), whatever became of the first test's: one alert each, and nothing else
    // written in the last round but its own alerts.
    const ofThisTest = everyone.slice(patients.length);
    const alerts = await storedAlerts(ofThisTest);
    expectOneAlertEach(alerts, ofThisTest);
    expect(await alertVersions()).toBe(versionsBefore + morePatients * SCHEDULED_CODES.length);
  }, 900_000);
});

/**
 * Queues the missed-readings bot as its schedule does (the scheduler's own task, into this server's job queue) and
 * waits for the attempt that succeeds; retries come after e^attempts seconds (2.7 s, 7.4 s, 20 s…). Returns the
 * attempts of this run only (one round of the test), oldest first.
 */
async function scheduledRunUntilItFinishes(round: number): Promise<AuditEvent[]> {
  const since = Date.now() - 1_000;
  const bot = await medplum.readResource('Bot', BOT.id);
  // Each round at its own minute (DUE is round 1's), so its scheduled run is a new job.
  const minute = 10 + round;
  await medplum.updateResource({ ...bot, cronString: DUE.replace(/^11 /, `${minute} `) });
  const systemRepo = new PostgresRepository(server.pool, { fhirBaseUrl: server.fhirBaseUrl });
  const queue = new JobQueue({ pool: server.pool, schema: server.config.jobs.schema, concurrency: 1 });
  const maxAttempts = server.config.jobs.deliveryMaxAttempts;
  await scheduledBotsTask(
    systemRepo,
    queue,
    maxAttempts
  )({ _cron: { ts: `2028-02-29T08:${minute}:00.000Z` } }, { attempts: 1, maxAttempts: 1, jobId: `test-${round}` });
  const ofThisRun = async () => (await botRuns(medplum, BOT.id)).filter((e) => Date.parse(e.recorded) >= since);
  const runs = await waitFor(ofThisRun, (events) => events.some((e) => e.outcome === '0'), 240_000);
  console.log(
    runs.map((e) => `attempt ${runDetail(e, 'attempt')}: outcome ${e.outcome} ${e.outcomeDesc ?? ''}`).join('\n')
  );
  return runs;
}
