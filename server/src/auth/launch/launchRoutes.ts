// EHR launch: the API an EHR calls to create a launch context, and a small built-in EHR launcher page for demos.
import express, { type Request, type Response } from 'express';
import { OperationOutcomeError } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import type Provider from 'oidc-provider';
import type { Db } from '../../db/pool.ts';
import { PostgresRepository } from '../../fhir/repository/postgresRepository.ts';
import { outcomeWithStatus, sendOutcome } from '../../http/outcomes.ts';
import { getCaller, type Caller } from '../authenticate.ts';
import { escapeHtml as e, renderPage, sendPage } from '../pages/layout.ts';
import { createLaunch, LAUNCH_TTL_SECONDS, type LaunchContext } from './launchContext.ts';

export interface LaunchRouteOptions {
  pool: Db;
  provider: Provider;
  fhirBaseUrl: string;
  /** Bearer-token middleware of the FHIR API (the EHR calls the launch API with its own token). */
  authenticate: express.RequestHandler;
  /** Serve the unauthenticated demo launcher page (development and tests only). */
  launcherEnabled: boolean;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PRACTITIONER = /^Practitioner\/[A-Za-z0-9\-.]{1,64}$/;

/** Checks and normalises a launch context from JSON or form input; a list of problems when it is not usable. */
export function parseLaunchContext(input: Record<string, unknown>): LaunchContext | string[] {
  const problems: string[] = [];
  const context: LaunchContext = {};
  const { patient, encounter, practitioner, need_patient_banner, smart_style_url } = input;
  if (typeof patient !== 'string' || !ID.test(patient)) {
    problems.push('patient is required: the id of the Patient the app opens with');
  } else {
    context.patient = patient;
  }
  if (encounter !== undefined && encounter !== '') {
    if (typeof encounter !== 'string' || !ID.test(encounter)) {
      problems.push('encounter must be an Encounter id');
    } else {
      context.encounter = encounter;
    }
  }
  if (practitioner !== undefined && practitioner !== '') {
    if (typeof practitioner !== 'string' || !PRACTITIONER.test(practitioner)) {
      problems.push('practitioner must be a reference such as Practitioner/123');
    } else {
      context.practitioner = practitioner;
    }
  }
  if (need_patient_banner !== undefined) {
    if (typeof need_patient_banner !== 'boolean') {
      problems.push('need_patient_banner must be true or false');
    } else {
      context.need_patient_banner = need_patient_banner;
    }
  }
  if (smart_style_url !== undefined) {
    if (typeof smart_style_url !== 'string' || !URL.canParse(smart_style_url)) {
      problems.push('smart_style_url must be an absolute URL');
    } else {
      context.smart_style_url = smart_style_url;
    }
  }
  return problems.length > 0 ? problems : context;
}

/** The patient must exist and be within what the caller may read (the same rules as the FHIR API). */
async function patientVisibleTo(pool: Db, fhirBaseUrl: string, caller: Caller, id: string): Promise<boolean> {
  try {
    await new PostgresRepository(pool, { fhirBaseUrl, caller }).readResource<Patient>('Patient', id);
    return true;
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return false;
    }
    throw err;
  }
}

/** Apps the launcher offers: registered clients with a launch URL (client metadata `rpm_launch_uri`). */
async function launchableApps(pool: Db): Promise<{ clientId: string; name: string; launchUri: string }[]> {
  const { rows } = await pool.query(
    `SELECT client_id, metadata->>'client_name' AS name, metadata->>'rpm_launch_uri' AS launch_uri
     FROM oauth_client WHERE metadata ? 'rpm_launch_uri' ORDER BY client_id`
  );
  return rows.map((r) => ({ clientId: r.client_id, name: r.name ?? r.client_id, launchUri: r.launch_uri }));
}

export function createLaunchRouter(options: LaunchRouteOptions): express.Router {
  const { pool, fhirBaseUrl } = options;
  const router = express.Router();

  // POST /oauth2/launch {patient, encounter?, practitioner?, need_patient_banner?, smart_style_url?}
  router.post('/launch', options.authenticate, express.json({ limit: '10kb' }), async (req, res, next) => {
    try {
      const caller = getCaller(res);
      const parsed = parseLaunchContext((req.body ?? {}) as Record<string, unknown>);
      if (Array.isArray(parsed)) {
        sendOutcome(res, outcomeWithStatus(400, 'invalid', parsed.join('; ')));
        return;
      }
      if (!(await patientVisibleTo(pool, fhirBaseUrl, caller, parsed.patient as string))) {
        sendOutcome(res, outcomeWithStatus(404, 'not-found', `Patient ${parsed.patient} is not found`));
        return;
      }
      const launch = await createLaunch(pool, parsed, caller.subject ?? caller.clientId);
      res.status(201).json({ launch, expires_in: LAUNCH_TTL_SECONDS, iss: fhirBaseUrl });
    } catch (err) {
      next(err);
    }
  });

  if (!options.launcherEnabled) {
    return router;
  }

  router.get('/ehr-launcher', async (_req: Request, res: Response, next) => {
    try {
      const apps = await launchableApps(pool);
      const { rows } = await pool.query(
        `SELECT id, content FROM resource WHERE resource_type = 'Patient' AND NOT deleted ORDER BY last_updated DESC LIMIT 50`
      );
      const patients = rows.map((r) => {
        const p = JSON.parse(r.content) as Patient;
        const name = p.name?.[0];
        return { id: r.id as string, name: [name?.given?.join(' '), name?.family].filter(Boolean).join(' ') || r.id };
      });
      sendPage(
        res,
        renderPage({
          title: 'EHR launcher (demo)',
          body: `<p>Opens an app the way an EHR does: it creates a launch context and sends the app <code>iss</code> and
<code>launch</code>. For development and tests only.</p>
<form method="post" action="/oauth2/ehr-launcher">
<label for="app">App</label>
<select id="app" name="app" required>${apps.map((a) => `<option value="${e(a.clientId)}">${e(a.name)}</option>`).join('')}</select>
<label for="patient">Patient</label>
<select id="patient" name="patient" required>${patients.map((p) => `<option value="${e(p.id)}">${e(p.name)}</option>`).join('')}</select>
<label for="practitioner">Practitioner (optional)</label>
<span class="hint" id="practitioner-hint">The user who must sign in, e.g. Practitioner/123</span>
<input id="practitioner" name="practitioner" type="text" aria-describedby="practitioner-hint">
<button type="submit">Launch</button>
</form>`,
        })
      );
    } catch (err) {
      next(err);
    }
  });

  router.post('/ehr-launcher', express.urlencoded({ extended: false, limit: '10kb' }), async (req, res, next) => {
    try {
      const apps = await launchableApps(pool);
      const app = apps.find((a) => a.clientId === req.body?.app);
      const parsed = parseLaunchContext({
        patient: req.body?.patient,
        practitioner: req.body?.practitioner || undefined,
      });
      if (!app || Array.isArray(parsed)) {
        const problems = Array.isArray(parsed) ? parsed : ['Choose an app'];
        sendPage(
          res,
          renderPage({
            title: 'EHR launcher (demo)',
            errors: problems,
            body: '<p><a href="/oauth2/ehr-launcher">Back</a></p>',
          }),
          400
        );
        return;
      }
      const launch = await createLaunch(pool, parsed, 'ehr-launcher');
      const target = new URL(app.launchUri);
      target.searchParams.set('iss', fhirBaseUrl);
      target.searchParams.set('launch', launch);
      res.redirect(303, target.toString());
    } catch (err) {
      next(err);
    }
  });
  return router;
}
