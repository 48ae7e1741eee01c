// Live worklist: websocket Subscriptions to alerts and readings (where the server offers them) trigger a quiet reload.
import type { MedplumClient } from '@medplum/core';
import { useEffect, useRef, useState } from 'react';

/** What the worklist listens to: any change to an alert or an Observation the user may read. */
export const LIVE_CRITERIA = ['DetectedIssue', 'Observation'];

/** Several events in a burst (a reading, its NEWS2, an alert) cause one reload. */
const DEBOUNCE_MS = 1_500;

export type LiveState = 'off' | 'connecting' | 'live' | 'unavailable';

/**
 * Subscribes (MedplumClient.subscribeToCriteria: a Subscription with channel websocket, a binding token, one socket)
 * while mounted and calls `onChange` after notifications; unsubscribes on unmount. Servers without them: 'unavailable'.
 */
export function useLiveUpdates(medplum: MedplumClient, enabled: boolean, onChange: () => void): LiveState {
  const [state, setState] = useState<LiveState>(enabled ? 'connecting' : 'off');
  const callback = useRef(onChange);
  callback.current = onChange;

  useEffect(() => {
    if (!enabled) {
      return undefined;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const changed = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => callback.current(), DEBOUNCE_MS);
    };
    const connected = (): void => setState('live');
    const failed = (): void => setState('unavailable');
    const emitters = LIVE_CRITERIA.map((criteria) => {
      const emitter = medplum.subscribeToCriteria(criteria);
      emitter.addEventListener('message', changed);
      emitter.addEventListener('connect', connected);
      emitter.addEventListener('error', failed);
      return { criteria, emitter };
    });
    return () => {
      clearTimeout(timer);
      for (const { criteria, emitter } of emitters) {
        emitter.removeEventListener('message', changed);
        emitter.removeEventListener('connect', connected);
        emitter.removeEventListener('error', failed);
        medplum.unsubscribeFromCriteria(criteria);
      }
    };
  }, [medplum, enabled]);
  return state;
}
