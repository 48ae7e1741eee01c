// Worker thread that generates and serialises Observation transaction bundles, so JSON work stays off the sender's thread.
import { parentPort, workerData } from 'node:worker_threads';
import { bundleSlices } from './bundlePlan.ts';
import { patientReadings, type MonitoredPatient, type ReadingPlan } from './generateObservations.ts';
import { transactionBundle } from './transactionBundle.ts';

export interface BundleWorkerInput {
  plan: ReadingPlan;
  patients: MonitoredPatient[];
  bundleSize: number;
}

/** A serialised bundle ready to POST. */
export interface PreparedBundle {
  body: string;
  entries: number;
}

export type BundleWorkerRequest = { type: 'pull'; count: number };
export type BundleWorkerReply = { type: 'bundles'; bundles: PreparedBundle[]; done: boolean };

if (parentPort) {
  const port = parentPort;
  const input = workerData as BundleWorkerInput;
  const slices = bundleSlices(input.patients, input.plan.perPatient, input.bundleSize);
  let next = 0;
  port.on('message', (request: BundleWorkerRequest) => {
    const bundles: PreparedBundle[] = [];
    for (let i = 0; i < request.count && next < slices.length; i++, next++) {
      const slice = slices[next];
      const readings = patientReadings(input.plan, slice.patient, slice.from, slice.to);
      bundles.push({ body: JSON.stringify(transactionBundle(readings)), entries: readings.length });
    }
    const reply: BundleWorkerReply = { type: 'bundles', bundles, done: next >= slices.length };
    port.postMessage(reply);
  });
}
