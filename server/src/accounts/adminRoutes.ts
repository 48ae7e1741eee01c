// The account administration API at /admin/accounts: create, list, read, unlock, reset MFA, disable, set password.
import { OperationOutcomeError } from '@medplum/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import { getCaller } from '../auth/authenticate.ts';
import type { Db } from '../db/pool.ts';
import { outcomeOf, outcomeWithStatus, sendOutcome } from '../http/outcomes.ts';
import { accountNotFound, invalidAccountInput } from './accountErrors.ts';
import { mayAdministerAccounts } from './adminAccess.ts';
import {
  createAccount,
  disableAccount,
  enableAccount,
  findAccountById,
  listAccounts,
  listIdentities,
  resetMfa,
  setPassword,
  unlockAccount,
  type Account,
  type NewAccount,
} from './accountStore.ts';

export interface AccountAdminRouterOptions {
  pool: Db;
}

/** The fields POST / accepts, and whether each is required. */
const NEW_ACCOUNT_FIELDS: Readonly<Record<keyof NewAccount, 'required' | 'optional'>> = {
  email: 'required',
  password: 'optional',
  role: 'required',
  fhirUser: 'required',
  displayName: 'optional',
};

/** The JSON body as an object, or a 400 saying what to send. */
function jsonObject(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidAccountInput(['Send a JSON object in the body, with Content-Type: application/json']);
  }
  return body as Record<string, unknown>;
}

/** Checks the shape of a new account (field names and types); createAccount checks the values. */
function newAccountFrom(body: Record<string, unknown>): NewAccount {
  const problems: string[] = [];
  for (const key of Object.keys(body)) {
    if (!Object.hasOwn(NEW_ACCOUNT_FIELDS, key)) {
      problems.push(`Unknown field '${key.slice(0, 50)}': expected ${Object.keys(NEW_ACCOUNT_FIELDS).join(', ')}`);
    }
  }
  for (const [key, presence] of Object.entries(NEW_ACCOUNT_FIELDS)) {
    const value = body[key];
    if (value === undefined || value === null) {
      if (presence === 'required') {
        problems.push(`${key} is required`);
      }
    } else if (typeof value !== 'string') {
      problems.push(`${key} must be text`);
    }
  }
  if (problems.length > 0) {
    throw invalidAccountInput(problems);
  }
  return body as unknown as NewAccount;
}

function passwordFrom(body: Record<string, unknown>): string {
  const extra = Object.keys(body).filter((key) => key !== 'password');
  if (typeof body.password !== 'string' || extra.length > 0) {
    throw invalidAccountInput(['Send {"password": "<the new password>"} and nothing else']);
  }
  return body.password;
}

/** An action on one account (unlock, disable, …) answered with the updated account. */
type AccountAction = (pool: Db, id: string, req: Request) => Promise<Account>;

export function createAccountAdminRouter(options: AccountAdminRouterOptions): express.Router {
  const { pool } = options;
  const router = express.Router();

  router.use(async (_req: Request, res: Response, next: NextFunction) => {
    if (await mayAdministerAccounts(pool, getCaller(res))) {
      next();
      return;
    }
    sendOutcome(
      res,
      outcomeWithStatus(
        403,
        'forbidden',
        'Administering accounts needs the admin client (system/*.* or system/*.cruds) or an admin account'
      )
    );
  });

  router.post('/', async (req, res) => {
    const account = await createAccount(pool, newAccountFrom(jsonObject(req)));
    res.status(201).location(`${req.baseUrl}/${account.id}`).json(account);
  });

  router.get('/', async (req, res) => {
    const email = req.query.email;
    if (email !== undefined && typeof email !== 'string') {
      throw invalidAccountInput(['email must be given once']);
    }
    res.json({ accounts: await listAccounts(pool, email === undefined ? {} : { email }) });
  });

  router.get('/:id', async (req, res) => {
    const account = await findAccountById(pool, req.params.id);
    if (!account) {
      throw accountNotFound(req.params.id);
    }
    res.json({ ...account, identities: await listIdentities(pool, account.id) });
  });

  const actions: Record<string, AccountAction> = {
    unlock: (db, id) => unlockAccount(db, id),
    'reset-mfa': (db, id) => resetMfa(db, id),
    disable: (db, id) => disableAccount(db, id),
    enable: (db, id) => enableAccount(db, id),
    password: (db, id, req) => setPassword(db, id, passwordFrom(jsonObject(req))),
  };
  for (const [name, action] of Object.entries(actions)) {
    router.post(`/:id/${name}`, async (req, res) => {
      res.json(await action(pool, req.params.id as string, req));
    });
  }

  // Our own errors (400, 404, 409) as OperationOutcomes; anything else goes on to the application's error handler.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof OperationOutcomeError) {
      sendOutcome(res, outcomeOf(err));
      return;
    }
    next(err);
  });
  return router;
}
