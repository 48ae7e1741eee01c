// The messages a websocket client sends (Medplum's protocol): ping, bind-with-token, unbind-from-token.
import type { OperationOutcome } from '@medplum/fhirtypes';

export type ClientMessage =
  { type: 'ping' } | { type: 'bind-with-token'; token: string } | { type: 'unbind-from-token'; token: string };

/** The message, or the reason it is not one (sent back to the client as an OperationOutcome). */
export function parseClientMessage(text: string): ClientMessage | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'The message is not JSON' };
  }
  const message = value as { type?: unknown; payload?: { token?: unknown } } | null;
  if (!message || typeof message !== 'object' || typeof message.type !== 'string') {
    return { error: 'The message must be a JSON object with a "type"' };
  }
  if (message.type === 'ping') {
    return { type: 'ping' };
  }
  if (message.type === 'bind-with-token' || message.type === 'unbind-from-token') {
    const token = message.payload?.token;
    if (typeof token !== 'string' || token === '') {
      return { error: `"${message.type}" needs payload.token, a binding token from $get-ws-binding-token` };
    }
    return { type: message.type, token };
  }
  return {
    error: `Unknown message type "${message.type.slice(0, 50)}": expected ping, bind-with-token or unbind-from-token`,
  };
}

/** An error sent on the socket (the socket stays open). */
export function errorOutcome(
  text: string,
  code: 'invalid' | 'security' | 'not-found' | 'too-costly' | 'exception' = 'invalid'
): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}
