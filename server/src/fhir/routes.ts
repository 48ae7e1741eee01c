// The FHIR REST API under /fhir/R4: turns HTTP requests into FhirRouter calls and router results into HTTP responses.
import {
  allOk,
  badRequest,
  created as createdOutcome,
  getReferenceString,
  isResourceType,
  notFound,
  OperationOutcomeError,
} from '@medplum/core';
import {
  processBatch,
  type FhirRequest,
  type FhirRouter,
  type FhirResponse,
  type HttpMethod,
} from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import express, { type Request, type Response } from 'express';
import type { Db } from '../db/pool.ts';
import { FHIR_JSON, methodNotAllowed, outcomeOf, outcomeWithStatus, sendOutcome, statusOf } from '../http/outcomes.ts';
import { parseHistoryQuery } from './repository/history.ts';
import { PostgresRepository } from './repository/postgresRepository.ts';
import type { StoredResource } from './repository/resourceRows.ts';
import { parseSearchQuery } from './search/index.ts';
import { bundleToJson } from './search/storedEntries.ts';
import { resolveConditionalEntries } from './transaction/resolveConditionalEntries.ts';

export interface FhirApiOptions {
  pool: Db;
  router: FhirRouter;
  /** Absolute base, e.g. http://localhost:8103/fhir/R4 */
  fhirBaseUrl: string;
  maxBundleEntries: number;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];
const ALL_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** A repository for one request, knowing how that request wants search handled. */
export function repositoryFor(req: Request, res: Response, options: FhirApiOptions): PostgresRepository {
  const prefer = String(req.headers.prefer ?? '');
  return new PostgresRepository(options.pool, {
    fhirBaseUrl: options.fhirBaseUrl,
    strictSearch: /handling\s*=\s*strict/i.test(prefer),
    caller: res.locals.caller,
  });
}

/** Express handler for every FHIR interaction (mounted after authentication and body parsing). */
export function createFhirHandler(options: FhirApiOptions) {
  return async function handleFhirRequest(req: Request, res: Response): Promise<void> {
    try {
      const method = req.method as HttpMethod;
      const path = req.path.replace(/^\/+|\/+$/g, '');
      checkBody(req, method);
      const repo = repositoryFor(req, res, options);
      const result = await dispatch(req, res, method, path, repo, options);
      if (result) {
        sendFhirResponse(req, res, result, options.fhirBaseUrl);
      }
    } catch (err) {
      sendOutcome(res, outcomeOf(err));
    }
  };
}

/** First path segments served by the router that are not resource types: the CapabilityStatement, async job status. */
const NON_TYPE_PATHS: ReadonlySet<string> = new Set(['metadata', 'job']);

