// Render-as-you-fetch: the worklist's load starts with the session, while the app is still starting; the page takes it.
import type { MedplumClient } from '@medplum/core';
import { loadCaseload, type WorklistRow } from './loadCaseload.ts';

/** A load started this long ago is not used: the page loads afresh rather than show an older worklist. */
const FRESH_MS = 15_000;

interface StartedLoad {
  medplum: MedplumClient;
  fhirUser: string | undefined;
  startedAt: number;
  rows: Promise<WorklistRow[]>;
}

let started: StartedLoad | undefined;

/**
 * Whether the app opens on the worklist: `<base>worklist`, or `<base>` itself unless an EHR launch gave a patient
 * (then `/` opens the patient view, App.tsx).
 */
export function opensOnWorklist(pathname: string, base: string, launchPatient: string | undefined): boolean {
  const root = base.replace(/\/+$/, '');
  const path = pathname.replace(/\/+$/, '');
  return path === `${root}/worklist` || (path === root && !launchPatient);
}

/** Starts loading the caseload of this client's user now (its failure is reported by the page that takes it). */
export function startCaseloadLoad(medplum: MedplumClient, fhirUser: string | undefined): void {
  const rows = loadCaseload(medplum, fhirUser);
  rows.catch(() => undefined);
  started = { medplum, fhirUser, startedAt: Date.now(), rows };
}

/** The load started for this client and user, once; undefined when there is none or it is no longer fresh. */
export function takeStartedCaseloadLoad(
  medplum: MedplumClient,
  fhirUser: string | undefined,
  now = Date.now()
): Promise<WorklistRow[]> | undefined {
  const load = started;
  started = undefined;
  return load && load.medplum === medplum && load.fhirUser === fhirUser && now - load.startedAt < FRESH_MS
    ? load.rows
    : undefined;
}
