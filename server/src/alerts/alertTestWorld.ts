// Test fixture: a virtual ward (organization, patients, clinicians, on-call and senior roles), rpm-alert alerts and calls.
import { randomUUID } from 'node:crypto';
import type { Bundle, DetectedIssue, Parameters, ParametersParameter, Resource, Task } from '@medplum/fhirtypes';
import { asUser, createAll, type Blueprint } from '../access/testWorld.ts';
import { getProfile } from '../fhir/conformance/registry.ts';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import type { TestServerContext } from '../testing/testServer.ts';
import { ALERT_ACTION_SYSTEM, ESCALATION_ROLE_SYSTEM, type AlertSeverity } from './alertCodes.ts';

export const RPM_ALERT = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-alert';

/**
 * The rpm-al-2 rule this work needs (fhir/profiles/rpm-alert.json still says "any mitigation closes the alert", which
 * forbids acknowledging or escalating an open alert): only a *resolved* alert must be closed.
 */
export const PROPOSED_RPM_AL_2 = {
  human: 'A resolved alert (a mitigation coded rpm-alert-action#resolved) is closed: status SHALL NOT be preliminary',
  expression: `mitigation.where(action.coding.where(system = '${ALERT_ACTION_SYSTEM}' and code = 'resolved').exists()).exists() implies status != 'preliminary'`,
};

/** True when the rpm-alert profile the server loaded from disk already has the proposed rpm-al-2. */
export function alertProfileHasProposedRule(): boolean {
  const root = getProfile(RPM_ALERT)?.snapshot?.element?.find((e) => e.id === 'DetectedIssue');
  return root?.constraint?.find((c) => c.key === 'rpm-al-2')?.expression === PROPOSED_RPM_AL_2.expression;
}

const telecom = (email?: string, mobile?: string) => ({
  telecom: [
    ...(email ? [{ system: 'email', value: email }] : []),
    ...(mobile ? [{ system: 'phone', use: 'mobile', value: mobile }] : []),
  ],
});

const roleCode = (code: string) => [{ coding: [{ system: ESCALATION_ROLE_SYSTEM, code }] }];

/**
 * ward (Organization) and elsewhere; patient p (managed by ward) and q (elsewhere); drTeam (on p's CareTeam, email
 * and mobile); drOther (a role elsewhere: reaches q, not p); onCall (PractitionerRole on-call-clinician at ward with
 * its own mobile; practitioner with an email); senior (PractitionerRole senior-clinician at ward, no telecom;
 * practitioner with an email); offDuty (on-call role at ward, ended period); noContact (Practitioner, no telecom).
 */
export function alertWorld(tag: string): Blueprint {
  const name = (family: string) => ({ name: [{ family: `${family}-${tag}` }] });
  return {
    ward: { resourceType: 'Organization', name: `Virtual ward ${tag}` },
    elsewhere: { resourceType: 'Organization', name: `Elsewhere ${tag}` },
    p: { resourceType: 'Patient', ...name('Patient'), managingOrganization: { reference: '#ward' } },
    q: { resourceType: 'Patient', ...name('Other'), managingOrganization: { reference: '#elsewhere' } },
    drTeam: { resourceType: 'Practitioner', ...name('Team'), ...telecom(`team.${tag}@example.org`, '07700900001') },
    team: {
      resourceType: 'CareTeam',
      subject: { reference: '#p' },
      participant: [{ member: { reference: '#drTeam' } }],
    },
    drOther: { resourceType: 'Practitioner', ...name('Other') },
    roleOther: {
      resourceType: 'PractitionerRole',
      practitioner: { reference: '#drOther' },
      organization: { reference: '#elsewhere' },
    },
    drOnCall: { resourceType: 'Practitioner', ...name('OnCall'), ...telecom(`oncall.${tag}@example.org`) },
    onCall: {
      resourceType: 'PractitionerRole',
      active: true,
      practitioner: { reference: '#drOnCall' },
      organization: { reference: '#ward' },
      code: roleCode('on-call-clinician'),
      ...telecom(undefined, '07700900002'),
    },
    drOffDuty: { resourceType: 'Practitioner', ...name('OffDuty'), ...telecom(`offduty.${tag}@example.org`) },
    offDuty: {
      resourceType: 'PractitionerRole',
      practitioner: { reference: '#drOffDuty' },
      organization: { reference: '#ward' },
      code: roleCode('on-call-clinician'),
      period: { start: '2000-01-01T00:00:00Z', end: '2000-01-02T00:00:00Z' },
    },
    drSenior: { resourceType: 'Practitioner', ...name('Senior'), ...telecom(`senior.${tag}@example.org`) },
    senior: {
      resourceType: 'PractitionerRole',
      practitioner: { reference: '#drSenior' },
      organization: { reference: '#ward' },
      code: roleCode('senior-clinician'),
    },
    noContact: { resourceType: 'Practitioner', ...name('NoContact') },
  } as Blueprint;
}

