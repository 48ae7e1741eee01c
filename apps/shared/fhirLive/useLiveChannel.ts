// React hook for both SMART apps: while mounted and enabled, the live channel's changes in short bursts, and its state.
import type { MedplumClient } from '@medplum/core';
import { useEffect, useRef, useState } from 'react';
import { openLiveChannel, type ChannelState, type LiveEvent } from './liveChannel.ts';

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
 * While mounted and enabled: the user's websocket Subscriptions for `criteria` (reused from an earlier launch, else
 * created with `reason`), bound on one socket; notifications go to `onEvents` in short bursts. Servers without them:
 * 'unavailable'.
 */
export function useLiveChannel(
  medplum: MedplumClient,
  enabled: boolean,
  handlers: LiveHandlers,
  criteria: readonly string[],
  reason: string
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
    const close = openLiveChannel(
      medplum,
      criteria,
      {
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
      },
      { reason }
    );
    return () => {
      clearTimeout(timer);
      close();
    };
    // Keyed by the criteria's contents, not the array's identity.
  }, [medplum, enabled, criteria.join(' '), reason]);
  return state;
}
