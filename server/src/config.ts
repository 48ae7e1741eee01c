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
  /** Seed demo data on the first start against an empty database. */
  seedDemoData: boolean;
  logRequests: boolean;
}

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

  return {
    production,
    port,
    baseUrl: (env.BASE_URL || `http://localhost:${port}`).replace(/\/+$/, ''),
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedDataDir: env.RPM_EMBEDDED_DATA_DIR || path.join(REPO_ROOT, '.data', 'postgres'),
    embeddedPort: intVar(env, 'RPM_EMBEDDED_PG_PORT', 8132),
    redisUrl: env.REDIS_URL || undefined,
    maxBodyBytes: intVar(env, 'RPM_MAX_BODY_BYTES', 16 * 1024 * 1024),
    maxBundleEntries: intVar(env, 'RPM_MAX_BUNDLE_ENTRIES', 1000),
    adminClientId,
    adminClientSecret,
    accessTokenTtl: intVar(env, 'RPM_ACCESS_TOKEN_TTL', 3600),
    seedDemoData: env.RPM_SEED_DEMO_DATA !== 'false',
    logRequests: env.RPM_LOG_REQUESTS === 'true',
  };
}
