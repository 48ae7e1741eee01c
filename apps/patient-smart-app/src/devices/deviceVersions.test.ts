// Which Device details a new reading updates: versions kind by kind, missing maker/model/serial; nothing else.
import type { Device } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { MDC_VERSION_TYPES } from './deviceResource.ts';
import { deviceWithReportedDetails } from './deviceVersions.ts';

const MDC = 'urn:iso:std:iso:11073:10101';
const version = (kind: keyof typeof MDC_VERSION_TYPES, value: string) => ({
  type: { coding: [{ system: MDC, code: MDC_VERSION_TYPES[kind] }] },
  value,
});

const stored: Device = {
  resourceType: 'Device',
  id: 'd1',
  identifier: [{ system: 'http://rpm-platform.org/fhir/identifier/web-bluetooth-device', value: 'bt-1' }],
  manufacturer: 'Acme',
  modelNumber: 'BP-700',
  patient: { reference: 'Patient/p1' },
  version: [version('firmware', '2.4.1'), version('hardware', 'B')],
};

describe('deviceWithReportedDetails', () => {
  test('the same details: nothing to update', () => {
    expect(deviceWithReportedDetails(stored, { ...stored, id: undefined })).toBeUndefined();
    expect(deviceWithReportedDetails(stored, { resourceType: 'Device' })).toBeUndefined();
  });

  test('new firmware replaces the stored firmware; the hardware version the device did not report stays', () => {
    const updated = deviceWithReportedDetails(stored, {
      resourceType: 'Device',
      version: [version('firmware', '3.0.0')],
    });
    expect(updated?.version).toEqual([version('firmware', '3.0.0'), version('hardware', 'B')]);
    expect(updated?.id).toBe('d1');
    expect(updated?.patient).toEqual({ reference: 'Patient/p1' });
    expect(updated?.identifier).toEqual(stored.identifier);
  });

  test('a kind not stored yet is added; a missing serial number is filled, a stored maker is not replaced', () => {
    const updated = deviceWithReportedDetails(stored, {
      resourceType: 'Device',
      manufacturer: 'Other',
      serialNumber: 'SN-9',
      version: [version('software', '1.1')],
    });
    expect(updated?.manufacturer).toBe('Acme');
    expect(updated?.serialNumber).toBe('SN-9');
    expect(updated?.version).toContainEqual(version('software', '1.1'));
    expect(updated?.version).toHaveLength(3);
  });
});
