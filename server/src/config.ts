// Typed server configuration, read once from the environment at start-up.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface ServerConfig {
  /** Production mode refuses development defaults (admin client secret, embedded database). */
  production: boolean;
  port: number;
  /** Public base URL of the server, without trailing slash, e.g. http://localhost:8103 */
  baseUrl: string;
  /** External PostgreSQL; when absent an embedded PostgreSQL is started. */
  databaseUrl?: string;
  /** Folder for the embedded PostgreSQL's data (git-ignored). */
  embeddedDataDir: string;
  embeddedPort: number;
  redisUrl?: string;
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** Largest number of entries in one batch or transaction Bundle. */
  maxBundleEntries: number;
  /** Seeded confidential client for local administration (client_credentials). */
  adminClientId: string;
  adminClientSecret: string;
  /** Access token lifetime, seconds. */
  accessTokenTtl: number;
  /** Refresh tokens of offline_access grants, seconds. */
  refreshTokenTtl: number;
  /** A sign-in session ends after this many seconds without use. */
  sessionIdleTtl: number;
  /** Serve the unauthenticated demo EHR launcher page (/oauth2/ehr-launcher); never in production. */
  ehrLauncher: boolean;
  /** EHR origins allowed to embed the SMART apps (/apps/...) in a frame (CSP frame-ancestors); none by default. */
  frameAncestors: string[];
  /** Where the clinician and patient SMART apps are served (their redirect and launch URLs derive from it). */
  clinicianAppUrl: string;
  patientAppUrl: string;
  /** Upstream OpenID Connect providers (NHS login, NHS CIS2, ...) offered on the sign-in page. */
  upstreamProviders: UpstreamProviderConfig[];
  /** Seed demo data on the first start against an empty database. */
  seedDemoData: boolean;
  /** `npm start` runs a small device simulation (5 patients, a reading a minute) so the demo is alive; never in production. */
  demoSimulation: boolean;
  logRequests: boolean;
  /** Background work (Subscriptions, bots, notifications, escalation): see server/src/jobs and README. */
  jobs: JobsConfig;
}

/** The job queue and the bot runtime. */
export interface JobsConfig {
  /** Run queued jobs on this instance (false: this instance only serves requests and queues work). */
  run: boolean;
  /** PostgreSQL schema of the job queue (graphile-worker); every instance of one deployment uses the same. */
  schema: string;
  /** Jobs one instance runs at once. */
  concurrency: number;
  /** A job worker silent this long is presumed dead and its jobs are released to the other instances. */
  deadWorkerTimeoutSeconds: number;
  /** Attempts for a rest-hook delivery or bot execution before it is dead-lettered. */
  deliveryMaxAttempts: number;
  /** A bot execution is stopped after this long (a Bot's own `timeout`, in seconds, may be shorter). */
  botTimeoutMs: number;
  /** Heap limit of a bot worker thread. */
  botMemoryMb: number;
  /** Worker threads running bots. */
  botWorkers: number;
  /** Deploy the project's own alert bots (bots/src/bots) and their Subscriptions at start-up. */
  builtInBots: boolean;
  /**
   * New readings are held, then refused (503, Retry-After), while the oldest waiting bot run is older than this; 0: never.
   * See server/README.md, "Under load: alerts first".
   */
  alertBacklogLimitMs: number;
  /** How long such a reading (a single Observation write) is held, waiting for alerts to catch up, before its 503. */
  readingHoldMs: number;
  /** AsyncJobs (queued bot runs) that ended longer ago than this are removed, hourly; 0 keeps them. */
  asyncJobRetentionDays: number;
}

/** One upstream OpenID Connect provider (RPM_UPSTREAM_OIDC is a JSON array of these). */
export interface UpstreamProviderConfig {
  /** Short name used in URLs, e.g. 'nhs-login'. */
  id: string;
  /** Button text: 'Sign in with <label>'. */
  label: string;
  /** The provider's issuer URL (its discovery document is read from <issuer>/.well-known/openid-configuration). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for; default 'openid email'. NHS login needs 'openid profile nhs_number'. */
  scope?: string;
  /** Whose accounts it signs in: 'patient' (matched by NHS number) or 'staff' (matched by email). */
  kind: 'patient' | 'staff';
}

