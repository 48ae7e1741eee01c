// The dead-letter API at /admin/dead-letters: operators list the jobs that gave up, and retry or discard each one.
import type { Subscription } from '@medplum/fhirtypes';
import express, { type NextFunction, type Request, type Response } from 'express';
import { mayAdministerAccounts } from '../accounts/adminAccess.ts';
import { getCaller } from '../auth/authenticate.ts';
import type { Db } from '../db/pool.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { outcomeWithStatus, sendOutcome } from '../http/outcomes.ts';
import { DEAD_LETTER_LIST_MAX, discardDeadLetter, listDeadLetters, retryDeadLetter } from './deadLetters.ts';

export interface DeadLetterRouterOptions {
  pool: Db;
  /** The job queue's schema (RPM_JOB_SCHEMA). */
  schema: string;
  fhirBaseUrl: string;
}

/**
 * Admins only (the admin client with `system/*.*` or `system/*.cruds`, or an admin account), as for accounts: a dead
 * letter names Subscriptions, bots and readings across every patient.
 */
export function createDeadLetterRouter(options: DeadLetterRouterOptions): express.Router {
  const { pool, schema } = options;
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
        'Dead letters need the admin client (system/*.* or system/*.cruds) or an admin'
      )
    );
  });

  router.get('/', async (req, res) => {
    const task = typeof req.query.task === 'string' ? req.query.task : undefined;
    const limitText = typeof req.query.limit === 'string' ? req.query.limit : undefined;
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= DEAD_LETTER_LIST_MAX)) {
      sendOutcome(
        res,
        outcomeWithStatus(400, 'invalid', `limit must be a whole number from 1 to ${DEAD_LETTER_LIST_MAX}`)
      );
      return;
    }
    res.json({ deadLetters: await listDeadLetters(pool, schema, { task, limit }) });
  });

  router.post('/:id/retry', async (req, res) => {
    const id = req.params.id as string;
    const [letter] = await listDeadLetters(pool, schema, { id });
    const subscription = letter?.about.find((reference) => reference.startsWith('Subscription/'));
    // A rest-hook delivery does nothing for a Subscription that is not active: retrying it then would drop it silently.
    if (letter?.task === 'deliver-rest-hook' && subscription) {
      const status = await subscriptionStatus(pool, options.fhirBaseUrl, subscription.slice('Subscription/'.length));
      if (status !== 'active') {
        sendOutcome(
          res,
          outcomeWithStatus(
            409,
            'conflict',
            `${subscription} is ${status ?? 'deleted'}: fix the receiver, set the Subscription back to active, then retry`
          )
        );
        return;
      }
    }
    if (!(await retryDeadLetter(pool, schema, id))) {
      sendOutcome(res, outcomeWithStatus(404, 'not-found', `No dead letter ${id.slice(0, 40)}`));
      return;
    }
    res.json({ retried: id });
  });

  router.delete('/:id', async (req, res) => {
    const id = req.params.id as string;
    if (!(await discardDeadLetter(pool, schema, id))) {
      sendOutcome(res, outcomeWithStatus(404, 'not-found', `No dead letter ${id.slice(0, 40)}`));
      return;
    }
    res.status(204).end();
  });
  return router;
}

async function subscriptionStatus(pool: Db, fhirBaseUrl: string, id: string): Promise<string | undefined> {
  try {
    const repo = new PostgresRepository(pool, { fhirBaseUrl });
    return (await repo.readResource<Subscription>('Subscription', id)).status;
  } catch {
    return undefined;
  }
}
