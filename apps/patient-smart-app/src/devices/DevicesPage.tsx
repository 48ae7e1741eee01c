// Devices: read a Bluetooth health device, show the reading to check, send it with its Device; the devices used so far.
import { Anchor, Button, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import type { DecodedReading } from '../bluetooth/readingToObservation.ts';
import { newOutboxItem } from '../outbox/outboxItem.ts';
import { newReadingId } from '../outbox/newReadingId.ts';
import { useOutbox } from '../outbox/OutboxProvider.tsx';
import { Notice } from '../ui/Notice.tsx';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import {
  DEVICE_TYPES,
  describeReading,
  deviceObservations,
  type DeviceType,
  type PairedDevice,
} from './deviceTypes.ts';
import { pairedDeviceResource } from './deviceResource.ts';
import { MyDevicesList } from './MyDevicesList.tsx';
import { readOneMeasurement, webBluetooth } from './webBluetooth.ts';

type Step =
  | { kind: 'choose' }
  | { kind: 'reading'; type: DeviceType }
  | { kind: 'confirm'; type: DeviceType; device: PairedDevice; reading: DecodedReading; words: string; at: Date }
  | { kind: 'done'; words: string; state: 'sent' | 'waiting' }
  | { kind: 'problem'; message: string };

export default function DevicesPage() {
  const { patientReference } = usePatientContext();
  const outbox = useOutbox();
  const [step, setStep] = useState<Step>({ kind: 'choose' });
  const [busy, setBusy] = useState(false);
  const supported = !!webBluetooth();

  const read = async (type: DeviceType): Promise<void> => {
    setStep({ kind: 'reading', type });
    try {
      const measurement = await readOneMeasurement(type);
      const reading = type.decode(measurement.value);
      const words = describeReading(reading);
      if (!words) {
        setStep({ kind: 'problem', message: 'The device could not measure this time. Please measure again.' });
        return;
      }
      setStep({ kind: 'confirm', type, device: measurement.device, reading, words, at: new Date() });
    } catch (err) {
      setStep({ kind: 'problem', message: err instanceof Error ? err.message : String(err) });
    }
  };

  const send = async (confirm: Extract<Step, { kind: 'confirm' }>): Promise<void> => {
    setBusy(true);
    try {
      // The Device's place in the transaction; the server makes it `Device/<id>` (found again on the next reading).
      const deviceUrl = `urn:uuid:${newReadingId()}`;
      const item = await outbox.add(
        newOutboxItem({
          id: newReadingId(),
          vital: confirm.type.vital,
          summary: confirm.words,
          observations: deviceObservations({
            reading: confirm.reading,
            type: confirm.type,
            device: confirm.device,
            deviceUrl,
            patientReference,
            receivedAt: confirm.at,
          }),
          device: {
            fullUrl: deviceUrl,
            resource: pairedDeviceResource(confirm.device, confirm.type, patientReference),
          },
          takenAt: confirm.at.toISOString(),
          now: Date.now(),
        })
      );
      if (item?.state === 'refused') {
        await outbox.dismiss(item.id);
        setStep({ kind: 'problem', message: item.problem ?? 'This reading was not accepted.' });
      } else {
        setStep({ kind: 'done', words: confirm.words, state: item?.state === 'sent' ? 'sent' : 'waiting' });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="md">
      <Title order={1}>My devices</Title>
      {!supported ? (
        <Notice kind="info" title="Bluetooth is not available here" role="status">
          <Text>
            This phone or browser cannot connect to Bluetooth devices. You can still type your reading in yourself.
          </Text>
          <Anchor component={Link} to="/today" fw={700}>
            Type in a reading
          </Anchor>
        </Notice>
      ) : null}
      {supported && step.kind === 'choose' ? (
        <>
          <Text>Turn your device on. Then press the button for it below and choose it from the list.</Text>
          <Stack component="ul" gap="sm" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {DEVICE_TYPES.map((type) => (
              <li key={type.key}>
                <Button fullWidth variant="outline" onClick={() => void read(type)}>
                  {type.label}
                </Button>
              </li>
            ))}
          </Stack>
        </>
      ) : null}
      {step.kind === 'reading' ? (
        <Card withBorder padding="md" role="status">
          <Group gap="sm" wrap="nowrap">
            <Loader size="sm" aria-hidden />
            <Text>Connecting to your {step.type.label.toLowerCase()}. Take your measurement now.</Text>
          </Group>
        </Card>
      ) : null}
      {step.kind === 'confirm' ? (
        <Card withBorder padding="md">
          <Title order={2} size="h3">
            Is this right?
          </Title>
          <Text size="xl" fw={700} my="sm" data-testid="device-reading">
            {step.words}
          </Text>
          <Text size="sm">From {step.device.name}</Text>
          <Stack gap="sm" mt="md">
            <Button onClick={() => void send(step)} loading={busy} fullWidth>
              Yes, send it
            </Button>
            <Button variant="outline" onClick={() => setStep({ kind: 'choose' })} fullWidth>
              No, do not send it
            </Button>
          </Stack>
        </Card>
      ) : null}
      {step.kind === 'done' ? (
        <Notice
          kind="success"
          title={step.state === 'sent' ? 'Reading sent' : 'Reading saved on your phone'}
          role="status"
        >
          <Text>
            {step.words}.{' '}
            {step.state === 'sent'
              ? 'Your care team can see it now.'
              : 'It will be sent automatically, so you do not need to measure again.'}
          </Text>
          <Button mt="sm" variant="outline" onClick={() => setStep({ kind: 'choose' })}>
            Read another device
          </Button>
        </Notice>
      ) : null}
      {step.kind === 'problem' ? (
        <Notice kind="problem" title="That did not work" role="alert">
          <Text>{step.message}</Text>
          <Button mt="sm" variant="outline" onClick={() => setStep({ kind: 'choose' })}>
            Try again
          </Button>
        </Notice>
      ) : null}
      {step.kind !== 'reading' ? <MyDevicesList /> : null}
    </Stack>
  );
}
