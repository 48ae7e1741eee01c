// The header's line about the connection and the outbox: "Offline", "2 waiting to send" (words, not only a colour).
import { Text } from '@mantine/core';
import { useNetwork } from '@mantine/hooks';
import { useOutbox } from './OutboxProvider.tsx';

export function OutboxStatus() {
  const { items } = useOutbox();
  const { online } = useNetwork();
  const waiting = items.filter((item) => item.state === 'waiting').length;
  const text = waiting > 0 ? `${waiting} waiting to send` : online ? undefined : 'Offline';
  return (
    <div role="status" aria-live="polite">
      {text ? (
        <Text
          size="xs"
          fw={700}
          c="white"
          bg={waiting > 0 ? 'dark.7' : 'gray.8'}
          px={8}
          py={2}
          style={{ borderRadius: 999, whiteSpace: 'nowrap' }}
        >
          {text}
        </Text>
      ) : null}
    </div>
  );
}
