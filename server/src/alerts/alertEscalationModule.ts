// The background module that runs the escalation sweep every minute on whichever instance picks the job up.
import type { BackgroundDeps, BackgroundModule } from '../background.ts';
import { escalateDueAlerts, type EscalationSweepReport } from './escalateDueAlerts.ts';

export const ESCALATION_TASK = 'escalate-alerts';

function logReport(report: EscalationSweepReport): void {
  for (const done of report.escalated) {
    console.log(
      `[alerts] escalated ${done.alert} level ${done.level}: ${done.tasks.join(', ')}, ${done.notifications} notification(s)`
    );
  }
  for (const warning of report.warnings) {
    console.warn(`[alerts] ${warning}`);
  }
  for (const failure of report.failures) {
    console.error(`[alerts] could not escalate ${failure.alert}: ${failure.error}`);
  }
}

/**
 * A recurring job every minute (graphile-worker cron, one job per minute across instances) whose handler runs
 * escalateDueAlerts as the server (deps.systemRepo) at the time it runs. A failed search throws, so the queue retries;
 * failures on single alerts are logged and retried on the next run.
 */
export function alertEscalationModule(deps: BackgroundDeps): BackgroundModule {
  return {
    recurring: [{ task: ESCALATION_TASK, pattern: '* * * * *', identifier: ESCALATION_TASK }],
    tasks: {
      [ESCALATION_TASK]: async () => {
        logReport(await escalateDueAlerts(deps.systemRepo, new Date()));
      },
    },
  };
}
