// SMART launch context: contexts EHRs create for `launch`, and the context each approved grant carries into its tokens.
import crypto from 'node:crypto';
import type { Db } from '../../db/pool.ts';
import type { AccountRole } from '../authenticate.ts';

/** What an EHR tells the app about the launch (SMART App Launch 2.x launch context). */
export interface LaunchContext {
  /** Patient id (not a reference). */
  patient?: string;
  /** Encounter id. */
  encounter?: string;
  /** The Practitioner the EHR launched for, 'Practitioner/<id>': the signed-in user must be this practitioner. */
  practitioner?: string;
  need_patient_banner?: boolean;
  smart_style_url?: string;
}

/** What every token of an approved grant carries: the user's identity and the launch context. */
export interface GrantContext {
  fhirUser?: string;
  role?: AccountRole;
  patient?: string;
  encounter?: string;
  need_patient_banner?: boolean;
  smart_style_url?: string;
}

/** A launch value is good for this long: the app must start its authorization request promptly. */
export const LAUNCH_TTL_SECONDS = 300;

/** Stores a launch context and returns the opaque `launch` value for the app. */
export async function createLaunch(db: Db, context: LaunchContext, createdBy: string): Promise<string> {
  const id = crypto.randomBytes(24).toString('base64url');
  await db.query(
    `INSERT INTO smart_launch (id, context, created_by, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [id, JSON.stringify(context), createdBy, LAUNCH_TTL_SECONDS]
  );
  return id;
}

/** The unexpired launch context named by `launch`, or undefined. */
export async function findLaunch(db: Db, launch: string): Promise<LaunchContext | undefined> {
  if (launch.length > 200) {
    return undefined;
  }
  const { rows } = await db.query('SELECT context FROM smart_launch WHERE id = $1 AND expires_at > now()', [launch]);
  return rows[0]?.context;
}

/** Records (or replaces) the context of a grant; it lives as long as the grant may. */
export async function saveGrantContext(db: Db, grantId: string, context: GrantContext, ttlSeconds: number) {
  await db.query(
    `INSERT INTO smart_grant_context (grant_id, context, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
     ON CONFLICT (grant_id) DO UPDATE SET context = EXCLUDED.context, expires_at = EXCLUDED.expires_at`,
    [grantId, JSON.stringify(context), ttlSeconds]
  );
}

export async function findGrantContext(db: Db, grantId: string): Promise<GrantContext | undefined> {
  const { rows } = await db.query(
    'SELECT context FROM smart_grant_context WHERE grant_id = $1 AND expires_at > now()',
    [grantId]
  );
  return rows[0]?.context;
}

/** Deletes expired launches, grant contexts and abandoned sign-in steps (run by the periodic sweep). */
export async function pruneLaunchState(db: Db): Promise<void> {
  await db.query('DELETE FROM smart_launch WHERE expires_at <= now()');
  await db.query('DELETE FROM smart_grant_context WHERE expires_at <= now()');
  await db.query('DELETE FROM smart_login_step WHERE expires_at <= now()');
}
