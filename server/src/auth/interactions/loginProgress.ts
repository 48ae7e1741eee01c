// A sign-in between its steps: the password was right, and the second factor (or its enrolment) is still owed.
import type { Db } from '../../db/pool.ts';

export type LoginStage = 'mfa' | 'enrol';

/** The second step must follow the first within this time. */
const STEP_TTL_SECONDS = 10 * 60;

export async function rememberLoginStep(db: Db, uid: string, accountId: string, stage: LoginStage): Promise<void> {
  await db.query(
    `INSERT INTO smart_login_step (interaction_uid, account_id, stage, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))
     ON CONFLICT (interaction_uid) DO UPDATE SET account_id = EXCLUDED.account_id, stage = EXCLUDED.stage,
       expires_at = EXCLUDED.expires_at`,
    [uid, accountId, stage, STEP_TTL_SECONDS]
  );
}

export async function findLoginStep(
  db: Db,
  uid: string
): Promise<{ accountId: string; stage: LoginStage } | undefined> {
  const { rows } = await db.query(
    'SELECT account_id, stage FROM smart_login_step WHERE interaction_uid = $1 AND expires_at > now()',
    [uid]
  );
  return rows[0] ? { accountId: rows[0].account_id, stage: rows[0].stage } : undefined;
}

export async function forgetLoginStep(db: Db, uid: string): Promise<void> {
  await db.query('DELETE FROM smart_login_step WHERE interaction_uid = $1', [uid]);
}
