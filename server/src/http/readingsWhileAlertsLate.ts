// While alerts run late, new readings are refused with 503 and Retry-After, so the readings already stored get theirs.
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../auth/authenticate.ts';
import type { AlertBacklog } from '../jobs/alertBacklog.ts';
import { outcomeWithStatus, sendOutcome } from './outcomes.ts';

/** Longest Retry-After given, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 60;

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

/** True when the request (FHIR path relative to the base, parsed body) would store or change an Observation. */
export function writesObservation(method: string, path: string, body: unknown): boolean {
  if (!WRITES.has(method)) {
    return false;
  }
  const segments = path.split('/').filter(Boolean);
  if (segments.length === 0) {
    return method === 'POST' && bundleWritesObservation(body);
  }
  if (segments[0] !== 'Observation' || segments.length > 2) {
    return false; // Observation/_search, Observation/$lastn and Observation/{id}/$op read, or are not writes
  }
  const [, second] = segments;
  // POST Observation creates; PUT and PATCH change Observation/{id}, or by condition on Observation?…
  return second === undefined || (method !== 'POST' && !second.startsWith('$') && second !== '_search');
}

/** A batch or transaction Bundle with an entry that creates, updates or patches an Observation. */
function bundleWritesObservation(body: unknown): boolean {
  if (!body || typeof body !== 'object' || (body as { resourceType?: unknown }).resourceType !== 'Bundle') {
    return false;
  }
  const entries = (body as { entry?: unknown }).entry;
  if (!Array.isArray(entries)) {
    return false;
  }
  return entries.some(
    (entry: { resource?: { resourceType?: unknown }; request?: { method?: unknown; url?: unknown } }) => {
      const method = typeof entry?.request?.method === 'string' ? entry.request.method.toUpperCase() : '';
      if (!WRITES.has(method)) {
        return false;
      }
      const url = typeof entry.request?.url === 'string' ? entry.request.url : '';
      return entry.resource?.resourceType === 'Observation' || /^\/?Observation([/?]|$)/.test(url);
    }
  );
}

/**
 * Express middleware, after the body parsers: while the oldest waiting alert job is older than `limitMs`, a request
 * from anyone but the server's own bots that would store an Observation is answered `503 Service Unavailable` with
 * `Retry-After` and an OperationOutcome (`throttled`), before anything is written. Devices, gateways and the patient
 * app's outbox send the reading again later; nothing is lost and nothing is half-written. Everything else (reading
 * data, acknowledging alerts, messages, check-ins) goes on as usual.
 */
export function refuseReadingsWhileAlertsLate(backlog: AlertBacklog, limitMs: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const late = backlog.lateMs();
    const caller = res.locals.caller as Caller | undefined;
    if (
      late === undefined ||
      late <= limitMs ||
      caller?.clientId.startsWith('bot-') ||
      !writesObservation(req.method, req.path, req.body)
    ) {
      next();
      return;
    }
    const retryAfter = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(late / 1000)));
    res.setHeader('Retry-After', String(retryAfter));
    sendOutcome(
      res,
      outcomeWithStatus(
        503,
        'throttled',
        `Alerts are running ${Math.round(late / 1000)} s behind, so new readings are not accepted for now. ` +
          `This reading was not stored: send it again after ${retryAfter} s.`
      )
    );
  };
}
