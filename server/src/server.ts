// Starts the whole server: database (embedded or external), migrations, definitions, auth, FHIR API, HTTP listener.
import http from 'node:http';
import { FhirRouter } from '@medplum/fhir-router';
import { type ServerConfig } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embeddedPostgres.ts';
import { warnAboutMaintenance } from './db/maintenanceSettings.ts';
import { migrate } from './db/migrate.ts';
import { createPool, type Db } from './db/pool.ts';
import { connectRedis } from './db/redis.ts';
import type { Redis } from 'ioredis';
import { createClientAdminRouter } from './auth/clientAdmin.ts';
import { createAuthorizationServer, type AuthorizationServer } from './auth/index.ts';
import { auditAuthorizationEvents, recordLogin } from './audit/auditAuthorization.ts';
import { createAuditLog, type BatchedAuditLog } from './audit/auditLog.ts';
import { loadConformanceResources } from './fhir/conformance/loadConformance.ts';
import { loadFhirDefinitions } from './fhir/definitions.ts';
import { registerConformanceOperations } from './fhir/operations/index.ts';
import { PostgresRepository } from './fhir/repository/postgresRepository.ts';
import { createApp, FHIR_PATH } from './http/app.ts';
import { seedDemoData, type DemoCredentials } from './seed/demoData.ts';
import { startBackgroundWork, type BackgroundDeps } from './background.ts';
import { JobQueue } from './jobs/jobQueue.ts';
import { watchAlertBacklog } from './jobs/alertBacklog.ts';
import { asyncJobRetentionModule } from './jobs/asyncJobRetention.ts';
import { attachWriteTriggers, WriteTriggers } from './subscriptions/writeTriggers.ts';
import { botModule, deployBuiltInBots } from './bots/index.ts';
import { notificationModule } from './notifications/index.ts';
import { alertEscalationModule, registerAlertOperations } from './alerts/index.ts';
import { registerDeviceOperations } from './devices/index.ts';
import { attachSubscriptionWebSockets, registerWebSocketOperations } from './subscriptions/websocket/index.ts';

export interface RunningServer {
  /** e.g. http://localhost:8103 */
  baseUrl: string;
  fhirBaseUrl: string;
  tokenUrl: string;
  port: number;
  pool: Db;
  /** Present when REDIS_URL is set. */
  redis?: Redis;
  demo?: DemoCredentials;
  /** The authorization server (its oidc-provider, issuer and token URL). */
  auth: AuthorizationServer;
  /** The audit log (AuditEvents written in batches); flush() writes what is queued, stats() counts. */
  audit: BatchedAuditLog;
  close(): Promise<void>;
}

/** Starts everything; close() stops the listener, the pool and an embedded database, in that order. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  loadFhirDefinitions();
  let embedded: EmbeddedDatabase | undefined;
  const databaseUrl =
    config.databaseUrl ?? (embedded = await startEmbeddedPostgres(config.embeddedDataDir, config.embeddedPort)).url;
  const pool = createPool(databaseUrl);
  // Audit: closing the log writes what is queued, after the listener stops and before the pool ends.
  const audit = createAuditLog({ pool });
  const closers: (() => Promise<void>)[] = [() => audit.close(), async () => pool.end(), async () => embedded?.stop()];
  try {
    await migrate(pool);
    // Autovacuum off: the job queue and the search statistics degrade as readings accumulate (said at start-up).
    await warnAboutMaintenance(pool);
    // Work a write triggers is queued in the write's own transaction (server/src/jobs, server/src/subscriptions).
    const queue = new JobQueue({
      pool,
      schema: config.jobs.schema,
      concurrency: config.jobs.concurrency,
      deadWorkerTimeoutMs: config.jobs.deadWorkerTimeoutSeconds * 1000,
    });
    await queue.migrate();
    // Under load: new readings wait (503) while alert work is late; every instance reads the shared queue.
    const alertBacklog = config.jobs.alertBacklogLimitMs > 0 ? watchAlertBacklog(pool, config.jobs.schema) : undefined;
    if (alertBacklog) {
      closers.unshift(async () => alertBacklog.stop());
    }
    const writeTriggers = new WriteTriggers({ queue, maxAttempts: config.jobs.deliveryMaxAttempts });
    attachWriteTriggers(pool, writeTriggers);
    const redis = await connectRedis(config.redisUrl);
    if (redis) {
      closers.unshift(async () => void (await redis.quit()));
    }
    const fhirBaseUrl = `${config.baseUrl}${FHIR_PATH}`;
    const auth = await createAuthorizationServer({
      config,
      pool,
      redis,
      onLogin: (attempt) => recordLogin(audit, attempt),
    });
    closers.unshift(() => auth.close());
    auditAuthorizationEvents(auth.provider, audit);

    const router = new FhirRouter();
    registerAlertOperations(router);
    registerDeviceOperations(router);
    registerConformanceOperations(router, {
      baseUrl: config.baseUrl,
      fhirBaseUrl,
      tokenUrl: auth.tokenUrl,
      authorizeUrl: `${auth.issuer}/authorize`,
      introspectUrl: `${auth.issuer}/introspect`,
      revokeUrl: `${auth.issuer}/revoke`,
      registerUrl: `${auth.issuer}/reg`,
    });
    const systemRepo = new PostgresRepository(pool, { fhirBaseUrl });
    await loadConformanceResources(systemRepo);
    // Built-in alert bots are in place before the first reading: the demo's and the listener's.
    if (config.jobs.builtInBots) {
      await deployBuiltInBots(systemRepo);
    }
    const demo = config.seedDemoData ? await seedDemoData(systemRepo, config) : undefined;

    const app = createApp({
      config,
      pool,
      redis,
      router,
      oauthHandler: auth.handler,
      authenticate: auth.authenticate,
      smartConfiguration: auth.smartConfiguration,
      clientAdmin: createClientAdminRouter({ pool, provider: auth.provider }),
      audit,
      alertBacklog,
    });
    const server = http.createServer(app);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, resolve);
    });
    const port = (server.address() as { port: number }).port;
    const deps: BackgroundDeps = { config, pool, redis, queue, writeTriggers, fhirBaseUrl, systemRepo, audit, router };
    // websocket: the Subscription websocket channel on this listener, and Subscription/{id}/$get-ws-binding-token.
    const subscriptionWebSockets = attachSubscriptionWebSockets(server, {
      ...deps,
      baseUrl: config.baseUrl,
    });
    registerWebSocketOperations(router, { pool, baseUrl: config.baseUrl });
    auth.onRevoked((revocation) => {
      subscriptionWebSockets.revoke(revocation).catch((err: Error) => {
        console.error('Ending the websocket bindings of a revoked token failed:', err.message);
      });
    });
    closers.unshift(() => subscriptionWebSockets.close()); // websocket: it also closes itself once the listener does
    const background = await startBackgroundWork(
      deps,
      [
        botModule(deps, auth.provider, `http://127.0.0.1:${port}`),
        notificationModule(deps),
        alertEscalationModule(deps),
        asyncJobRetentionModule(deps),
      ],
      subscriptionWebSockets
    );
    closers.unshift(() => background.stop());
    closers.unshift(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        })
    );
    return {
      baseUrl: config.baseUrl,
      fhirBaseUrl,
      tokenUrl: auth.tokenUrl,
      port,
      pool,
      redis,
      demo,
      auth,
      audit,
      close: () => runClosers(closers),
    };
  } catch (err) {
    await runClosers(closers);
    throw err;
  }
}

async function runClosers(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers.splice(0)) {
    await close().catch((err) => console.error('Error while stopping:', (err as Error).message));
  }
}
