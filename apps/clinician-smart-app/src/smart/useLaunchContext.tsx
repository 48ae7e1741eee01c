// The SMART launch context (user, launch patient, banner preference) for any component that needs it.
import { createContext, useContext } from 'react';
import type { LaunchContext } from './smartSession.ts';

const Context = createContext<LaunchContext>({ needPatientBanner: true });

export const LaunchContextProvider = Context.Provider;

export function useLaunchContext(): LaunchContext {
  return useContext(Context);
}
