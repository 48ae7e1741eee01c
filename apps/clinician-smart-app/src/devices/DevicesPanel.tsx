// The patient's devices (Device?patient=): maker, model, serial, firmware, last contact and calibration, if recorded.
import { Alert, Loader, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { MedplumClient } from '@medplum/core';
import type { DeviceMetric } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useEffect, useState } from 'react';
import { plainError } from '../ui/plainError.ts';
import { summarizeDevice, type DeviceSummary } from './deviceSummary.ts';

/**
 * Standard searches only: the devices assigned to the patient, then per device its latest reading
 * (`Observation?device=Device/x&_sort=-date&_count=1`) and its calibration (`DeviceMetric?source=Device/x`; a server
 * that does not let the user read DeviceMetrics simply shows none).
 */
export async function loadDevices(medplum: MedplumClient, patientId: string): Promise<DeviceSummary[]> {
  const devices = await medplum.searchResources('Device', { patient: `Patient/${patientId}`, _count: '50' });
  const now = Date.now();
  return Promise.all(
    devices.map(async (device) => {
      const [latest, metrics] = await Promise.all([
        medplum.searchOne('Observation', { device: `Device/${device.id}`, _sort: '-date', _count: '1' }),
        medplum
          .searchResources('DeviceMetric', { source: `Device/${device.id}`, _count: '20' })
          .then((found): DeviceMetric[] => [...found])
          .catch((): DeviceMetric[] => []),
      ]);
      return summarizeDevice(device, latest, metrics, now);
    })
  );
}

function Detail(props: { label: string; value?: string }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" fw={500}>
        {props.label}
      </Table.Th>
      <Table.Td>{props.value || 'not recorded'}</Table.Td>
    </Table.Tr>
  );
}

export function DevicesPanel(props: { patientId: string; refreshKey: number }) {
  const medplum = useMedplum();
  const [devices, setDevices] = useState<DeviceSummary[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let current = true;
    loadDevices(medplum, props.patientId)
      .then((found) => current && (setDevices(found), setError(undefined)))
      .catch((err: unknown) => current && setError(plainError(err)));
    return () => {
      current = false;
    };
  }, [medplum, props.patientId, props.refreshKey]);

  return (
    <Stack gap="sm" component="section" aria-labelledby="devices-heading">
      <Title order={2} size="h4" id="devices-heading">
        Devices
      </Title>
      {error ? (
        <Alert color="red" title="Devices could not be loaded" role="alert">
          {error}
        </Alert>
      ) : null}
      {!devices && !error ? <Loader size="sm" role="status" aria-label="Loading devices" /> : null}
      {devices?.length === 0 ? <Text>No devices are assigned to this patient.</Text> : null}
      {devices?.map((device) => (
        <Paper key={device.id} withBorder p="sm" component="article" aria-label={device.name} data-testid="device">
          <Title order={3} size="h5">
            {device.name}
          </Title>
          <Table verticalSpacing={2} withRowBorders={false}>
            <Table.Tbody>
              <Detail label="Manufacturer" value={device.manufacturer} />
              <Detail label="Model" value={device.model} />
              <Detail label="Serial number" value={device.serial} />
              <Detail label="Firmware" value={device.firmware} />
              <Detail label="Status" value={device.status} />
              <Detail label="Last contact" value={device.lastContact} />
              <Detail label="Calibration" value={device.calibration.join('; ') || undefined} />
            </Table.Tbody>
          </Table>
        </Paper>
      ))}
    </Stack>
  );
}
