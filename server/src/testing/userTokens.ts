// Test helper: issues a user access token (account, scopes, fhirUser, role, launch patient) straight from the provider.
import type { TokenContext } from '../auth/authenticate.ts';
import type { RunningServer } from '../server.ts';
import { TEST_ADMIN } from './testServer.ts';

export interface UserTokenRequest extends TokenContext {
  /** The account id (token `sub`); any string for tests that need no account row. */
  accountId: string;
  /** Space-separated SMART scopes, e.g. 'patient/*.rs' or 'user/Observation.cruds'. */
  scope: string;
  /** Defaults to the admin client, which exists in every test server. */
  clientId?: string;
}

/**
 * An opaque access token as the authorization-code flow would issue it, without driving the browser flow: for tests
 * of what a token may do, not of how it is obtained.
 */
export async function issueUserToken(server: RunningServer, request: UserTokenRequest): Promise<string> {
  const { accountId, scope, clientId, ...context } = request;
  const provider = server.auth.provider;
  const client = await provider.Client.find(clientId ?? TEST_ADMIN.clientId);
  if (!client) {
    throw new Error(`No client ${clientId}`);
  }
  const token = new provider.AccessToken({
    accountId,
    client,
    scope,
    aud: server.fhirBaseUrl,
    extra: { ...context },
    gty: 'authorization_code',
    grantId: `test-grant-${accountId}`,
  } as ConstructorParameters<typeof provider.AccessToken>[0]);
  return token.save();
}
