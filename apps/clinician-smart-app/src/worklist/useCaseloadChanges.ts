// Live caseload: once the worklist has loaded, the clinician's own care teams are followed on a second live channel.
import type { MedplumClient } from '@medplum/core';
import { useEffect, useMemo, useRef } from 'react';
import { careTeamCriteria, useLiveUpdates } from './useLiveUpdates.ts';

/**
 * While enabled (the worklist has its rows): a change to one of the Practitioner's care teams, a break in the
 * connection, and the first moment the channel is live each call `onMaybeChanged`, which checks the caseload (one
 * light search) and reloads it if its patients changed. Opening this channel only after the first load keeps its
 * requests off the load's critical path; the check when it first goes live covers a change made in between.
 */
export function useCaseloadChanges(
  medplum: MedplumClient,
  enabled: boolean,
  fhirUser: string | undefined,
  onMaybeChanged: () => void
): void {
  const criteria = useMemo(() => careTeamCriteria(fhirUser), [fhirUser]);
  const latest = useRef(onMaybeChanged);
  latest.current = onMaybeChanged;
  const state = useLiveUpdates(
    medplum,
    enabled && criteria.length > 0,
    { onEvents: () => latest.current(), onMissed: () => latest.current() },
    criteria
  );
  const checked = useRef(false);
  useEffect(() => {
    if (state === 'live' && !checked.current) {
      checked.current = true;
      latest.current();
    }
  }, [state]);
}
