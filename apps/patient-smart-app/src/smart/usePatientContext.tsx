// The signed-in patient (id and reference) for any screen: every read and write is about this patient only.
import { createContext, useContext } from 'react';
import type { LaunchContext } from './smartSession.ts';

const Context = createContext<LaunchContext | undefined>(undefined);

export const PatientContextProvider = Context.Provider;

export interface PatientContext extends LaunchContext {
  /** `Patient/<id>`, for subject and search parameters. */
  patientReference: string;
}

export function usePatientContext(): PatientContext {
  const context = useContext(Context);
  if (!context) {
    throw new Error('usePatientContext outside PatientContextProvider');
  }
  return { ...context, patientReference: `Patient/${context.patientId}` };
}
