// Start-up check of the PostgreSQL settings the job queue and search plans rely on: autovacuum and the statistics it needs.
import type { Queryable } from './pool.ts';

/** The settings read (pg_settings names and their values). */
export type MaintenanceSettings = Record<'autovacuum' | 'track_counts', string>;

export async function readMaintenanceSettings(db: Queryable): Promise<MaintenanceSettings> {
  const { rows } = await db.query(
    "SELECT name, setting FROM pg_settings WHERE name IN ('autovacuum', 'track_counts') ORDER BY name"
  );
  const settings = Object.fromEntries(rows.map((r: { name: string; setting: string }) => [r.name, r.setting]));
  return { autovacuum: settings.autovacuum ?? 'unknown', track_counts: settings.track_counts ?? 'unknown' };
}

/**
 * What an operator must hear about them. Every reading adds a job row and deletes it once its alerts ran: without
 * autovacuum those dead rows are never reclaimed, and the planner's statistics never follow the data, so the
 * queue and the alert rules' searches slow down as readings accumulate. Nothing stops the server: some sites run
 * VACUUM (ANALYZE) on their own schedule instead.
 */
export function maintenanceWarnings(settings: MaintenanceSettings): string[] {
  const warnings: string[] = [];
  if (settings.autovacuum === 'off') {
    warnings.push(
      'PostgreSQL autovacuum is off: the job queue will fill with dead rows and search statistics will go stale, ' +
        'so alerts slow down as readings accumulate. Set autovacuum = on, or run VACUUM (ANALYZE) on a schedule.'
    );
  }
  if (settings.track_counts === 'off') {
    warnings.push(
      'PostgreSQL track_counts is off: autovacuum cannot tell which tables need vacuuming or new statistics. ' +
        'Set track_counts = on.'
    );
  }
  return warnings;
}

/** Reads the settings and prints a warning for each problem (server start-up). */
export async function warnAboutMaintenance(
  db: Queryable,
  warn: (message: string) => void = console.warn
): Promise<void> {
  for (const warning of maintenanceWarnings(await readMaintenanceSettings(db))) {
    warn(`Warning: ${warning}`);
  }
}
