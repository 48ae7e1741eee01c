// Live worklist: websocket Subscriptions to alerts and readings (where the server offers them) report what changed.
import type { MedplumClient } from '@medplum/core';
import { useEffect, useRef, useState } from 'react';
import { openLiveChannel, type ChannelState, type LiveEvent } from './liveChannel.ts';

/** What the worklist listens to: any change to an alert or an Observation the user may read. */
export const LIVE_CRITERIA = ['DetectedIssue', 'Observation'];

/** Several events in a burst (a reading, its NEWS2, an alert) are handled together. */
const DEBOUNCE_MS = 500;

export type LiveState = 'off' | ChannelState;

export interface LiveHandlers {
  /** A burst of notified changes. */
  onEvents(events: LiveEvent[]): void;
  /** After a break in the connection: anything may have changed meanwhile. */
  onMissed(): void;
}

/**
 * While mounted and enabled: the user's websocket Subscriptions (reused from an earlier launch, else created),
 * bound on one socket; notifications go to `onEvents` in short bursts. Servers without them: 'unavailable'.
 */
export function useLiveUpdates(
  medplum: MedplumClient,
  enabled: boolean,
  handlers: LiveHandlers,
  /** The patient view adds `Communication` (messages); the same Subscriptions are reused across screens. */
  criteria: readonly string[] = LIVE_CRITERIA
): LiveState {
  const [state, setState] = useState<LiveState>(enabled ? 'connecting' : 'off');
  const current = useRef(handlers);
  current.current = handlers;

  useEffect(() => {
    if (!enabled) {
      return undefined;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pending: LiveEvent[] = [];
    const close = openLiveChannel(medplum, criteria, {
      onEvents: (events) => {
        pending.push(...events);
        clearTimeout(timer);
        timer = setTimeout(() => {
          const batch = pending;
          pending = [];
          current.current.onEvents(batch);
        }, DEBOUNCE_MS);
      },
      onState: setState,
      onReconnected: () => current.current.onMissed(),
    });
    return () => {
      clearTimeout(timer);
      close();
    };
    // Keyed by the criteria's contents, not the array's identity.
  }, [medplum, enabled, criteria.join(' ')]);
  return state;
}
