// `npm run simulate`: simulated patients' home devices streaming vital signs through PHD gateway bundles.
import fs from 'node:fs';
import path from 'node:path';
import type { Observation, Patient } from '@medplum/fhirtypes';
import { NHS_NUMBER_SYSTEM, phdGatewayBundle } from '../../../server/src/devices/phdGatewayBundle.ts';
import { REPO_ROOT } from '../childProcesses.ts';
import { FhirClient } from '../fhirClient.ts';
import {
  discoverTokenUrl,
  GatewayTokens,
  readSavedGateway,
  registerGateway,
  saveGateway,
  type GatewayIdentity,
} from './backendServicesAuth.ts';
import { deviceKit, type SimulatedDevice } from './deviceKit.ts';
import { deviceUploads } from './deviceReadings.ts';
import { postGatewayBundle } from './gatewayUpload.ts';
import { newPatientState, nextVitalSigns, type PatientState } from './physiology.ts';
import { simulatedPatients, type SimulatedPatient } from './simulatedPatients.ts';
import { parseSimulatorOptions, SIMULATOR_USAGE, type SimulatorOptions } from './simulatorOptions.ts';

const SAVED_GATEWAY_FILE = path.join(REPO_ROOT, 'bench', 'results', 'simulator-gateway.json');
/** Readings a device keeps while uploads fail (about a day at one a minute), resent with its next upload. */
const MAX_PENDING = 1500;
const STATUS_EVERY_MS = 30_000;

interface Totals {
  uploads: number;
  readingsCreated: number;
  /** Resent readings the server already had (each stored once). */
  resentFound: number;
  failedUploads: number;
  missedReadings: number;
  faults: number;
  lastError?: string;
}

interface SimulatedHome {
  patient: SimulatedPatient;
  state: PatientState;
  kit: SimulatedDevice[];
  /** Readings not yet confirmed by the server, per device EUI-64. */
  pending: Map<string, Observation[]>;
}

/** The gateway's identity: the one given, the one saved for this server (if it still gets a token), or a new one. */
async function gatewayTokens(options: SimulatorOptions, admin: FhirClient, tokenUrl: string): Promise<GatewayTokens> {
  if (options.clientId && options.privateKeyFile) {
    const identity: GatewayIdentity = {
      clientId: options.clientId,
      privateKeyPem: fs.readFileSync(options.privateKeyFile, 'utf8'),
      kid: options.keyId,
    };
    const tokens = new GatewayTokens(identity, tokenUrl);
    await tokens.authorizationHeader();
    return tokens;
  }
  const saved = readSavedGateway(SAVED_GATEWAY_FILE, options.baseUrl);
  if (saved) {
    const tokens = new GatewayTokens(saved, tokenUrl);
    try {
      await tokens.authorizationHeader();
      console.log(`[simulate] reusing gateway client ${saved.clientId}`);
      return tokens;
    } catch (err) {
      console.log(`[simulate] saved gateway client no longer works (${(err as Error).message}); registering a new one`);
    }
  }
  const identity = await registerGateway(admin, 'RPM device simulator (gateway)');
  saveGateway(SAVED_GATEWAY_FILE, options.baseUrl, identity);
  console.log(`[simulate] registered gateway client ${identity.clientId} (key saved in ${SAVED_GATEWAY_FILE})`);
  const tokens = new GatewayTokens(identity, tokenUrl);
  await tokens.authorizationHeader();
  return tokens;
}

