// The escalation policies proposed for the two example programmes (fhir/profiles/examples/rpm-threshold-programme-*.json).
import type { Extension } from '@medplum/fhirtypes';

const ROLE = 'http://rpm-platform.org/fhir/CodeSystem/rpm-escalation-role';

function level(severity: string, minutes: number, role: string): Extension {
  return {
    url: 'level',
    extension: [
      { url: 'severity', valueCode: severity },
      {
        url: 'after',
        valueDuration: { value: minutes, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' },
      },
      { url: 'target', valueCodeableConcept: { coding: [{ system: ROLE, code: role }] } },
    ],
  };
}

const DOCUMENTATION =
  'Project defaults, not yet signed off: red 15 min on-call clinician, 30 min senior clinician (the timings the ' +
  'platform was asked for); amber 60 and 120 min and low 240 min follow the minimum monitoring frequencies of RCP ' +
  'NEWS2 (2017) chart 4 by analogy. No national standard sets escalation delays for virtual wards: the service ' +
  'running this programme must sign these off (or change them) through its clinical governance.';

/**
 * The same levels for both programmes (the defaults, stated explicitly so that the programme carries the policy its
 * clinical governance signs off). To be added to `extension` of both example PlanDefinitions.
 */
export const EXAMPLE_PROGRAMME_POLICY: Extension = {
  url: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-escalation-policy',
  extension: [
    level('high', 15, 'on-call-clinician'),
    level('high', 30, 'senior-clinician'),
    level('moderate', 60, 'on-call-clinician'),
    level('moderate', 120, 'senior-clinician'),
    level('low', 240, 'on-call-clinician'),
    { url: 'documentation', valueString: DOCUMENTATION },
  ],
};
