// A paired Device kept up to date: what the device reports now (firmware after an update) replaces what was stored.
import type { Device, DeviceVersion } from '@medplum/fhirtypes';

const versionKind = (version: DeviceVersion): string =>
  (version.type?.coding ?? []).map((c) => `${c.system ?? ''}|${c.code ?? ''}`).join(',');

/**
 * The stored Device with the details the device gave in this reading, or undefined when nothing changed. Versions
 * are replaced kind by kind (a new firmware replaces the stored firmware; a kind the device did not report stays);
 * maker, model and serial are filled only where the stored Device has none. Identifiers, holder and status are
 * the server's and stay as stored.
 */
export function deviceWithReportedDetails(stored: Device, reported: Device): Device | undefined {
  const versions = [...(stored.version ?? [])];
  let changed = false;
  for (const version of reported.version ?? []) {
    const index = versions.findIndex((v) => versionKind(v) === versionKind(version));
    if (index === -1) {
      versions.push(version);
      changed = true;
    } else if (versions[index].value !== version.value) {
      versions[index] = version;
      changed = true;
    }
  }
  const filled: Partial<Device> = {};
  for (const field of ['manufacturer', 'modelNumber', 'serialNumber'] as const) {
    if (!stored[field] && reported[field]) {
      filled[field] = reported[field];
      changed = true;
    }
  }
  return changed ? { ...stored, ...filled, ...(versions.length > 0 ? { version: versions } : {}) } : undefined;
}
