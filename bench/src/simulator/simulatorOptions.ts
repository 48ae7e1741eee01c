// Command-line options of `npm run simulate`: how many patients, how often, against which server, as which client.
import { parseArgs } from 'node:util';

export interface SimulatorOptions {
  patients: number;
  /** Seconds between one patient's readings. */
  interval: number;
  /** Seconds to run; 0 runs until Ctrl-C. */
  duration: number;
  seed: number;
  baseUrl: string;
  /** A backend-services client registered beforehand, and its private key (PEM file); else one is registered. */
  clientId?: string;
  privateKeyFile?: string;
  keyId?: string;
  /** The administrator client that enrols the patients and registers the gateway (development defaults). */
  adminClientId: string;
  adminClientSecret: string;
  help: boolean;
}

export const SIMULATOR_USAGE = `Usage: npm run simulate -- [options]

Simulates patients at home with a pulse oximeter, blood pressure monitor, thermometer and scale each. Enrols the
patients (heart-failure programme) with the admin client, then uploads their readings as HL7 PHD gateway
transaction bundles with a SMART backend-services client (private_key_jwt, system/ scopes).

  --patients N             simulated patients (default 10)
  --interval S             seconds between one patient's readings (default 60)
  --duration S             stop after S seconds (default 0: run until Ctrl-C)
  --seed N                 seed of the physiology (default 1)
  --base-url URL           the RPM server (default http://localhost:8103)
  --client-id ID           use this registered backend-services client instead of registering one
  --private-key FILE       its private key, PEM (EC P-384 signs ES384, RSA signs RS384); needs --client-id
  --key-id KID             the key's kid in the client's JWKS (optional)
  --admin-client-id ID     admin client for enrolment and registration (default rpm-admin)
  --admin-client-secret S  its secret (default rpm-admin-secret, the development default)
  -h, --help               show this help

Without --client-id the simulator registers a gateway client through POST /admin/clients and keeps its key in
bench/results/simulator-gateway.json, so the next run against the same server reuses it.`;

function integer(raw: string | undefined, flag: string, fallback: number, minimum: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`--${flag} must be an integer >= ${minimum}, got "${raw}"`);
  }
  return value;
}

/** Parses argv (without node and script); throws with a readable message on bad input. */
export function parseSimulatorOptions(argv: string[]): SimulatorOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      patients: { type: 'string' },
      interval: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      'base-url': { type: 'string' },
      'client-id': { type: 'string' },
      'private-key': { type: 'string' },
      'key-id': { type: 'string' },
      'admin-client-id': { type: 'string' },
      'admin-client-secret': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const baseUrl = (values['base-url'] ?? 'http://localhost:8103').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) {
    throw new Error(`--base-url must be an http(s) URL, got "${baseUrl}"`);
  }
  if ((values['client-id'] === undefined) !== (values['private-key'] === undefined)) {
    throw new Error('--client-id and --private-key go together');
  }
  return {
    patients: integer(values.patients, 'patients', 10, 1),
    interval: integer(values.interval, 'interval', 60, 1),
    duration: integer(values.duration, 'duration', 0, 0),
    seed: integer(values.seed, 'seed', 1, 0),
    baseUrl,
    clientId: values['client-id'],
    privateKeyFile: values['private-key'],
    keyId: values['key-id'],
    adminClientId: values['admin-client-id'] ?? 'rpm-admin',
    adminClientSecret: values['admin-client-secret'] ?? 'rpm-admin-secret',
    help: values.help === true,
  };
}
