// The express application: security headers, CORS, the OAuth endpoints, the FHIR API and errors as OperationOutcome.
import type { FhirRouter } from '@medplum/fhir-router';
import type { AuditLog } from '../audit/auditLog.ts';
import { auditRequests } from '../audit/auditRequests.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ServerConfig } from '../config.ts';
import { DEFAULT_POOL_SIZE, type Db } from '../db/pool.ts';
import { alertsFirst, CONNECTIONS_KEPT_FOR_ALERTS, RequestGate } from './alertsFirst.ts';
import { readingAdmission } from './readingsWhileAlertsLate.ts';
import type { AlertBacklog } from '../jobs/alertBacklog.ts';
import type { Redis } from 'ioredis';
import { createAccountAdminRouter } from '../accounts/adminRoutes.ts';
import { createDeadLetterRouter } from '../jobs/deadLetterRoutes.ts';
import {
  createFhirHandler,
  fhirBodyParsers,
  repositoryFor,
  sendFhirResponse,
  type FhirApiOptions,
} from '../fhir/routes.ts';
import { toOperationOutcomeError } from '../fhir/repository/databaseErrors.ts';
import { outcomeOf, outcomeWithStatus, sendOutcome } from './outcomes.ts';
import {
  CLINICIAN_APP_DIST,
  CLINICIAN_APP_PATH,
  PATIENT_APP_DIST,
  PATIENT_APP_PATH,
  smartAppRouter,
} from './smartAppHosting.ts';

export interface AppParts {
  config: ServerConfig;
  pool: Db;
  redis?: Redis;
  router: FhirRouter;
  /** oidc-provider's request handler, mounted at /oauth2. */
  oauthHandler: express.RequestHandler;
  /** Turns a bearer token into a caller, or answers 401. */
  authenticate: express.RequestHandler;
  /** The client registration API, mounted at /admin/clients behind authenticate. */
  clientAdmin?: express.Router;
  /** SMART discovery document, public at <FHIR base>/.well-known/smart-configuration. */
  smartConfiguration?: Record<string, unknown>;
  /** Audit: every FHIR API request (401s included) is recorded here when present. */
  audit?: AuditLog;
  /** How late the alert pipeline is; with `config.jobs.alertBacklogLimitMs`, new readings wait while it is late. */
  alertBacklog?: AlertBacklog;
}

export const FHIR_PATH = '/fhir/R4';

export function createApp(parts: AppParts): express.Express {
  const { config } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // FHIR ETags are resource versions, set where they apply; no body hashing.
  app.set('trust proxy', config.production ? 1 : false);
  app.set('query parser', 'simple');

  app.use(securityHeaders(config.production, config.frameAncestors));
  if (config.logRequests) {
    app.use(logRequests);
  }

  // For load balancers: 200 only when the database (and Redis, when configured) answer.
  app.get('/healthz', async (_req, res) => {
    const checks: Record<string, string> = {};
    checks.database = await parts.pool.query('SELECT 1').then(
      () => 'ok',
      () => 'unavailable'
    );
    if (parts.redis) {
      checks.redis = await parts.redis.ping().then(
        () => 'ok',
        () => 'unavailable'
      );
    }
    const healthy = Object.values(checks).every((v) => v === 'ok');
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'unavailable', ...checks });
  });

  // OAuth 2.0 endpoints read their own raw bodies: no body parser before them.
  app.use('/oauth2', parts.oauthHandler);

  const fhirOptions: FhirApiOptions = {
    pool: parts.pool,
    router: parts.router,
    fhirBaseUrl: `${config.baseUrl}${FHIR_PATH}`,
    maxBundleEntries: config.maxBundleEntries,
  };
  app.use(FHIR_PATH, fhirCors);
  // SMART discovery is public and cross-origin (browser apps read it before they have a token).
  if (parts.smartConfiguration) {
    const document = parts.smartConfiguration;
    app.get(`${FHIR_PATH}/.well-known/smart-configuration`, (_req, res) => {
      res.json(document);
    });
  }
  // The CapabilityStatement is public (clients discover security from it).
  app.get(`${FHIR_PATH}/metadata`, async (req, res) => {
    try {
      const result = await parts.router.handleRequest(
        { method: 'GET', url: 'metadata', pathname: '', body: undefined, params: {}, query: {}, headers: req.headers },
        repositoryFor(req, res, fhirOptions)
      );
      sendFhirResponse(req, res, result, fhirOptions.fhirBaseUrl);
    } catch (err) {
      sendOutcome(res, outcomeOf(err));
    }
  });
  // Under load: while alerts run late, readings wait (known by path, or Bundles known once their body is read).
  const admission =
    parts.alertBacklog && config.jobs.alertBacklogLimitMs > 0
      ? readingAdmission(parts.alertBacklog, config.jobs.alertBacklogLimitMs, config.jobs.readingHoldMs)
      : undefined;
  // Audit: mounted before authentication so that refused requests are recorded too.
  const audit = parts.audit ? [auditRequests(parts.audit)] : [];
  app.use(
    FHIR_PATH,
    ...audit,
    parts.authenticate,
    ...(admission ? [admission.holdByPath] : []),
    alertsFirst(new RequestGate(DEFAULT_POOL_SIZE - CONNECTIONS_KEPT_FOR_ALERTS)),
    ...fhirBodyParsers(config.maxBodyBytes),
    ...(admission ? [admission.holdBundles] : []),
    createFhirHandler(fhirOptions)
  );
  if (parts.clientAdmin) {
    app.use('/admin/clients', parts.authenticate, express.json({ limit: '100kb' }), parts.clientAdmin);
  }
  app.use(
    '/admin/accounts',
    parts.authenticate,
    express.json({ limit: '100kb' }),
    createAccountAdminRouter({ pool: parts.pool })
  );
  app.use(
    '/admin/dead-letters',
    parts.authenticate,
    createDeadLetterRouter({
      pool: parts.pool,
      schema: config.jobs.schema,
      fhirBaseUrl: `${config.baseUrl}${FHIR_PATH}`,
    })
  );

  // The clinicians' and patients' SMART apps (static files; they call the FHIR API like any other SMART app).
  app.use(CLINICIAN_APP_PATH, smartAppRouter(CLINICIAN_APP_DIST, 'clinician app'));
  app.use(PATIENT_APP_PATH, smartAppRouter(PATIENT_APP_DIST, 'patient app'));

  app.use((req: Request, res: Response) => {
    sendOutcome(res, outcomeWithStatus(404, 'not-found', `No such path: ${req.method} ${req.path.slice(0, 200)}`));
  });
  app.use(handleErrors);
  return app;
}

