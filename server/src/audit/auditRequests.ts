// Express middleware for the FHIR API: one audit record per request once it is answered (or abandoned by the client).
import type { Parameters } from '@medplum/fhirtypes';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuditLog } from './auditLog.ts';
import { parameterAsText } from '../fhir/operations/parameters.ts';
import { describeFhirRequest } from './fhirRequestEntry.ts';

/** The query string of a request: from the URL, plus the form of a POST _search or the Parameters of POST $lastn. */
function queryOf(req: Request, path: string): string {
  const url = req.originalUrl;
  const mark = url.indexOf('?');
  const fromUrl = mark >= 0 ? url.slice(mark + 1) : '';
  const body = req.body as unknown;
  if (req.method !== 'POST' || !body || typeof body !== 'object' || Array.isArray(body)) {
    return fromUrl;
  }
  const form = new URLSearchParams();
  if (path.endsWith('/$lastn')) {
    // Its Parameters are search parameters (lastn.ts): recorded as the query they stand for.
    for (const parameter of (body as Parameters).parameter ?? []) {
      const text = parameterAsText(parameter);
      if (typeof parameter.name === 'string' && text !== undefined) {
        form.append(parameter.name, text);
      }
    }
  } else if (path.endsWith('/_search')) {
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string') {
          form.append(name, v);
        }
      }
    }
  }
  const fromBody = form.toString();
  return [fromUrl, fromBody].filter((q) => q !== '').join('&');
}

/**
 * Mount under the FHIR base, before authentication (so refused requests are recorded too). The record is made when
 * the response is finished, from the method, path, status and the caller authentication left in res.locals.
 */
export function auditRequests(audit: AuditLog): RequestHandler {
  return function auditRequest(req: Request, res: Response, next: NextFunction): void {
    if (req.method === 'OPTIONS') {
      next();
      return;
    }
    const recorded = new Date();
    const path = req.path;
    let done = false;
    const record = (): void => {
      if (done) {
        return;
      }
      done = true;
      const aborted = !res.writableFinished;
      try {
        const caller = res.locals.caller;
        const description = describeFhirRequest({
          method: req.method,
          path,
          query: queryOf(req, path),
          body: req.body,
          status: res.statusCode,
          location: res.getHeader('location')?.toString(),
          contextPatient: caller?.patient,
        });
        if (!description) {
          return;
        }
        const failed = aborted || res.statusCode >= 400;
        audit.record({
          ...description,
          outcome: failed ? 'failure' : 'success',
          ...(failed ? { status: aborted ? 499 : res.statusCode } : {}),
          ...(aborted ? { outcomeText: 'The client closed the connection before the response was sent' } : {}),
          recorded,
          agent: {
            who: caller?.fhirUser,
            accountId: caller?.subject,
            clientId: caller?.clientId,
            ip: req.ip,
            userAgent: req.get('user-agent'),
          },
        });
      } catch (err) {
        console.error('Audit: could not record a request:', (err as Error).message);
      }
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
