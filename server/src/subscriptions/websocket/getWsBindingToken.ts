// Subscription/{id}/$get-ws-binding-token: a binding token for one websocket Subscription the caller may read.
import { allOk, badRequest, forbidden, OperationOutcomeError } from '@medplum/core';
import type { FhirRouteHandler, FhirRouter } from '@medplum/fhir-router';
import type { Parameters, Subscription } from '@medplum/fhirtypes';
import type { Db } from '../../db/pool.ts';
import { PostgresRepository } from '../../fhir/repository/postgresRepository.ts';
import { issueBindingToken } from './bindingTokens.ts';
import { isWebSocketSubscription } from './subscriptionChannel.ts';
import { subscriptionsWebSocketUrl } from './websocketUrl.ts';

export interface BindingTokenDeps {
  pool: Db;
  /** Public base URL (e.g. http://localhost:8103): the websocket URL is derived from it. */
  baseUrl: string;
}

/**
 * Reads the Subscription through the request's repository, so the caller's access applies (403 without a Subscription
 * read scope, 404 out of reach or missing, 410 deleted); 400 unless its channel is websocket. The token carries the
 * caller: a socket bound with it receives only what the caller may read.
 */
export function getWsBindingTokenOperation(deps: BindingTokenDeps): FhirRouteHandler {
  return async (req, repo) => {
    const subscription = await repo.readResource<Subscription>('Subscription', req.params.id);
    if (!isWebSocketSubscription(subscription)) {
      throw new OperationOutcomeError(
        badRequest(`Subscription/${subscription.id} has channel type ${subscription.channel?.type}, not websocket`)
      );
    }
    const caller = repo instanceof PostgresRepository ? repo.context.caller : undefined;
    if (!caller) {
      throw new OperationOutcomeError(forbidden); // A token without a caller would be bound to everything.
    }
    const { token, expiresAt } = await issueBindingToken(deps.pool, subscription.id, caller);
    const parameters: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'token', valueString: token },
        { name: 'expiration', valueDateTime: expiresAt.toISOString() },
        { name: 'subscription', valueString: `Subscription/${subscription.id}` },
        { name: 'websocket-url', valueUrl: subscriptionsWebSocketUrl(deps.baseUrl) },
      ],
    };
    return [allOk, parameters];
  };
}

/** GET|POST Subscription/:id/$get-ws-binding-token (interaction "operation"). */
export function registerWebSocketOperations(router: FhirRouter, deps: BindingTokenDeps): void {
  const handler = getWsBindingTokenOperation(deps);
  for (const method of ['GET', 'POST'] as const) {
    router.add(method, 'Subscription/:id/$get-ws-binding-token', handler, 'operation');
  }
}
