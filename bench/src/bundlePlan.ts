// The order readings are uploaded in: one bundle per patient per time slice, patients round-robin (as live RPM traffic).
import type { MonitoredPatient } from './generateObservations.ts';

/** One transaction bundle's worth of work: readings [from, to) of one patient. */
export interface BundleSlice {
  patient: MonitoredPatient;
  from: number;
  to: number;
}

/** All slices, oldest readings first, every patient's slice c before anyone's slice c+1. */
export function bundleSlices(patients: MonitoredPatient[], perPatient: number, bundleSize: number): BundleSlice[] {
  const slices: BundleSlice[] = [];
  for (let from = 0; from < perPatient; from += bundleSize) {
    const to = Math.min(perPatient, from + bundleSize);
    for (const patient of patients) {
      slices.push({ patient, from, to });
    }
  }
  return slices;
}
