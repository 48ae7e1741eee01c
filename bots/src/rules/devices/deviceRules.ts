// The device rules: a device assigned to a patient that has gone silent too long, or runs firmware below the programme's minimum.
import type { Device, Duration, PlanDefinition } from '@medplum/fhirtypes';
import { RPM_BASE } from '../../fhir/codes.ts';
import { isOlderThan } from './firmwareVersion.ts';

/** PlanDefinition extension: per device model, the oldest firmware the programme accepts (sub-extensions model, version). */
export const MINIMUM_FIRMWARE_EXTENSION = `${RPM_BASE}/StructureDefinition/rpm-device-minimum-firmware`;
/** PlanDefinition extension: how long an assigned device may send nothing (Duration in h or d). */
export const SILENCE_LIMIT_EXTENSION = `${RPM_BASE}/StructureDefinition/rpm-device-silence-limit`;

/**
 * Without a programme limit a device is silent after 48 hours. An operational rule, not a clinical one: two days
 * without any reading from a device that should send daily means the device, its batteries or its hub need a look
 * (the missed-readings rule already alerts on each overdue scheduled reading).
 */
export const DEFAULT_SILENCE_LIMIT_HOURS = 48;

/** MDC code of `Device.version.type` for firmware (server/src/devices/phdGatewayBundle.ts MDC_VERSION_TYPES). */
const MDC_FIRMWARE = '531976';
const MDC_SYSTEM = 'urn:iso:std:iso:11073:10101';

export interface DeviceRules {
  silenceLimitHours: number;
  /** Minimum firmware by model (`Device.modelNumber`). */
  minimumFirmware: ReadonlyMap<string, string>;
}

function hoursOf(duration: Duration | undefined): number | undefined {
  if (duration?.value === undefined || duration.value <= 0) {
    return undefined;
  }
  const factor = { min: 1 / 60, h: 1, d: 24 }[duration.code ?? duration.unit ?? ''];
  return factor === undefined ? undefined : duration.value * factor;
}

/** The programme's device rules (defaults without a programme or without the extensions). */
export function readDeviceRules(programme: PlanDefinition | undefined): DeviceRules {
  const minimumFirmware = new Map<string, string>();
  for (const extension of programme?.extension ?? []) {
    if (extension.url !== MINIMUM_FIRMWARE_EXTENSION) {
      continue;
    }
    const model = extension.extension?.find((e) => e.url === 'model')?.valueString;
    const version = extension.extension?.find((e) => e.url === 'version')?.valueString;
    if (model && version) {
      minimumFirmware.set(model, version);
    }
  }
  const limit = hoursOf(programme?.extension?.find((e) => e.url === SILENCE_LIMIT_EXTENSION)?.valueDuration);
  return { silenceLimitHours: limit ?? DEFAULT_SILENCE_LIMIT_HOURS, minimumFirmware };
}

/** The device's firmware version (`Device.version` typed MDC 531976). */
export function firmwareOf(device: Device): string | undefined {
  return device.version?.find((v) => v.type?.coding?.some((c) => c.system === MDC_SYSTEM && c.code === MDC_FIRMWARE))
    ?.value;
}

/** How a device is named in an alert: manufacturer, model and serial number, as far as known. */
export function describeDevice(device: Device): string {
  const name = [device.manufacturer, device.modelNumber ?? device.deviceName?.[0]?.name].filter(Boolean).join(' ');
  const serial = device.serialNumber ? ` (serial ${device.serialNumber})` : '';
  return `${name || `Device/${device.id}`}${serial}`;
}

/** "3 days 4 hours", "5 hours", "40 minutes". */
export function formatHours(hours: number): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (hours < 1) {
    return plural(Math.max(1, Math.round(hours * 60)), 'minute');
  }
  const days = Math.floor(hours / 24);
  const rest = Math.floor(hours - days * 24);
  return [days ? plural(days, 'day') : '', rest ? plural(rest, 'hour') : ''].filter(Boolean).join(' ') || '0 hours';
}

export type DeviceFinding =
  { rule: 'device-silent'; explanation: string } | { rule: 'device-firmware-outdated'; explanation: string };

/**
 * What is wrong with one assigned device at `now`: silent when its last contact (the newest reading received, or for
 * a device that never sent one, when it was assigned) is older than the limit; outdated when the programme names a
 * minimum for its model and its firmware is older (a version that cannot be compared is not judged).
 */
export function checkDevice(
  device: Device,
  lastContact: Date | undefined,
  rules: DeviceRules,
  now: Date
): DeviceFinding[] {
  const findings: DeviceFinding[] = [];
  const name = describeDevice(device);
  if (lastContact) {
    const silentHours = (now.getTime() - lastContact.getTime()) / 3_600_000;
    if (silentHours > rules.silenceLimitHours) {
      findings.push({
        rule: 'device-silent',
        explanation:
          `The ${name} assigned to this patient has sent nothing for ${formatHours(silentHours)} (since ` +
          `${lastContact.toISOString().slice(0, 16).replace('T', ' ')} UTC; the limit is ` +
          `${formatHours(rules.silenceLimitHours)}): check the device, its batteries and its connection with the patient`,
      });
    }
  }
  const minimum = device.modelNumber ? rules.minimumFirmware.get(device.modelNumber) : undefined;
  const firmware = firmwareOf(device);
  if (minimum && firmware && isOlderThan(firmware, minimum)) {
    findings.push({
      rule: 'device-firmware-outdated',
      explanation:
        `The ${name} assigned to this patient runs firmware ${firmware}, older than the programme's minimum ` +
        `${minimum} for this model: update its firmware or replace the device`,
    });
  }
  return findings;
}