/** The SMART apps' pages, which configured EHRs may embed (RPM_FRAME_ANCESTORS). */
const APP_PAGES = /^\/apps\//;

/**
 * Headers every response carries; FHIR data is never cached by browsers or proxies. No page may be framed
 * (clickjacking), except the SMART apps under /apps/ by the configured EHR origins: `Content-Security-Policy:
 * frame-ancestors 'self' <origins>` instead of `X-Frame-Options: DENY` (which cannot name origins). The sign-in
 * pages stay unframable whatever is configured (auth/pages/layout.ts): see the root README.
 */
function securityHeaders(production: boolean, frameAncestors: readonly string[]): express.RequestHandler {
  const appFramePolicy = frameAncestors.length > 0 ? `frame-ancestors 'self' ${frameAncestors.join(' ')}` : undefined;
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (appFramePolicy && APP_PAGES.test(req.path)) {
      res.setHeader('Content-Security-Policy', appFramePolicy);
    } else {
      res.setHeader('X-Frame-Options', 'DENY');
    }
    res.setHeader('Cache-Control', 'no-store');
    if (production) {
      res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    }
    next();
  };
}

/** The FHIR API is called from browser apps on other origins with bearer tokens (no cookies). */
function fhirCors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'ETag, Location, Last-Modified, Content-Location');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
    res.setHeader(
      'Access-Control-Allow-Headers',
      'Authorization, Content-Type, Prefer, If-Match, If-None-Exist, If-None-Match, Accept'
    );
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
    return;
  }
  next();
}

function logRequests(req: Request, res: Response, next: NextFunction): void {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`${req.method} ${req.originalUrl.slice(0, 300)} ${res.statusCode} ${ms.toFixed(1)}ms`);
  });
  next();
}

/** Errors from body parsing and anything unexpected, as OperationOutcomes (4xx for bad input, 500 otherwise). */
function handleErrors(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') {
    sendOutcome(res, outcomeWithStatus(413, 'too-costly', 'The request body is larger than the server accepts'));
  } else if (e?.type === 'entity.parse.failed') {
    sendOutcome(
      res,
      outcomeWithStatus(400, 'structure', `The request body is not valid JSON: ${e.message ?? ''}`.trim())
    );
  } else if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    sendOutcome(res, outcomeWithStatus(415, 'not-supported', e.message ?? 'Unsupported encoding'));
  } else if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    sendOutcome(res, outcomeWithStatus(e.status, 'invalid', e.message ?? 'Bad request'));
  } else {
    sendOutcome(res, outcomeOf(toOperationOutcomeError(err)));
  }
}
