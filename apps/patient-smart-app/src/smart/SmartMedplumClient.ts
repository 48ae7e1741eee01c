// A MedplumClient whose signed-in user comes from the SMART launch (fhirUser), not from Medplum's own /auth/me.
import { MedplumClient, type ProfileResource } from '@medplum/core';

/**
 * MedplumClient learns its user ("profile") from Medplum's `auth/me`, which a SMART server does not have; its
 * websocket Subscriptions and @medplum/react components wait for a profile. Here it is the launch's fhirUser resource.
 */
export class SmartMedplumClient extends MedplumClient {
  private user: ProfileResource | undefined;

  setUser(user: ProfileResource | undefined): void {
    this.user = user;
  }

  override getProfile(): ProfileResource | undefined {
    return this.user;
  }
}
