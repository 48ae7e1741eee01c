// Checks a Subscription before it is stored (criteria, channel, endpoint, owner) and activates a requested one.
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Subscription } from '@medplum/fhirtypes';
import { forbiddenBecause } from '../access/checkType.ts';
import { isUserToken } from '../access/grants.ts';
import { OWNER_TAG_SYSTEM } from '../access/typeRules.ts';
import type { Caller } from '../auth/authenticate.ts';
import { parseSubscriptionCriteria } from './subscriptionCriteria.ts';

const BOT_ENDPOINT = /^Bot\/[A-Za-z0-9\-.]{1,64}$/;
const HEADER = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*$/;

/**
 * What the server does with a Subscription it accepts: `requested` becomes `active` (R4: the server activates it);
 * `off` and `error` stay as they are. Throws a 400 OperationOutcome naming the problem. A user other than an admin
 * may write only websocket Subscriptions (403 otherwise: a rest-hook would send data elsewhere without the per-message
 * access check a socket gets), and what they write is tagged as theirs (access/typeRules.ts OWNER_TAG_SYSTEM).
 */
export function prepareSubscription(subscription: Subscription, caller?: Caller): Subscription {
  parseSubscriptionCriteria(subscription);
  const owned = caller && isUserToken(caller) && caller.role !== 'admin' ? ownedBy(subscription, caller) : subscription;
  const channel = subscription.channel;
  switch (channel?.type) {
    case 'rest-hook': {
      const endpoint = channel.endpoint ?? '';
      if (!BOT_ENDPOINT.test(endpoint) && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
        throw new OperationOutcomeError(
          badRequest(
            'A rest-hook channel needs an http(s) endpoint, or Bot/<id> to run a bot',
            'Subscription.channel.endpoint'
          )
        );
      }
      for (const header of channel.header ?? []) {
        if (!HEADER.test(header)) {
          throw new OperationOutcomeError(
            badRequest(
              `Channel headers are "Name: value" lines, got "${header.slice(0, 80)}"`,
              'Subscription.channel.header'
            )
          );
        }
      }
      if (channel.payload && !['application/fhir+json', 'application/json'].includes(channel.payload)) {
        throw new OperationOutcomeError(
          badRequest('channel.payload must be application/fhir+json (or absent for an empty notification)')
        );
      }
      break;
    }
    case 'websocket':
      break;
    default:
      throw new OperationOutcomeError(
        badRequest(
          `Unsupported channel type "${String(channel?.type)}": use rest-hook or websocket`,
          'Subscription.channel.type'
        )
      );
  }
  return owned.status === 'requested' ? { ...owned, status: 'active' } : owned;
}

/** A user's own websocket Subscription, tagged with their account (any owner tag the client sent is replaced). */
function ownedBy(subscription: Subscription, caller: Caller): Subscription {
  if (subscription.channel?.type !== 'websocket') {
    throw new OperationOutcomeError(
      forbiddenBecause('Users may create websocket Subscriptions only; rest-hook Subscriptions are for administrators')
    );
  }
  const tags = (subscription.meta?.tag ?? []).filter((t) => t.system !== OWNER_TAG_SYSTEM);
  return {
    ...subscription,
    meta: { ...subscription.meta, tag: [...tags, { system: OWNER_TAG_SYSTEM, code: caller.subject }] },
  };
}