/** The most readings one run of the built-in alerts bot takes (its Bot's batch size, bots/builtInBots.ts). */
export const ALERT_BOT_BATCH_SIZE = 25;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const DEV_ADMIN_CLIENT_ID = 'rpm-admin';
const DEV_ADMIN_CLIENT_SECRET = 'rpm-admin-secret';

/** Thrown when the configuration is unusable; main() prints it and exits. */
export class ConfigError extends Error {}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

/** Reads and checks the configuration; refuses development defaults in production. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const production = env.NODE_ENV === 'production';
  const port = intVar(env, 'PORT', 8103);
  const adminClientId = env.RPM_ADMIN_CLIENT_ID || DEV_ADMIN_CLIENT_ID;
  const adminClientSecret = env.RPM_ADMIN_CLIENT_SECRET || DEV_ADMIN_CLIENT_SECRET;

  if (production) {
    if (adminClientSecret === DEV_ADMIN_CLIENT_SECRET || adminClientSecret.length < 24) {
      throw new ConfigError(
        'NODE_ENV=production: set RPM_ADMIN_CLIENT_SECRET to a random secret of at least 24 characters (the development default is refused)'
      );
    }
    if (!env.DATABASE_URL) {
      throw new ConfigError('NODE_ENV=production: set DATABASE_URL (the embedded PostgreSQL is for development only)');
    }
  }

  const baseUrl = (env.BASE_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  return {
    production,
    port,
    baseUrl,
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedDataDir: env.RPM_EMBEDDED_DATA_DIR || path.join(REPO_ROOT, '.data', 'postgres'),
    embeddedPort: intVar(env, 'RPM_EMBEDDED_PG_PORT', 8132),
    redisUrl: env.REDIS_URL || undefined,
    maxBodyBytes: intVar(env, 'RPM_MAX_BODY_BYTES', 16 * 1024 * 1024),
    maxBundleEntries: intVar(env, 'RPM_MAX_BUNDLE_ENTRIES', 1000),
    adminClientId,
    adminClientSecret,
    accessTokenTtl: intVar(env, 'RPM_ACCESS_TOKEN_TTL', 3600),
    refreshTokenTtl: intVar(env, 'RPM_REFRESH_TOKEN_TTL', 30 * 24 * 3600),
    sessionIdleTtl: intVar(env, 'RPM_SESSION_IDLE_SECONDS', 15 * 60),
    ehrLauncher: production ? false : env.RPM_EHR_LAUNCHER !== 'false',
    frameAncestors: parseFrameAncestors(env.RPM_FRAME_ANCESTORS),
    upstreamProviders: parseUpstreamProviders(env.RPM_UPSTREAM_OIDC),
    clinicianAppUrl: appUrl(env.RPM_CLINICIAN_APP_URL, baseUrl, 'clinician'),
    patientAppUrl: appUrl(env.RPM_PATIENT_APP_URL, baseUrl, 'patient'),
    seedDemoData: env.RPM_SEED_DEMO_DATA !== 'false',
    demoSimulation: production
      ? false
      : (env.RPM_DEMO_SIMULATION ?? (env.RPM_SEED_DEMO_DATA === 'false' ? 'false' : 'true')) === 'true',
    logRequests: env.RPM_LOG_REQUESTS === 'true',
    jobs: loadJobsConfig(env),
  };
}

function loadJobsConfig(env: NodeJS.ProcessEnv): JobsConfig {
  const schema = env.RPM_JOB_SCHEMA || 'graphile_worker';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('RPM_JOB_SCHEMA must be a lower-case PostgreSQL schema name');
  }
  const positive = (name: string, fallback: number): number => {
    const value = intVar(env, name, fallback);
    if (value < 1) {
      throw new ConfigError(`${name} must be at least 1`);
    }
    return value;
  };
  const botWorkers = positive('RPM_BOT_WORKERS', 2);
  return {
    run: env.RPM_RUN_JOBS !== 'false',
    schema,
    // Enough jobs in flight for each bot worker's run of the alerts bot to take a full batch: with 16, under load its
    // runs averaged eight readings and the pipeline topped out near 300 readings/s on the bench (bench/README.md).
    concurrency: positive('RPM_JOB_CONCURRENCY', botWorkers * ALERT_BOT_BATCH_SIZE),
    deadWorkerTimeoutSeconds: positive('RPM_JOB_WORKER_TIMEOUT_SECONDS', 30),
    deliveryMaxAttempts: positive('RPM_DELIVERY_MAX_ATTEMPTS', 10),
    botTimeoutMs: positive('RPM_BOT_TIMEOUT_MS', 10_000),
    botMemoryMb: positive('RPM_BOT_MEMORY_MB', 128),
    botWorkers,
    builtInBots: env.RPM_BUILT_IN_BOTS !== 'false',
    alertBacklogLimitMs: intVar(env, 'RPM_ALERT_BACKLOG_LIMIT_MS', 500),
    readingHoldMs: intVar(env, 'RPM_READING_HOLD_MS', 5_000),
    asyncJobRetentionDays: intVar(env, 'RPM_ASYNC_JOB_RETENTION_DAYS', 7),
  };
}

/** RPM_UPSTREAM_OIDC: a JSON array of UpstreamProviderConfig; a malformed value stops the start with a clear message. */
/** RPM_FRAME_ANCESTORS: origins (scheme://host[:port]) separated by spaces or commas. */
function parseFrameAncestors(raw: string | undefined): string[] {
  const values = (raw ?? '').split(/[\s,]+/).filter(Boolean);
  return values.map((value) => {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
      throw new ConfigError(
        `RPM_FRAME_ANCESTORS must list origins such as https://ehr.example.org (no path), got "${value}"`
      );
    }
    return url.origin;
  });
}

