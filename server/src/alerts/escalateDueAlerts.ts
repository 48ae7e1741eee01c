// The escalation sweep: every open, unacknowledged alert whose policy levels are due gets its Tasks, notifications and mitigation.
import type { SearchRequest, WithId } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { alertSeverity, SEVERITY_WORDS } from './alertCodes.ts';
import { alertProgramme, isOpen } from './alertState.ts';
import { alertTaskIdentifier } from './alertTask.ts';
import { changeAlert } from './changeAlert.ts';
import { levelsForSeverity } from './defaultEscalationPolicy.ts';
import { dueEscalationLevels } from './dueLevels.ts';
import type { EscalationLevel } from './escalationPolicy.ts';
import { resolveEscalationTarget } from './escalationTargets.ts';
import { withMitigation } from './mitigation.ts';
import { ProgrammePolicies } from './programmePolicies.ts';
import { recordEscalation } from './recordEscalation.ts';

export interface EscalationSweepOptions {
  /**
   * Alerts not updated for longer than this are not looked at (default 48 h: twice the longest level delay allowed,
   * 24 h). Escalating, merging a new breach or acknowledging updates an alert, so this only drops alerts whose levels
   * are all done — unless the sweep did not run for that long.
   */
  lookbackHours?: number;
  /** Alerts per search page (default 500, at most 1000). */
  pageSize?: number;
  /** Only this patient's alerts ("Patient/<id>"): for tests, or a targeted re-run. */
  patient?: string;
}

export interface EscalationDone {
  alert: string;
  level: string;
  tasks: string[];
  notifications: number;
  warning?: string;
}

export interface EscalationSweepReport {
  /** Open alerts read. */
  examined: number;
  escalated: EscalationDone[];
  /** Policy problems and targets nobody could be found for. */
  warnings: string[];
  /** Alerts that could not be escalated this time (they are tried again on the next run). */
  failures: { alert: string; error: string }[];
}

const DEFAULT_LOOKBACK_HOURS = 48;
const DEFAULT_PAGE_SIZE = 500;

/**
 * One page of open alerts identified by `now` and updated within the lookback, in id order after `after` (ids are
 * time-ordered; no `_sort`: sorting by `identified` costs a probe per candidate, ≈20× the search).
 */
async function openAlertsPage(
  repo: FhirRepository,
  now: Date,
  options: Required<Omit<EscalationSweepOptions, 'patient'>> & Pick<EscalationSweepOptions, 'patient'>,
  after: string | undefined
): Promise<WithId<DetectedIssue>[]> {
  const { lookbackHours, pageSize, patient } = options;
  const search = parseSearchQuery('DetectedIssue', {
    ...(patient ? { patient } : {}),
    status: 'preliminary',
    identified: `le${now.toISOString()}`,
    _lastUpdated: `ge${new Date(now.getTime() - lookbackHours * 3_600_000).toISOString()}`,
    _count: String(pageSize),
    ...(after ? { _cursor: after } : {}),
    _total: 'none',
  }) as SearchRequest<DetectedIssue>;
  const bundle = await repo.search<DetectedIssue>(search);
  return (bundle.entry ?? []).map((e) => e.resource as WithId<DetectedIssue>);
}

function escalationWords(alert: DetectedIssue, level: EscalationLevel) {
  const words = SEVERITY_WORDS[alertSeverity(alert)];
  const minutes = `${level.afterMinutes} minute${level.afterMinutes === 1 ? '' : 's'}`;
  return {
    description: `Escalated ${words} alert: not acknowledged within ${minutes} (level ${level.key}): ${
      alert.code?.text ?? 'RPM alert'
    }`,
    message: {
      subject: 'RPM alert escalated to you',
      text: `A ${words} remote monitoring alert has not been acknowledged within ${minutes} and has been escalated to you. Please open the RPM app to review it.`,
    },
  };
}

