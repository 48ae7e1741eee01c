// The notification module: queues a send job for each pending notification Communication and sends it by email or SMS.
import type { BackgroundDeps, BackgroundModule } from '../background.ts';
import { closeChannels, notificationChannels } from './notificationChannels.ts';
import { loadNotificationConfig, type NotificationConfig } from './notificationConfig.ts';
import { notificationJobs, SEND_NOTIFICATION_TASK } from './notificationJobs.ts';
import { sendNotificationHandler } from './sendNotification.ts';

export { buildAlertNotification, notificationIdentifierQuery } from './buildNotification.ts';
export type { NotificationConfig } from './notificationConfig.ts';
export { loadNotificationConfig } from './notificationConfig.ts';
export { SEND_NOTIFICATION_TASK } from './notificationJobs.ts';
export { saveNotification } from './saveNotification.ts';

/**
 * Background module of notifications. `config` defaults to the RPM_SMTP_URL / RPM_NOTIFY_* environment variables
 * (see README.md); tests pass their own.
 */
export function notificationModule(
  deps: Pick<BackgroundDeps, 'systemRepo'>,
  config: NotificationConfig = loadNotificationConfig()
): BackgroundModule {
  const channels = notificationChannels(config);
  return {
    onChange: notificationJobs(config.maxAttempts),
    tasks: { [SEND_NOTIFICATION_TASK]: sendNotificationHandler({ repo: deps.systemRepo, channels }) },
    close: () => closeChannels(channels),
  };
}
