// Readings still on the phone: "Waiting to send" (with Send now) and "Not accepted" (with the reason and OK).
import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { Notice } from '../ui/Notice.tsx';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { useOutbox } from './OutboxProvider.tsx';

export function OutboxList() {
  const { items, sendNow, dismiss } = useOutbox();
  const waiting = items.filter((item) => item.state === 'waiting');
  const refused = items.filter((item) => item.state === 'refused');
  if (waiting.length === 0 && refused.length === 0) {
    return null;
  }
  return (
    <Stack gap="sm" component="section" aria-labelledby="outbox-title">
      <Title order={2} size="h3" id="outbox-title">
        Not sent yet
      </Title>
      {waiting.length > 0 ? (
        <Notice kind="waiting" title={`${waiting.length} waiting to send`}>
          <Stack gap="xs">
            <Text size="sm">These readings are saved on your phone and will be sent automatically.</Text>
            <ul data-testid="waiting-readings" style={{ margin: 0, paddingLeft: '1.25rem' }}>
              {waiting.map((item) => (
                <li key={item.id}>
                  <Text size="sm">
                    <strong>Waiting to send:</strong> {item.summary} ({formatDateTime(item.takenAt)})
                  </Text>
                </li>
              ))}
            </ul>
            <Group>
              <Button variant="outline" onClick={() => void sendNow()}>
                Try to send now
              </Button>
            </Group>
          </Stack>
        </Notice>
      ) : null}
      {refused.map((item) => (
        <Notice key={item.id} kind="problem" title="This reading was not accepted">
          <Stack gap="xs">
            <Text size="sm">
              {item.summary} ({formatDateTime(item.takenAt)}). {item.problem}
            </Text>
            <Group>
              <Button variant="outline" onClick={() => void dismiss(item.id)}>
                OK, remove it
              </Button>
            </Group>
          </Stack>
        </Notice>
      ))}
    </Stack>
  );
}
