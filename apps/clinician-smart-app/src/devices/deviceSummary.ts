// A patient's device as a clinician reads it: name, maker and model, serial, firmware, last contact and calibration.
import type { Device, DeviceMetric, Observation } from '@medplum/fhirtypes';
import { readingTime } from '../fhir/readings.ts';
import { formatDateTime, timeAgo } from '../../../shared/ui/formatTime.ts';

export interface DeviceSummary {
  id: string;
  name: string;
  manufacturer?: string;
  model?: string;
  serial?: string;
  firmware?: string;
  status?: string;
  /** "2 h ago (24 Nov 2026, 12:05)", or "no readings received". */
  lastContact: string;
  /** One line per metric calibration, e.g. "Blood pressure: calibrated 1 Nov 2026, 09:00". */
  calibration: string[];
}

export function deviceName(device: Device): string {
  return (
    device.deviceName?.find((n) => n.type === 'user-friendly-name')?.name ??
    device.deviceName?.[0]?.name ??
    device.type?.text ??
    device.type?.coding?.[0]?.display ??
    device.modelNumber ??
    `Device ${device.id ?? ''}`.trim()
  );
}

/** Firmware from Device.version (type "firmware" first, else any version). */
export function firmwareOf(device: Device): string | undefined {
  const versions = device.version ?? [];
  const firmware = versions.find((v) =>
    /firmware/i.test(`${v.type?.text ?? ''} ${v.type?.coding?.map((c) => `${c.code} ${c.display}`).join(' ') ?? ''}`)
  );
  return (firmware ?? versions[0])?.value;
}

const CALIBRATION_STATE: Readonly<Record<string, string>> = {
  'not-calibrated': 'not calibrated',
  'calibration-required': 'calibration required',
  calibrated: 'calibrated',
  unspecified: 'calibration state unknown',
};

/** "Blood pressure: calibrated 1 Nov 2026, 09:00" per calibration of each metric. */
export function calibrationLines(metrics: readonly DeviceMetric[]): string[] {
  return metrics.flatMap((metric) =>
    (metric.calibration ?? []).map((c) => {
      const what = metric.type?.text ?? metric.type?.coding?.[0]?.display ?? 'Measurement';
      const state = CALIBRATION_STATE[c.state ?? 'unspecified'] ?? c.state ?? 'calibration';
      return `${what}: ${state}${c.time ? ` ${formatDateTime(c.time)}` : ''}`;
    })
  );
}

export function summarizeDevice(
  device: Device & { id: string },
  latest: Observation | undefined,
  metrics: readonly DeviceMetric[],
  now: number
): DeviceSummary {
  const time = latest ? readingTime(latest) : undefined;
  return {
    id: device.id,
    name: deviceName(device),
    manufacturer: device.manufacturer,
    model: device.modelNumber ?? device.deviceName?.find((n) => n.type === 'model-name')?.name,
    serial: device.serialNumber,
    firmware: firmwareOf(device),
    status: device.status,
    lastContact: time ? `${timeAgo(time, now)} (${formatDateTime(time)})` : 'no readings received',
    calibration: calibrationLines(metrics),
  };
}
