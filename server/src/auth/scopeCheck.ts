// The one check of whether a caller's SMART scopes allow a FHIR interaction on a resource type (403 otherwise).
import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { RequestHandler } from 'express';
import { getCaller, sendBearerChallenge, type Caller } from './authenticate.ts';
import { scopesAllow, scopesFor, type Interaction } from './smartScopes.ts';

/**
 * Whether the caller's scopes allow the interaction on the type at all: `system/` scopes for system tokens; `patient/`
 * and `user/` scopes for user tokens, whose reach over single resources the access policy decides (server/src/access).
 */
export function callerMay(caller: Caller, resourceType: string, interaction: Interaction): boolean {
  if (caller.subject !== undefined) {
    return scopesFor(caller.scopes, ['patient', 'user'], resourceType, interaction).length > 0;
  }
  return scopesAllow(caller.scopes, resourceType, interaction);
}

function refusal(resourceType: string, interaction: Interaction): string {
  return `The access token's scopes do not allow ${interaction} on ${resourceType}`;
}

/** A 403 OperationOutcome (its id makes @medplum/core's getStatus answer 403). */
export function forbiddenOutcome(resourceType: string, interaction: Interaction): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'forbidden',
    issue: [{ severity: 'error', code: 'forbidden', details: { text: refusal(resourceType, interaction) } }],
  };
}

/** Throws OperationOutcomeError (403) unless the caller may; for code that reports errors by throwing. */
export function assertCallerMay(caller: Caller, resourceType: string, interaction: Interaction): void {
  if (!callerMay(caller, resourceType, interaction)) {
    throw new OperationOutcomeError(forbiddenOutcome(resourceType, interaction));
  }
}

/**
 * Express middleware answering 403 (OperationOutcome, `WWW-Authenticate: Bearer error="insufficient_scope"`)
 * unless the authenticated caller may perform `interaction` on the resource type: `resourceType`, else the
 * route's `:resourceType` parameter, else the first segment of the path below the mount point.
 */
export function createRequireScope(realm: string) {
  return function requireScope(interaction: Interaction, resourceType?: string): RequestHandler {
    return (req, res, next) => {
      const param = req.params?.resourceType;
      const type = resourceType ?? (typeof param === 'string' ? param : req.path.split('/').find(Boolean)) ?? '';
      if (callerMay(getCaller(res), type, interaction)) {
        next();
        return;
      }
      sendBearerChallenge(res, realm, 403, 'insufficient_scope', refusal(type, interaction));
    };
  };
}