/** One patient's tick: measure, upload each device's readings (with any earlier ones the server has not confirmed). */
async function tick(home: SimulatedHome, fhirBaseUrl: string, tokens: GatewayTokens, totals: Totals): Promise<void> {
  const now = new Date();
  const wasWell = home.state.deteriorationLeft === 0;
  const vitals = nextVitalSigns(home.state, now.getHours() + now.getMinutes() / 60);
  if (wasWell && home.state.deteriorationLeft > 0) {
    console.log(`[simulate] patient ${home.patient.index} (Patient/${home.patient.id}) starts to deteriorate`);
  }
  const uploads = deviceUploads(home.kit, vitals, now, home.state.random);
  totals.missedReadings += home.kit.length - uploads.length;
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: home.patient.nhsNumber }],
  };
  for (const upload of uploads) {
    totals.faults += upload.fault ? 1 : 0;
    const observations = [...(home.pending.get(upload.device.eui64) ?? []), ...upload.observations];
    const bundle = phdGatewayBundle({ patient, device: upload.device.device, observations });
    const result = await postGatewayBundle(fhirBaseUrl, tokens, bundle);
    totals.uploads += 1;
    if (result.error) {
      totals.failedUploads += 1;
      totals.lastError = result.error;
      home.pending.set(upload.device.eui64, observations.slice(-MAX_PENDING));
    } else {
      home.pending.delete(upload.device.eui64);
      totals.readingsCreated += result.created;
      totals.resentFound += result.existing;
    }
  }
}

function printTotals(totals: Totals, homes: SimulatedHome[]): void {
  const deteriorations = homes.reduce((sum, home) => sum + home.state.deteriorationsStarted, 0);
  const pending = homes.reduce((sum, home) => sum + [...home.pending.values()].flat().length, 0);
  console.log(
    `[simulate] uploads ${totals.uploads} (failed ${totals.failedUploads}), readings created ${totals.readingsCreated}, ` +
      `resent and already stored ${totals.resentFound}, missed readings ${totals.missedReadings}, device faults ${totals.faults}, ` +
      `deteriorations ${deteriorations}, readings waiting to resend ${pending}` +
      (totals.lastError ? `; last error: ${totals.lastError}` : '')
  );
}

async function main(): Promise<number> {
  let options: SimulatorOptions;
  try {
    options = parseSimulatorOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${SIMULATOR_USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(SIMULATOR_USAGE);
    return 0;
  }
  const admin = new FhirClient(options.baseUrl, {
    clientId: options.adminClientId,
    clientSecret: options.adminClientSecret,
  });
  const tokenUrl = await discoverTokenUrl(options.baseUrl);
  const tokens = await gatewayTokens(options, admin, tokenUrl);
  const patients = await simulatedPatients(admin, options.patients, options.seed);
  const homes: SimulatedHome[] = patients.map((patient) => ({
    patient,
    state: newPatientState(options.seed, patient.index),
    kit: deviceKit(patient.index),
    pending: new Map(),
  }));
  const totals: Totals = {
    uploads: 0,
    readingsCreated: 0,
    resentFound: 0,
    failedUploads: 0,
    missedReadings: 0,
    faults: 0,
  };
  console.log(
    `[simulate] ${homes.length} patients × ${homes[0].kit.length} devices, a reading every ${options.interval} s each` +
      (options.duration ? `, for ${options.duration} s` : ', until Ctrl-C')
  );

  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const intervalMs = options.interval * 1000;
  homes.forEach((home, i) => {
    const run = (): void => {
      if (stopping) return;
      const started = Date.now();
      const work = tick(home, admin.fhirBaseUrl, tokens, totals).catch((err: Error) => {
        totals.failedUploads += 1;
        totals.lastError = err.message;
      });
      running.add(work);
      void work.finally(() => {
        running.delete(work);
        schedule(Math.max(0, intervalMs - (Date.now() - started)));
      });
    };
    const schedule = (delayMs: number): void => {
      if (stopping) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        run();
      }, delayMs);
      timers.add(timer);
    };
    // Patients are spread over the first interval, so the uploads arrive evenly rather than all at once.
    schedule(Math.floor((i * intervalMs) / homes.length));
  });

  const status = setInterval(() => printTotals(totals, homes), STATUS_EVERY_MS);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (options.duration > 0) setTimeout(resolve, options.duration * 1000).unref();
  });
  stopping = true;
  clearInterval(status);
  for (const timer of timers) clearTimeout(timer);
  await Promise.all(running);
  printTotals(totals, homes);
  return totals.uploads > 0 && totals.failedUploads === totals.uploads ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[simulate] ${err.message}`);
    process.exit(1);
  }
);
