// The patient's alerts: open ones first with their actions (acknowledge, escalate, resolve), then recently closed ones.
import { Stack, Text, Title } from '@mantine/core';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useEffect, useState } from 'react';
import { useLaunchContext } from '../smart/useLaunchContext.tsx';
import { AlertCard } from './AlertCard.tsx';
import { isOpen } from './alertState.ts';
import { loadEscalationTargets, type EscalationTarget } from './escalationTargets.ts';

export function AlertsPanel(props: {
  patientId: string;
  alerts: (DetectedIssue & { id: string })[];
  onChanged: (alert: DetectedIssue) => void;
}) {
  const medplum = useMedplum();
  const { fhirUser } = useLaunchContext();
  const [targets, setTargets] = useState<EscalationTarget[]>([]);
  const open = props.alerts.filter(isOpen);
  const closed = props.alerts.filter((a) => !isOpen(a)).slice(0, 10);
  const anyOpen = open.length > 0;

  useEffect(() => {
    if (!anyOpen) {
      return;
    }
    let current = true;
    // Without choices Escalate says so; the other actions do not depend on them.
    loadEscalationTargets(medplum, props.patientId, fhirUser)
      .then((found) => current && setTargets(found))
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [medplum, props.patientId, fhirUser, anyOpen]);

  return (
    <Stack gap="sm" component="section" aria-labelledby="open-alerts-heading">
      <Title order={2} size="h4" id="open-alerts-heading">
        Open alerts ({open.length})
      </Title>
      {open.length === 0 ? <Text>No open alerts.</Text> : null}
      {open.map((alert) => (
        <AlertCard key={alert.id} alert={alert} onChanged={props.onChanged} targets={targets} />
      ))}
      {closed.length > 0 ? (
        <>
          <Title order={2} size="h4">
            Recently closed alerts
          </Title>
          {closed.map((alert) => (
            <AlertCard key={alert.id} alert={alert} onChanged={props.onChanged} />
          ))}
        </>
      ) : null}
    </Stack>
  );
}