/** Routes one request; returns the router-style result, or undefined when the response was already sent. */
async function dispatch(
  req: Request,
  res: Response,
  method: HttpMethod,
  path: string,
  repo: PostgresRepository,
  options: FhirApiOptions
): Promise<FhirResponse | undefined> {
  const segments = path === '' ? [] : path.split('/');
  const [first] = segments;
  if (
    first &&
    !isResourceType(first) &&
    !first.startsWith('$') &&
    !first.startsWith('_') &&
    !NON_TYPE_PATHS.has(first)
  ) {
    return [outcomeWithStatus(404, 'not-found', `Unknown resource type: ${first.slice(0, 100)}`)];
  }
  if (first === 'job' && !(segments.length === 3 && segments[2] === 'status')) {
    // Only a queued run's status URL lives under job/ (operations/asyncJobStatus.ts).
    return [outcomeWithStatus(404, 'not-found', "Not found: a queued run's status is at job/<id>/status")];
  }
  const query = req.query as Record<string, string | string[] | undefined>;
  const literal = LITERAL_PATHS.find((l) => l.pattern.test(path));
  if (literal && !literal.methods.includes(method)) {
    return [methodNotAllowed(method, `/${path}`)];
  }

  // Searches go through our parser, which (unlike the router's) supports composite parameters.
  if (first && isResourceType(first)) {
    const isSearch =
      (method === 'GET' && segments.length === 1) ||
      (method === 'POST' && segments.length === 2 && segments[1] === '_search');
    if (isSearch) {
      const params = method === 'POST' ? { ...query, ...formParams(req.body) } : query;
      return [allOk, await repo.search(parseSearchQuery(first, params))];
    }
    if (method === 'GET' && segments.length === 2 && !/^[$_]/.test(segments[1]) && !hasSummaryParams(query)) {
      sendStoredResource(res, await repo.readResourceText(first, segments[1]));
      return undefined;
    }
    if (method === 'PUT' && segments.length === 2 && !segments[1].startsWith('$')) {
      return updateById(req, first, segments[1], repo);
    }
    if (method === 'GET' && segments.length === 2 && segments[1] === '_history') {
      return [allOk, await repo.readHistoryOf(parseHistoryQuery(query, { resourceType: first }))];
    }
  }
  if (method === 'GET' && path === '_history') {
    return [allOk, await repo.readHistoryOf(parseHistoryQuery(query, {}))];
  }
  if (method === 'GET' && path === '') {
    throw new OperationOutcomeError(
      outcomeWithStatus(
        400,
        'not-supported',
        'Searching across resource types is not supported: search one type, GET /{type}?...'
      )
    );
  }
  if (method === 'POST' && path === '') {
    return [allOk, await processBundle(req, repo, options)];
  }

  const fhirRequest = toFhirRequest(req, method, path);
  if (!options.router.find(method, fhirRequest.url)) {
    const allowed = ALL_METHODS.filter((m) => options.router.find(m, fhirRequest.url));
    return [allowed.length > 0 ? methodNotAllowed(method, `/${path}`) : notFound];
  }
  return options.router.handleRequest(fhirRequest, repo);
}

function hasSummaryParams(query: Record<string, unknown>): boolean {
  return query._summary !== undefined || query._elements !== undefined;
}

/** A read answered with the stored JSON text as it is (the hot path of every client). */
function sendStoredResource(res: Response, stored: StoredResource): void {
  res.setHeader('ETag', `W/"${stored.versionId}"`);
  res.setHeader('Last-Modified', new Date(stored.lastUpdated).toUTCString());
  res.status(200).type(FHIR_JSON).send(stored.content);
}

/** Paths with a fixed meaning, and the methods they allow (others are 405, not a conditional interaction). */
const LITERAL_PATHS: { pattern: RegExp; methods: HttpMethod[] }[] = [
  { pattern: /^metadata$/, methods: ['GET'] },
  { pattern: /^_history$/, methods: ['GET'] },
  { pattern: /^[A-Za-z]+\/_history$/, methods: ['GET'] },
  { pattern: /^[A-Za-z]+\/_search$/, methods: ['POST'] },
  { pattern: /^[A-Za-z]+\/[^/]+\/_history(\/[^/]+)?$/, methods: ['GET'] },
];

/** PUT Type/id: update, or create with the client's id (201 Created). */
async function updateById(
  req: Request,
  resourceType: string,
  id: string,
  repo: PostgresRepository
): Promise<FhirResponse> {
  const body = req.body as Resource;
  if (body.resourceType !== resourceType) {
    throw new OperationOutcomeError(badRequest(`Incorrect resource type: expected ${resourceType}`, 'resourceType'));
  }
  if (body.id !== id) {
    throw new OperationOutcomeError(
      badRequest('The id in the body must match the id in the URL', `${resourceType}.id`)
    );
  }
  const ifMatch = /"([^"]+)"/.exec(String(req.headers['if-match'] ?? ''))?.[1];
  const { resource, created } = await repo.upsertResource(body, { ifMatch });
  return [created ? createdOutcome : allOk, resource];
}

