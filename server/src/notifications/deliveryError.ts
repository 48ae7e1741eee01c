// The error a sender throws when a message was not accepted, saying whether trying again could ever succeed.

/** A failed send. `permanent`: retrying the same message will not help (bad address, rejected by the provider). */
export class DeliveryError extends Error {
  readonly permanent: boolean;

  constructor(message: string, permanent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryError';
    this.permanent = permanent;
  }
}

/** Any error as a DeliveryError; errors the senders did not classify are presumed temporary. */
export function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DeliveryError(message, false, { cause: error });
}
