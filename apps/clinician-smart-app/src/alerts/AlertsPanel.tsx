// The patient's alerts: open ones first with their actions, then recently closed ones.
import { Stack, Text, Title } from '@mantine/core';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { AlertCard } from './AlertCard.tsx';
import { isOpen } from './alertState.ts';

export function AlertsPanel(props: {
  alerts: (DetectedIssue & { id: string })[];
  onChanged: (alert: DetectedIssue) => void;
}) {
  const open = props.alerts.filter(isOpen);
  const closed = props.alerts.filter((a) => !isOpen(a)).slice(0, 10);
  return (
    <Stack gap="sm" component="section" aria-labelledby="open-alerts-heading">
      <Title order={2} size="h4" id="open-alerts-heading">
        Open alerts ({open.length})
      </Title>
      {open.length === 0 ? <Text>No open alerts.</Text> : null}
      {open.map((alert) => (
        <AlertCard key={alert.id} alert={alert} onChanged={props.onChanged} />
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
