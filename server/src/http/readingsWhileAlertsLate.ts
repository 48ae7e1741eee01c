// While alerts run late, new readings wait (then get 503 + Retry-After), so the readings already stored get theirs.
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../auth/authenticate.ts';
import { isBotClient } from '../bots/botIdentity.ts';
import type { GatePlace } from './alertsFirst.ts';
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
 * Seconds a refused reading should wait before it is sent again: how far behind the alerts are, and at least the hold
 * it has just waited through (a reading that could not go on in those seconds would mostly be refused again if it came
 * straight back: with the default 0.5 s limit, the backlog's age alone said 1 s nearly every time). 1 to 60.
 */
export function retryAfterSeconds(lateMs: number, holdMs: number): number {
  const seconds = Math.max(Math.ceil(lateMs / 1000), Math.ceil(holdMs / 1000));
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
}

/** The 503 for a reading not taken while alerts are `lateMs` behind, after it was held `holdMs`. */
function refuse(res: Response, lateMs: number, holdMs: number): void {
  const retryAfter = retryAfterSeconds(lateMs, holdMs);
  res.setHeader('Retry-After', String(retryAfter));
  sendOutcome(
    res,
    outcomeWithStatus(
      503,
      'throttled',
      `Alerts are running ${Math.round(lateMs / 1000)} s behind, so new readings are not accepted for now. ` +
        `This reading was not stored: send it again after ${retryAfter} s.`
    )
  );
}

/**
 * Held readings let go at one sample once alerts are in time, oldest first. Letting thousands go at once would queue
 * seconds of alert work in one go (seen with 2,000 devices waiting: alerts 5 s late); 64 per sample, five samples a
 * second, is up to 320 readings/s per instance, above what one instance alerts on, so the backlog still sets the pace.
 */
export const READINGS_RELEASED_PER_SAMPLE = 64;

/** How often, at most, operators are told in the log that readings waited or were refused. */
const LOG_EVERY_MS = 60_000;

/** A held reading: released when alerts catch up, refused at its deadline. */
interface HeldReading {
  res: Response;
  next: NextFunction;
  deadline: number;
}

/**
 * Admission of readings while alerts run late (the oldest waiting alert job is older than `limitMs`). Two express
 * middlewares, for requests of anyone but the server's own bots that would store an Observation:
 *
 * - `holdByPath`, before the request gate: `POST Observation` and `PUT`/`PATCH Observation…`, known by their path.
 * - `holdBundles`, after the body parsers: a batch or transaction Bundle with an Observation entry (only its body says
 *   so, as device gateways send them). By then it holds a place at the request gate (alertsFirst.ts): it gives the
 *   place back while it waits and queues for one again when it goes on, so clinicians' requests are not kept waiting.
 *
 * A held reading waits in memory (no database connection, no gate place) until a sample of the backlog finds alerts
 * within the limit; then up to `releasePerSample` go on per sample, in arrival order (while some wait, new ones queue
 * behind them). A reading still held after `holdMs`, while alerts are still late, is answered `503` with
 * `Retry-After`. A reading that waited costs the device a slower answer, not a resend; and the server spends its time
 * on readings and their alerts, not on refusing. A refused request writes nothing, so sending it again stores it once.
 * Everything else (reading data, acknowledging alerts, messages, check-ins) goes on as usual.
 */
export function readingAdmission(
  backlog: AlertBacklog,
  limitMs: number,
  holdMs: number,
  releasePerSample = READINGS_RELEASED_PER_SAMPLE
) {
  const held: HeldReading[] = [];
  const counts = { held: 0, refused: 0 };
  const logged = { at: Date.now(), held: 0, refused: 0 };
  const isLate = (late: number | undefined): late is number => late !== undefined && late > limitMs;
  const applies = (req: Request, res: Response): boolean =>
    !isBotClient((res.locals.caller as Caller | undefined)?.clientId) &&
    writesObservation(req.method, req.path, req.body);

  backlog.onSample((late) => {
    const now = Date.now();
    reportToOperators(now, late);
    const waiting = held.splice(0);
    let released = 0;
    for (const reading of waiting) {
      if (reading.res.destroyed || reading.res.writableEnded) {
        continue; // the client gave up
      }
      if (!isLate(late) && released < releasePerSample) {
        released++;
        reading.next();
      } else if (isLate(late) && now >= reading.deadline) {
        counts.refused++;
        refuse(reading.res, late, holdMs);
      } else {
        held.push(reading);
      }
    }
  });

  /** At most once a minute, for operators: how many readings waited or were refused since the last report. */
  function reportToOperators(now: number, late: number | undefined): void {
    if (now - logged.at < LOG_EVERY_MS || (counts.held === logged.held && counts.refused === logged.refused)) {
      return;
    }
    console.warn(
      `Alerts ran late (over RPM_ALERT_BACKLOG_LIMIT_MS=${limitMs} ms; now ${Math.round(late ?? 0)} ms): in the last ` +
        `${Math.round((now - logged.at) / 1000)} s, ${counts.held - logged.held} readings waited and ` +
        `${counts.refused - logged.refused} were answered 503.`
    );
    Object.assign(logged, { at: now, ...counts });
  }

  const hold = (res: Response, next: () => void): void => {
    counts.held++;
    held.push({ res, next, deadline: Date.now() + holdMs });
  };
  // While readings are held, a new one queues behind them (arrival order), late or not.
  const mustWait = (req: Request, res: Response): boolean =>
    (held.length > 0 || isLate(backlog.lateMs())) && applies(req, res);

  const holdByPath = (req: Request, res: Response, next: NextFunction): void => {
    if (req.body !== undefined || !mustWait(req, res)) {
      next();
      return;
    }
    hold(res, next);
  };

  const holdBundles = (req: Request, res: Response, next: NextFunction): void => {
    if (req.path.split('/').some(Boolean) || !mustWait(req, res)) {
      next();
      return;
    }
    const place = res.locals.gatePlace as GatePlace | undefined;
    place?.giveBack();
    hold(res, place ? () => place.takeAgain(next) : next);
  };

  return {
    holdByPath,
    holdBundles,
    /** Readings held and refused since the start (tests, diagnostics). */
    get counts(): Readonly<typeof counts> {
      return counts;
    },
    /** Readings held now (tests, diagnostics). */
    get held(): number {
      return held.length;
    },
  };
}