export interface AlertOptions {
  severity?: AlertSeverity;
  identified?: string;
  programme?: string;
  status?: DetectedIssue['status'];
}

/** An open rpm-alert alert for the patient, as the bots' buildAlert makes it. */
export function alertFor(patient: string, options: AlertOptions = {}): DetectedIssue {
  return {
    resourceType: 'DetectedIssue',
    meta: { profile: [RPM_ALERT] },
    extension: [
      {
        url: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-alert-clinical-source',
        valueString: 'Test thresholds',
      },
      ...(options.programme
        ? [
            {
              url: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-alert-programme',
              valueCanonical: options.programme,
            },
          ]
        : []),
    ],
    identifier: [
      {
        system: 'http://rpm-platform.org/fhir/identifier/alert',
        value: `vital-sign-threshold.t${randomUUID().slice(0, 8)}:${patient}`,
      },
    ],
    status: options.status ?? 'preliminary',
    code: {
      coding: [{ system: 'http://rpm-platform.org/fhir/CodeSystem/rpm-alert-rule', code: 'vital-sign-threshold' }],
      text: 'Vital sign outside its amber or red limits',
    },
    severity: options.severity ?? 'high',
    patient: { reference: patient },
    identifiedDateTime: options.identified ?? new Date().toISOString(),
    detail: 'SpO2 84 % is below the red limit of 85 %',
  };
}

export interface AlertWorld {
  id: Record<string, string>;
  ref: (key: string) => string;
}

/** Creates the world (ids by key; ref('p') = 'Patient/<id>'). */
export async function createAlertWorld(ctx: TestServerContext, tag = randomUUID().slice(0, 8)): Promise<AlertWorld> {
  const blueprint = alertWorld(tag);
  const id = await createAll(ctx, blueprint);
  return { id, ref: (key: string) => `${blueprint[key].resourceType}/${id[key]}` };
}

/** Creates a resource as the admin client; throws unless 201. */
export async function create<T extends Resource>(ctx: TestServerContext, resource: T): Promise<T & { id: string }> {
  const res = await ctx.api(resource.resourceType, { method: 'POST', body: JSON.stringify(resource) });
  const body = (await res.json()) as T & { id: string };
  if (res.status !== 201) {
    throw new Error(`Creating ${resource.resourceType} failed (${res.status}): ${JSON.stringify(body)}`);
  }
  return body;
}

/** A Parameters body for the alert operations. */
export function parameters(values: { note?: string; practitioner?: string }): Parameters {
  const parameter: ParametersParameter[] = [];
  if (values.note !== undefined) {
    parameter.push({ name: 'note', valueString: values.note });
  }
  if (values.practitioner !== undefined) {
    parameter.push({ name: 'practitioner', valueReference: { reference: values.practitioner } });
  }
  return { resourceType: 'Parameters', parameter };
}

export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

/** POST DetectedIssue/<id>/$<operation> with the body. */
export function callOperation(api: Fetcher, id: string, operation: string, body: unknown): Promise<Response> {
  return api(`DetectedIssue/${id}/$${operation}`, { method: 'POST', body: JSON.stringify(body) });
}

/** A fetch with a clinician's user token (scopes user/*.cruds) for this Practitioner. */
export function asClinician(ctx: TestServerContext, practitioner: string, scope = 'user/*.cruds'): Promise<Fetcher> {
  return asUser(ctx, { role: 'clinician', fhirUser: practitioner }, scope);
}

/** The resources of a search, as the admin client. */
export async function searchAll<T extends Resource>(ctx: TestServerContext, query: string): Promise<T[]> {
  const res = await ctx.api(query);
  const bundle = (await res.json()) as Bundle<T>;
  if (res.status !== 200) {
    throw new Error(`Search ${query} failed (${res.status}): ${JSON.stringify(bundle)}`);
  }
  return (bundle.entry ?? []).map((e) => e.resource as T);
}

/** The Tasks whose focus is the alert. */
export function tasksOf(ctx: TestServerContext, alertId: string): Promise<Task[]> {
  return searchAll<Task>(ctx, `Task?focus=DetectedIssue/${alertId}&_count=100`);
}

/** The server's own repository (no caller), as the escalation job uses. */
export function systemRepo(ctx: TestServerContext): PostgresRepository {
  return new PostgresRepository(ctx.server.pool, { fhirBaseUrl: ctx.server.fhirBaseUrl });
}
