// The client registration API at /admin/clients: administrators register EHRs, device gateways and backend services.
import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { mayAdministerAccounts } from '../accounts/adminAccess.ts';
import type { Db } from '../db/pool.ts';
import { outcomeWithStatus, sendOutcome } from '../http/outcomes.ts';
import { getCaller } from './authenticate.ts';
import { findClient, saveClient, type StoredClientMetadata } from './clients.ts';

export interface ClientAdminOptions {
  pool: Db;
  provider: Provider;
}

const CLIENT_ID = /^[A-Za-z0-9\-._~]{3,100}$/;
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);

/** What the API shows of a client: its metadata without the secret hash. */
function publicView(metadata: StoredClientMetadata): Record<string, unknown> {
  const { client_secret: _secret, ...rest } = metadata;
  return rest;
}

/** Runs a handler for administrators only (403 OperationOutcome otherwise), turning thrown errors into 4xx/5xx. */
function adminOnly(pool: Db, handler: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!(await mayAdministerAccounts(pool, getCaller(res)))) {
        sendOutcome(res, outcomeWithStatus(403, 'forbidden', 'Only administrators may manage clients'));
        return;
      }
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  };
}

export function createClientAdminRouter(options: ClientAdminOptions): express.Router {
  const { pool, provider } = options;
  const router = express.Router();

  router.post(
    '/',
    adminOnly(pool, async (req, res) => {
      const body = req.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        sendOutcome(res, outcomeWithStatus(400, 'invalid', 'Send the client metadata as a JSON object'));
        return;
      }
      if ('client_secret' in body) {
        sendOutcome(res, outcomeWithStatus(400, 'invalid', 'Do not send client_secret: the server generates it'));
        return;
      }
      const clientId = body.client_id ?? `client-${crypto.randomBytes(9).toString('base64url')}`;
      if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
        sendOutcome(res, outcomeWithStatus(400, 'invalid', 'client_id must be 3-100 URL-safe characters'));
        return;
      }
      if (await findClient(pool, clientId)) {
        sendOutcome(res, outcomeWithStatus(409, 'duplicate', `Client ${clientId} already exists`));
        return;
      }
      if (typeof body.fhir_scopes !== 'string') {
        sendOutcome(
          res,
          outcomeWithStatus(400, 'invalid', 'fhir_scopes is required: the SMART scopes it may be granted')
        );
        return;
      }
      const metadata = { ...body, client_id: clientId } as StoredClientMetadata;
      const method = (metadata.token_endpoint_auth_method as string | undefined) ?? 'client_secret_basic';
      const secret = SECRET_METHODS.has(method) ? crypto.randomBytes(32).toString('base64url') : undefined;
      try {
        // oidc-provider's own schema: grant and response types, redirect URIs, JWKS, algorithms, our extra fields.
        await provider.Client.validate({ ...metadata, ...(secret ? { client_secret: secret } : {}) });
      } catch (err) {
        const e = err as { error_description?: string; message?: string };
        sendOutcome(
          res,
          outcomeWithStatus(400, 'invalid', e.error_description ?? e.message ?? 'Invalid client metadata')
        );
        return;
      }
      await saveClient(pool, metadata, secret);
      res.status(201).json({ ...publicView(metadata), ...(secret ? { client_secret: secret } : {}) });
    })
  );

  router.get(
    '/',
    adminOnly(pool, async (_req, res) => {
      const { rows } = await pool.query('SELECT metadata FROM oauth_client ORDER BY client_id LIMIT 1000');
      res.json(rows.map((r) => publicView(r.metadata)));
    })
  );

  router.get(
    '/:id',
    adminOnly(pool, async (req, res) => {
      const client = await findClient(pool, String(req.params.id));
      if (!client) {
        sendOutcome(res, outcomeWithStatus(404, 'not-found', `No client ${String(req.params.id).slice(0, 100)}`));
        return;
      }
      res.json(publicView(client));
    })
  );

  router.delete(
    '/:id',
    adminOnly(pool, async (req, res) => {
      const id = String(req.params.id);
      const { rowCount } = await pool.query('DELETE FROM oauth_client WHERE client_id = $1', [id]);
      if (!rowCount) {
        sendOutcome(res, outcomeWithStatus(404, 'not-found', `No client ${id.slice(0, 100)}`));
        return;
      }
      // Its tokens stop working: authenticate checks that a token's client still exists.
      res.status(204).end();
    })
  );
  return router;
}
