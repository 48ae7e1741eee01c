// SMART on FHIR resource scopes (v1 `read`/`write`/`*` and v2 `cruds`): parsing, coverage and interaction checks.

export type ScopeContext = 'patient' | 'user' | 'system';

/** A FHIR REST interaction as SMART v2 names it (c, r, u, d, s). vread and history count as read. */
export type Interaction = 'create' | 'read' | 'update' | 'delete' | 'search';

export interface SmartScope {
  context: ScopeContext;
  /** A resource type name, or '*' for every type. */
  resourceType: string;
  /** The permitted interactions, v1 permissions mapped to their v2 letters. */
  interactions: ReadonlySet<Interaction>;
  /** A v2 granular restriction such as `category=vital-signs`, when present. */
  query?: string;
}

const SCOPE_PATTERN = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]+)(?:\?(.+))?$/;

const LETTERS: ReadonlyArray<[string, Interaction]> = [
  ['c', 'create'],
  ['r', 'read'],
  ['u', 'update'],
  ['d', 'delete'],
  ['s', 'search'],
];

const V1_PERMISSIONS: Readonly<Record<string, Interaction[]>> = {
  read: ['read', 'search'],
  write: ['create', 'update', 'delete'],
  '*': ['create', 'read', 'update', 'delete', 'search'],
};

/** v2 letters must appear at most once each, in the order c r u d s. */
function parseV2Permissions(permissions: string): Interaction[] | undefined {
  const interactions: Interaction[] = [];
  let position = 0;
  for (const char of permissions) {
    const index = LETTERS.findIndex(([letter], i) => i >= position && letter === char);
    if (index === -1) {
      return undefined;
    }
    interactions.push(LETTERS[index][1]);
    position = index + 1;
  }
  return interactions.length > 0 ? interactions : undefined;
}

/** Parses one SMART resource scope; undefined for anything else (openid, launch, malformed strings...). */
export function parseSmartScope(scope: string): SmartScope | undefined {
  const match = SCOPE_PATTERN.exec(scope);
  if (!match) {
    return undefined;
  }
  const [, context, resourceType, permissions, query] = match;
  const v1 = Object.hasOwn(V1_PERMISSIONS, permissions) ? V1_PERMISSIONS[permissions] : undefined;
  // v1 permissions never carry a granular query.
  if (v1 && query !== undefined) {
    return undefined;
  }
  const interactions = v1 ?? parseV2Permissions(permissions);
  if (!interactions) {
    return undefined;
  }
  return {
    context: context as ScopeContext,
    resourceType,
    interactions: new Set(interactions),
    ...(query ? { query } : {}),
  };
}

/** Splits a space-separated scope string, dropping empty parts. */
export function splitScopes(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter(Boolean);
}

/** True when `allowed` grants everything `requested` asks for (same context, type and query, no extra interactions). */
export function scopeCovers(allowed: SmartScope, requested: SmartScope): boolean {
  if (allowed.context !== requested.context) {
    return false;
  }
  if (allowed.resourceType !== '*' && allowed.resourceType !== requested.resourceType) {
    return false;
  }
  if (allowed.query !== undefined && allowed.query !== requested.query) {
    return false;
  }
  for (const interaction of requested.interactions) {
    if (!allowed.interactions.has(interaction)) {
      return false;
    }
  }
  return true;
}

/** True when one of the allowed scope strings covers the requested scope string. */
export function isScopeAllowed(allowedScopes: readonly string[], requestedScope: string): boolean {
  const requested = parseSmartScope(requestedScope);
  if (!requested) {
    return false;
  }
  return allowedScopes.some((value) => {
    const allowed = parseSmartScope(value);
    return allowed !== undefined && scopeCovers(allowed, requested);
  });
}

/**
 * The granted scopes of the given contexts that allow an interaction on a type (`*` as the type: on some type),
 * granular ones included: what they reach is decided by the access policy (server/src/access).
 */
export function scopesFor(
  grantedScopes: readonly string[],
  contexts: readonly ScopeContext[],
  resourceType: string,
  interaction: Interaction
): SmartScope[] {
  const found: SmartScope[] = [];
  for (const value of grantedScopes) {
    const scope = parseSmartScope(value);
    if (
      scope !== undefined &&
      contexts.includes(scope.context) &&
      (scope.resourceType === '*' || resourceType === '*' || scope.resourceType === resourceType) &&
      scope.interactions.has(interaction)
    ) {
      found.push(scope);
    }
  }
  return found;
}

/**
 * Whether granted scopes permit an interaction on every resource of a type: only `system/` scopes without a
 * granular query do. `user/` and `patient/` scopes reach some resources only, which the access policy
 * (server/src/access) decides per resource and per search.
 */
export function scopesAllow(grantedScopes: readonly string[], resourceType: string, interaction: Interaction): boolean {
  return grantedScopes.some((value) => {
    const scope = parseSmartScope(value);
    return (
      scope !== undefined &&
      scope.context === 'system' &&
      scope.query === undefined &&
      (scope.resourceType === '*' || scope.resourceType === resourceType) &&
      scope.interactions.has(interaction)
    );
  });
}
