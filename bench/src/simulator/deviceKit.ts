// The simulated devices each patient has at home: pulse oximeter, blood pressure monitor, thermometer and scale.
import type { Device } from '@medplum/fhirtypes';
import {
  EUI64_SYSTEM,
  MDC_SPECIALISATIONS,
  MDC_SYSTEM,
  MDC_VERSION_TYPES,
} from '../../../server/src/devices/phdGatewayBundle.ts';

export type DeviceKind = 'pulse-oximeter' | 'blood-pressure-monitor' | 'thermometer' | 'weighing-scale';

export const DEVICE_KINDS: readonly DeviceKind[] = [
  'pulse-oximeter',
  'blood-pressure-monitor',
  'thermometer',
  'weighing-scale',
];

export interface SimulatedDevice {
  kind: DeviceKind;
  eui64: string;
  device: Device;
}

const MODELS: Record<DeviceKind, { code: string; kindByte: string; model: string; firmware: string[] }> = {
  'pulse-oximeter': {
    code: MDC_SPECIALISATIONS.pulseOximeter,
    kindByte: '01',
    model: 'SimOx 300',
    firmware: ['1.2.0', '2.0.3', '2.1.0'],
  },
  'blood-pressure-monitor': {
    code: MDC_SPECIALISATIONS.bloodPressureMonitor,
    kindByte: '02',
    model: 'SimCuff BP7',
    firmware: ['3.4.1', '4.0.0'],
  },
  thermometer: { code: MDC_SPECIALISATIONS.thermometer, kindByte: '03', model: 'SimTemp E2', firmware: ['1.0.9'] },
  'weighing-scale': {
    code: MDC_SPECIALISATIONS.weighingScale,
    kindByte: '04',
    model: 'SimScale 150',
    firmware: ['0.9.8', '1.1.2'],
  },
};

/**
 * A device's EUI-64: locally administered (02), the kind, a fixed "5100" marker and the patient's index, so a
 * simulator run against the same server finds the same devices again.
 */
export function simulatedEui64(kind: DeviceKind, patientIndex: number): string {
  return `02${MODELS[kind].kindByte}5100${patientIndex.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The four devices of the index-th simulated patient. */
export function deviceKit(patientIndex: number): SimulatedDevice[] {
  return DEVICE_KINDS.map((kind) => {
    const model = MODELS[kind];
    const eui64 = simulatedEui64(kind, patientIndex);
    const device: Device = {
      resourceType: 'Device',
      identifier: [{ system: EUI64_SYSTEM, value: eui64 }],
      status: 'active',
      manufacturer: 'RPM Device Simulator',
      modelNumber: model.model,
      serialNumber: `SIM-${eui64.slice(2, 4)}-${String(patientIndex).padStart(6, '0')}`,
      specialization: [{ systemType: { coding: [{ system: MDC_SYSTEM, code: model.code }] } }],
      version: [
        {
          type: { coding: [{ system: MDC_SYSTEM, code: MDC_VERSION_TYPES.firmware }] },
          value: model.firmware[patientIndex % model.firmware.length],
        },
        { type: { coding: [{ system: MDC_SYSTEM, code: MDC_VERSION_TYPES.hardware }] }, value: 'A' },
      ],
    };
    return { kind, eui64, device };
  });
}
