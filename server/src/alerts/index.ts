// Alert handling: the $acknowledge, $resolve and $escalate operations and the scheduled escalation of unacknowledged alerts.
import type { FhirRouter } from '@medplum/fhir-router';
import { acknowledgeOperation } from './acknowledge.ts';
import { escalateOperation } from './escalate.ts';
import { resolveOperation } from './resolve.ts';

export { acknowledgeOperation } from './acknowledge.ts';
export { escalateOperation } from './escalate.ts';
export { resolveOperation } from './resolve.ts';
export { alertEscalationModule, ESCALATION_TASK } from './alertEscalationModule.ts';
export { escalateDueAlerts } from './escalateDueAlerts.ts';
export type { EscalationSweepOptions, EscalationSweepReport } from './escalateDueAlerts.ts';
export { DEFAULT_ESCALATION_LEVELS, levelsForSeverity } from './defaultEscalationPolicy.ts';
export { escalationPolicyExtension, readEscalationPolicy } from './escalationPolicy.ts';
export type { EscalationLevel, EscalationTarget } from './escalationPolicy.ts';
export * from './alertCodes.ts';

/** Adds POST DetectedIssue/[id]/$acknowledge, $resolve and $escalate (interaction "operation"). */
export function registerAlertOperations(router: FhirRouter): void {
  router.add('POST', 'DetectedIssue/:id/$acknowledge', acknowledgeOperation, 'operation');
  router.add('POST', 'DetectedIssue/:id/$resolve', resolveOperation, 'operation');
  router.add('POST', 'DetectedIssue/:id/$escalate', escalateOperation, 'operation');
}