/** Carries out the due levels of one alert in one transaction (re-deciding from the current version on each attempt). */
async function escalateAlert(
  repo: FhirRepository,
  id: string,
  policies: ProgrammePolicies,
  now: Date
): Promise<EscalationDone[]> {
  let done: EscalationDone[] = [];
  await changeAlert(repo, id, async (alert, tx) => {
    done = [];
    if (!isOpen(alert)) {
      return undefined;
    }
    const { levels } = levelsForSeverity(policies.levels(alertProgramme(alert)), alertSeverity(alert));
    const due = dueEscalationLevels(alert, levels, now);
    let next: DetectedIssue = alert;
    for (const level of due) {
      const target = await resolveEscalationTarget(tx, alert, level.target, now);
      const words = escalationWords(alert, level);
      const record = await recordEscalation(tx, {
        alert,
        owners: target.owners,
        taskIdentifier: (owner) =>
          alertTaskIdentifier('escalation', alert.id, level.key, owner.owner?.reference ?? 'unassigned'),
        now,
        description: words.description,
        mitigationText: `to ${target.owners.map((o) => o.owner?.reference ?? 'nobody').join(', ')} (not acknowledged within ${level.afterMinutes} min)`,
        message: words.message,
        levelKey: level.key,
      });
      next = withMitigation(next, record.mitigation);
      done.push({
        alert: `DetectedIssue/${alert.id}`,
        level: level.key,
        tasks: record.tasks.map((t) => `Task/${t.id}`),
        notifications: record.notifications.length,
        ...(target.warning ? { warning: target.warning } : {}),
      });
    }
    return due.length > 0 ? next : undefined;
  });
  return done;
}

/**
 * Searches the open alerts (`status=preliminary`, `identified` ≤ now, `_lastUpdated` within the lookback,
 * in pages of ids), and for each one not acknowledged at its current severity carries out the levels of its
 * programme's policy (or the defaults) that are due at `now` and not yet recorded on it: a Task per person (conditional
 * create on `escalation:DetectedIssue/<id>:<level>:<owner>`), their notifications (conditional create on the
 * notification identifier) and an `escalated` mitigation naming the level, all in one transaction with If-Match on
 * the alert. Safe to run concurrently and to re-run: a second run finds the level recorded (or loses the If-Match and
 * re-decides). Errors on one alert are reported and do not stop the others.
 */
export async function escalateDueAlerts(
  repo: FhirRepository,
  now: Date,
  options: EscalationSweepOptions = {}
): Promise<EscalationSweepReport> {
  const lookbackHours = options.lookbackHours ?? DEFAULT_LOOKBACK_HOURS;
  const pageSize = Math.min(Math.max(options.pageSize ?? DEFAULT_PAGE_SIZE, 1), 1000);
  const pageOptions = { lookbackHours, pageSize, patient: options.patient };
  const policies = new ProgrammePolicies(repo);
  const report: EscalationSweepReport = { examined: 0, escalated: [], warnings: [], failures: [] };
  // Keyset paging (after the last id read): an alert acknowledged or resolved meanwhile leaves the matches without
  // shifting the next page, where paging by offset skipped the alert that moved into its place until the next run.
  for (let after: string | undefined; ;) {
    const page = await openAlertsPage(repo, now, pageOptions, after);
    report.examined += page.length;
    await policies.load(page.map(alertProgramme));
    for (const alert of page) {
      const { levels } = levelsForSeverity(policies.levels(alertProgramme(alert)), alertSeverity(alert));
      if (dueEscalationLevels(alert, levels, now).length === 0) {
        continue;
      }
      try {
        const done = await escalateAlert(repo, alert.id, policies, now);
        report.escalated.push(...done);
        report.warnings.push(...done.flatMap((d) => (d.warning ? [`${d.alert} ${d.level}: ${d.warning}`] : [])));
      } catch (err) {
        report.failures.push({ alert: `DetectedIssue/${alert.id}`, error: (err as Error).message });
      }
    }
    if (page.length < pageSize) {
      break;
    }
    after = page[page.length - 1].id;
  }
  report.warnings.push(...policies.issues);
  return report;
}
