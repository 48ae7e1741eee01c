// Test fixture: a small care network (two organizations, patients, clinicians, a carer, an admin) and user tokens.
import { randomUUID } from 'node:crypto';
import type { AccountRole } from '../auth/authenticate.ts';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { saveGrantContext } from '../auth/launch/launchContext.ts';
import { fhirFetch, type TestServerContext } from '../testing/testServer.ts';
import { issueUserToken } from '../testing/userTokens.ts';

/** Resources by key; a reference `#key` stands for the resource created under that key. */
export type Blueprint = Record<string, Resource>;

/**
 * Creates every resource of the blueprint in one transaction (as the admin system client), references `#key`
 * resolved; returns the ids by key.
 */
export async function createAll(ctx: TestServerContext, blueprint: Blueprint): Promise<Record<string, string>> {
  const urls = Object.fromEntries(Object.keys(blueprint).map((k) => [k, `urn:uuid:${randomUUID()}`]));
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      return value.map(resolve);
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          k === 'reference' && typeof v === 'string' && v.startsWith('#') ? urls[v.slice(1)] : resolve(v),
        ])
      );
    }
    return value;
  };
  const keys = Object.keys(blueprint);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: keys.map((k) => ({
      fullUrl: urls[k],
      resource: resolve(blueprint[k]) as Resource,
      request: { method: 'POST', url: blueprint[k].resourceType },
    })),
  };
  const res = await ctx.api('', { method: 'POST', body: JSON.stringify(bundle) });
  const body = (await res.json()) as Bundle;
  if (res.status !== 200) {
    throw new Error(`Creating the test world failed: ${JSON.stringify(body)}`);
  }
  const ids: Record<string, string> = {};
  body.entry?.forEach((e, i) => {
    ids[keys[i]] = (e.response?.location ?? '').split('/')[1];
  });
  return ids;
}

export const VITAL_SIGNS = 'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs';

export function observation(subject: string, category: 'vital-signs' | 'laboratory', extra: object = {}): Resource {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] }],
    code: { coding: [{ system: 'http://loinc.org', code: category === 'vital-signs' ? '8867-4' : '2345-7' }] },
    subject: { reference: subject },
    effectiveDateTime: '2024-05-01T10:00:00Z',
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    ...extra,
  } as Resource;
}

/**
 * Organizations A and B; patients a1, a2 (A), b1 (B), x (none); clinician drA (role in A), drB (role in B),
 * drTeam (CareTeam member for x), drViaRole (CareTeam member for b1 through an organization-less PractitionerRole);
 * admin (role in A); carer (RelatedPerson of a1); Observations (vital signs and laboratory) per patient, one about b1
 * performed by a1, one about b1 with focus a1 (not in a1's compartment), one about b1 with identifier `b1-<tag>`;
 * a Condition, an Encounter, a Questionnaire, two Devices (one assigned to b1), a Subscription.
 */
export function careNetwork(tag: string): Blueprint {
  const name = (family: string): object => ({ name: [{ family: `${family}-${tag}` }] });
  return {
    orgA: { resourceType: 'Organization', name: `Org A ${tag}` },
    orgB: { resourceType: 'Organization', name: `Org B ${tag}` },
    a1: { resourceType: 'Patient', ...name('Alpha'), managingOrganization: { reference: '#orgA' } },
    a2: { resourceType: 'Patient', ...name('Adams'), managingOrganization: { reference: '#orgA' } },
    b1: { resourceType: 'Patient', ...name('Brown'), managingOrganization: { reference: '#orgB' } },
    x: { resourceType: 'Patient', ...name('Xu') },
    drA: { resourceType: 'Practitioner', ...name('DrA') },
    roleA: {
      resourceType: 'PractitionerRole',
      practitioner: { reference: '#drA' },
      organization: { reference: '#orgA' },
    },
    drB: { resourceType: 'Practitioner', ...name('DrB') },
    roleB: {
      resourceType: 'PractitionerRole',
      practitioner: { reference: '#drB' },
      organization: { reference: '#orgB' },
    },
    drTeam: { resourceType: 'Practitioner', ...name('DrTeam') },
    teamX: {
      resourceType: 'CareTeam',
      subject: { reference: '#x' },
      participant: [{ member: { reference: '#drTeam' } }],
    },
    drViaRole: { resourceType: 'Practitioner', ...name('DrViaRole') },
    roleNoOrg: { resourceType: 'PractitionerRole', practitioner: { reference: '#drViaRole' } },
    teamB1: {
      resourceType: 'CareTeam',
      subject: { reference: '#b1' },
      participant: [{ member: { reference: '#roleNoOrg' } }],
    },
    admin: { resourceType: 'Practitioner', ...name('Admin') },
    roleAdmin: {
      resourceType: 'PractitionerRole',
      practitioner: { reference: '#admin' },
      organization: { reference: '#orgA' },
    },
    carer: { resourceType: 'RelatedPerson', patient: { reference: '#a1' }, ...name('Carer') },
    a1Vital: observation('#a1', 'vital-signs'),
    a1Lab: observation('#a1', 'laboratory'),
    a2Vital: observation('#a2', 'vital-signs'),
    b1Vital: observation('#b1', 'vital-signs'),
    b1ByA1: observation('#b1', 'vital-signs', { performer: [{ reference: '#a1' }] }),
    xVital: observation('#x', 'vital-signs'),
    b1FocusA1: observation('#b1', 'laboratory', { focus: [{ reference: '#a1' }] }),
    b1Identified: observation('#b1', 'laboratory', { identifier: [{ system: 'urn:test', value: `b1-${tag}` }] }),
    a1Condition: {
      resourceType: 'Condition',
      subject: { reference: '#a1' },
      code: { text: `Hypertension ${tag}` },
    },
    b1Encounter: {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' },
      subject: { reference: '#b1' },
    },
    questionnaire: { resourceType: 'Questionnaire', status: 'active', title: `PROM ${tag}` },
    device: { resourceType: 'Device', serialNumber: `free-${tag}` },
    deviceB1: { resourceType: 'Device', serialNumber: `b1-${tag}`, patient: { reference: '#b1' } },
    subscription: {
      resourceType: 'Subscription',
      status: 'off',
      reason: 'test',
      criteria: 'Observation?code=8867-4',
      channel: { type: 'rest-hook', endpoint: 'https://example.org/hook' },
    },
  };
}

export interface Who {
  role: AccountRole;
  fhirUser: string;
  patient?: string;
}

/**
 * A user access token of the given identity and scopes. Tokens take fhirUser, role and launch patient from their
 * grant's context (launch/launchContext.ts), so it is saved for the helper's grant first.
 */
export async function userToken(ctx: TestServerContext, who: Who, scope: string): Promise<string> {
  const accountId = randomUUID();
  await saveGrantContext(ctx.server.pool, `test-grant-${accountId}`, { ...who }, 3600);
  return issueUserToken(ctx.server, { accountId, scope, ...who });
}

/** A fetch against the FHIR base with a fresh user token of the given identity and scopes. */
export async function asUser(ctx: TestServerContext, who: Who, scope: string): Promise<ReturnType<typeof fhirFetch>> {
  return fhirFetch(ctx.server, await userToken(ctx, who, scope));
}

/** The ids of the resources in a Bundle (entries, any search mode), as "Type/id". */
export function refsIn(bundle: Bundle): string[] {
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [`${e.resource.resourceType}/${e.resource.id}`] : []));
}
