// Which rule a resource type follows for user tokens: patient compartment, shared directory, or admins only.
import { getParamInfo } from '../fhir/search/catalog.ts';
import { patientCompartmentParams } from '../fhir/search/compartment.ts';

/**
 * - compartment: patient data, reached through the Patient CompartmentDefinition (and Patient itself, by id);
 * - directory: shared, non-patient resources every user may read, only admins write;
 * - owned: each user's own (their websocket Subscriptions): a user reaches those they created, an admin all;
 * - restricted: everything else (Bot, Binary, Bundle, ...): admins and system clients only.
 */
export type TypeCategory = 'compartment' | 'directory' | 'owned' | 'restricted';

/** Types a user may keep for themselves: a clinician's or patient's app subscribes to what it shows. */
export const OWNED_TYPES: ReadonlySet<string> = new Set(['Subscription']);

/** The tag the server puts on an owned resource a user writes: `code` is the account id (the token's subject). */
export const OWNER_TAG_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/resource-owner';

/** The account that owns the resource (its owner tag); undefined for resources written by admins or the system. */
export function ownerOf(resource: { meta?: { tag?: { system?: string; code?: string }[] } }): string | undefined {
  return resource.meta?.tag?.find((t) => t.system === OWNER_TAG_SYSTEM)?.code;
}

/** Shared resources outside every patient compartment. */
export const DIRECTORY_TYPES: ReadonlySet<string> = new Set([
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'OrganizationAffiliation',
  'Location',
  'HealthcareService',
  'Endpoint',
  'Device',
  // A Device's calibration (state, time) names no patient; its `source` Device is checked on its own.
  'DeviceMetric',
  'DeviceDefinition',
  'Medication',
  'MedicationKnowledge',
  'Substance',
  'Questionnaire',
  'ValueSet',
  'CodeSystem',
  'ConceptMap',
  'NamingSystem',
  'StructureDefinition',
  'StructureMap',
  'SearchParameter',
  'CapabilityStatement',
  'OperationDefinition',
  'CompartmentDefinition',
  'ImplementationGuide',
  'PlanDefinition',
  'ActivityDefinition',
  'ObservationDefinition',
  'SpecimenDefinition',
  'Library',
  'Measure',
]);

/** Directory types that may name a patient: such a resource is seen only by those who reach that patient. */
const PATIENT_LINKS: Readonly<Record<string, string[]>> = { Device: ['patient'] };

/** Compartment types from which reach is computed: only admins (and system clients) write them. */
export const RELATIONSHIP_TYPES: ReadonlySet<string> = new Set(['CareTeam', 'RelatedPerson']);

/** Written by the server and system clients, never changed through the API. */
export const APPEND_ONLY_TYPES: ReadonlySet<string> = new Set(['AuditEvent']);

export function categoryOf(resourceType: string): TypeCategory {
  if (DIRECTORY_TYPES.has(resourceType)) {
    return 'directory';
  }
  if (OWNED_TYPES.has(resourceType)) {
    return 'owned';
  }
  if (resourceType === 'Patient' || patientCompartmentParams(resourceType).length > 0) {
    return 'compartment';
  }
  return 'restricted';
}

const rowParamsCache = new Map<string, string[]>();

/**
 * The reference index params (`search_reference.param`) whose `Patient/x` rows put a resource of this type in
 * Patient x's compartment (or, for Device, link it to a patient). Empty for Patient, whose compartment is its own id.
 */
export function compartmentRowParams(resourceType: string): string[] {
  let params = rowParamsCache.get(resourceType);
  if (!params) {
    const codes =
      resourceType === 'Patient' ? [] : (PATIENT_LINKS[resourceType] ?? patientCompartmentParams(resourceType));
    const rows = new Set<string>();
    for (const code of codes) {
      const info = getParamInfo(resourceType, code);
      if (info?.kind === 'reference' && !info.unsupported) {
        info.rowParams.forEach((p) => rows.add(p));
      }
    }
    params = [...rows].sort();
    rowParamsCache.set(resourceType, params);
  }
  return params;
}
