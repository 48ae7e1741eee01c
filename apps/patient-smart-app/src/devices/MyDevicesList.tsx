// "Devices you have used": each of the patient's devices with its model and when it last sent a reading.
import { Card, Loader, Stack, Text, Title } from '@mantine/core';
import { useMedplum } from '@medplum/react';
import { useEffect, useState } from 'react';
import { useOutbox } from '../outbox/OutboxProvider.tsx';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { plainError } from '../ui/plainError.ts';
import { loadMyDevices, type MyDevice } from './myDevices.ts';

const LIST = { listStyle: 'none', padding: 0, margin: 0 } as const;

export function MyDevicesList() {
  const medplum = useMedplum();
  const { patientReference } = usePatientContext();
  const { sentVersion } = useOutbox();
  const [devices, setDevices] = useState<MyDevice[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let current = true;
    loadMyDevices(medplum, patientReference).then(
      (loaded) => {
        if (current) {
          setDevices(loaded);
          setError(undefined);
        }
      },
      (err: unknown) => {
        if (current) {
          setError(plainError(err));
        }
      }
    );
    return () => {
      current = false;
    };
  }, [medplum, patientReference, sentVersion]);

  return (
    <Stack gap="sm" component="section" aria-labelledby="my-devices-title">
      <Title order={2} size="h3" id="my-devices-title">
        Devices you have used
      </Title>
      {error ? <Text>We could not load your devices. {error}</Text> : null}
      {!error && !devices ? <Loader size="sm" role="status" aria-label="Loading your devices" /> : null}
      {devices && devices.length === 0 ? <Text>None yet. Your devices show here after your first reading.</Text> : null}
      {devices && devices.length > 0 ? (
        <Stack component="ul" gap="sm" style={LIST}>
          {devices.map((device) => (
            <Card key={device.id} withBorder component="li" padding="md" data-testid="my-device">
              <Text fw={700} size="lg">
                {device.name}
              </Text>
              {device.model ? <Text>Model: {device.model}</Text> : null}
              <Text>
                {device.lastReadingAt
                  ? `Last reading: ${formatDateTime(device.lastReadingAt)}`
                  : 'No readings from it yet'}
              </Text>
            </Card>
          ))}
        </Stack>
      ) : null}
    </Stack>
  );
}