/** Batch: each entry on its own. Transaction: all entries in one database transaction, or none. */
async function processBundle(req: Request, repo: PostgresRepository, options: FhirApiOptions): Promise<Bundle> {
  const bundle = req.body as Bundle;
  if (!bundle || bundle.resourceType !== 'Bundle') {
    throw new OperationOutcomeError(badRequest('The body of a POST to the base must be a Bundle'));
  }
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw new OperationOutcomeError(badRequest('Bundle.type must be batch or transaction', 'Bundle.type'));
  }
  const count = bundle.entry?.length ?? 0;
  if (count > options.maxBundleEntries) {
    throw new OperationOutcomeError(
      outcomeWithStatus(
        413,
        'too-costly',
        `The Bundle has ${count} entries; at most ${options.maxBundleEntries} are accepted`
      )
    );
  }
  const fhirRequest = toFhirRequest(req, 'POST', '');
  if (bundle.type === 'batch') {
    return processBatch(fhirRequest, repo, options.router, bundle);
  }
  return repo.withTransaction(
    async (tx) => {
      await resolveConditionalEntries(tx, bundle);
      return processBatch(fhirRequest, tx, options.router, bundle);
    },
    { resourceTypes: [] }
  );
}

function toFhirRequest(req: Request, method: HttpMethod, path: string): FhirRequest {
  const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
  return {
    method,
    url: path + search,
    pathname: '',
    body: req.body,
    params: {},
    query: req.query as Record<string, string | string[] | undefined>,
    headers: req.headers,
    config: { transactions: true },
  };
}

/** POST/PUT/PATCH need a JSON body (or a form for POST _search); anything else is 415. */
function checkBody(req: Request, method: HttpMethod): void {
  if (!BODY_METHODS.has(method)) {
    return;
  }
  const isSearchForm = method === 'POST' && req.path.endsWith('/_search');
  if (isSearchForm && (req.is('application/x-www-form-urlencoded') || !req.headers['content-type'])) {
    return;
  }
  if (!req.is(JSON_TYPES)) {
    throw new OperationOutcomeError(
      outcomeWithStatus(
        415,
        'not-supported',
        `Content-Type must be application/fhir+json (got ${req.headers['content-type'] ?? 'none'})`
      )
    );
  }
  if (req.body === undefined || req.body === null || typeof req.body !== 'object') {
    throw new OperationOutcomeError(badRequest('The request body must be a JSON object'));
  }
}

function formParams(body: unknown): Record<string, string | string[]> {
  return body && typeof body === 'object' && !Array.isArray(body) && !('resourceType' in body)
    ? (body as Record<string, string | string[]>)
    : {};
}

/**
 * Writes the status, FHIR headers (ETag, Last-Modified, Location; Content-Location of a 202) and the body the client
 * prefers.
 */
export function sendFhirResponse(req: Request, res: Response, result: FhirResponse, fhirBaseUrl: string): void {
  const [outcome, resource] = result;
  const status = statusOf(outcome);
  const statusUrl = outcome.issue?.[0]?.diagnostics;
  if (status === 202 && statusUrl) {
    res.setHeader('Content-Location', statusUrl); // the asynchronous request pattern's status URL
  }
  if (status >= 400 || !resource) {
    sendOutcome(res, outcome);
    return;
  }
  const meta = (resource as Resource).meta;
  if (meta?.versionId) {
    res.setHeader('ETag', `W/"${meta.versionId}"`);
  }
  if (meta?.lastUpdated) {
    res.setHeader('Last-Modified', new Date(meta.lastUpdated).toUTCString());
  }
  if (status === 201 && resource.id) {
    res.setHeader('Location', `${fhirBaseUrl}/${getReferenceString(resource)}/_history/${meta?.versionId}`);
  }
  const prefer = String(req.headers.prefer ?? '');
  res.status(status).type(FHIR_JSON);
  if (/return\s*=\s*minimal/i.test(prefer)) {
    res.end();
  } else if (/return\s*=\s*OperationOutcome/i.test(prefer)) {
    res.send(JSON.stringify(outcome satisfies OperationOutcome));
  } else {
    res.send(resource.resourceType === 'Bundle' ? bundleToJson(resource as Bundle) : JSON.stringify(resource));
  }
}

/** JSON body parsing for the FHIR API with the configured size limit; errors become OperationOutcomes. */
export function fhirBodyParsers(maxBodyBytes: number): express.RequestHandler[] {
  return [
    express.json({ type: JSON_TYPES, limit: maxBodyBytes, strict: true }),
    express.urlencoded({ extended: false, limit: maxBodyBytes, parameterLimit: 1000 }),
  ];
}