function parseUpstreamProviders(raw: string | undefined): UpstreamProviderConfig[] {
  if (!raw) {
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('RPM_UPSTREAM_OIDC must be a JSON array of upstream OpenID Connect providers');
  }
  if (!Array.isArray(parsed)) {
    throw new ConfigError('RPM_UPSTREAM_OIDC must be a JSON array');
  }
  return parsed.map((entry, i) => {
    const p = entry as Record<string, unknown>;
    for (const key of ['id', 'label', 'issuer', 'clientId', 'clientSecret'] as const) {
      if (typeof p[key] !== 'string' || p[key] === '') {
        throw new ConfigError(`RPM_UPSTREAM_OIDC[${i}].${key} must be a non-empty string`);
      }
    }
    if (!/^[a-z0-9-]{1,40}$/.test(p.id as string)) {
      throw new ConfigError(`RPM_UPSTREAM_OIDC[${i}].id must be lower-case letters, digits and dashes`);
    }
    if (p.kind !== 'patient' && p.kind !== 'staff') {
      throw new ConfigError(`RPM_UPSTREAM_OIDC[${i}].kind must be "patient" or "staff"`);
    }
    if (!URL.canParse(p.issuer as string)) {
      throw new ConfigError(`RPM_UPSTREAM_OIDC[${i}].issuer must be a URL`);
    }
    return {
      id: p.id as string,
      label: p.label as string,
      issuer: p.issuer as string,
      clientId: p.clientId as string,
      clientSecret: p.clientSecret as string,
      ...(typeof p.scope === 'string' ? { scope: p.scope } : {}),
      kind: p.kind,
    };
  });
}

/** An app's URL, ending in '/': configured, or served by this server under /apps/<name>/. */
function appUrl(raw: string | undefined, baseUrl: string, name: string): string {
  const url = raw || `${baseUrl}/apps/${name}/`;
  if (!URL.canParse(url)) {
    throw new ConfigError(`The ${name} app URL ${url} is not a URL`);
  }
  return url.endsWith('/') ? url : `${url}/`;
}
