// Who changed which limit when: the versions of the patient's threshold Goals (their _history), newest first.
import type { MedplumClient, WithId } from '@medplum/core';
import type { Goal, Practitioner } from '@medplum/fhirtypes';
import { describeGoalVersion, goalSubjectOf } from './thresholdGoals.ts';

export interface ThresholdChange {
  key: string;
  /** meta.lastUpdated of the version. */
  when?: string;
  who: string;
  what: string;
  reason?: string;
}

/**
 * The versions as rows, newest first; versions that are not threshold Goals are left out. `names` gives the names of
 * the `expressedBy` references that carry no display.
 */
export function thresholdChanges(
  versions: readonly Goal[],
  names: ReadonlyMap<string, string> = new Map()
): ThresholdChange[] {
  return versions
    .filter((g) => goalSubjectOf(g))
    .map((g) => ({
      key: `${g.id}/${g.meta?.versionId ?? ''}`,
      when: g.meta?.lastUpdated,
      who:
        g.expressedBy?.display ??
        names.get(g.expressedBy?.reference ?? '') ??
        g.expressedBy?.reference ??
        'not recorded',
      what: describeGoalVersion(g),
      reason: g.description?.text?.split('(patient-specific limit): ')[1],
    }))
    .sort((a, b) => (b.when ?? '').localeCompare(a.when ?? '') || b.key.localeCompare(a.key));
}

/** Every version of every threshold Goal of the patient (GET Goal/<id>/_history for each). */
export async function loadThresholdChanges(
  medplum: MedplumClient,
  goals: readonly WithId<Goal>[]
): Promise<ThresholdChange[]> {
  const histories = await Promise.all(
    goals.filter((g) => goalSubjectOf(g)).map((g) => medplum.readHistory('Goal', g.id))
  );
  const versions: Goal[] = histories.flatMap((bundle) =>
    (bundle.entry ?? []).flatMap((e) => (e.resource?.resourceType === 'Goal' ? [e.resource as Goal] : []))
  );
  const unnamed = [
    ...new Set(
      versions
        .filter((g) => !g.expressedBy?.display && g.expressedBy?.reference?.startsWith('Practitioner/'))
        .map((g) => g.expressedBy?.reference as string)
    ),
  ];
  const names = new Map<string, string>();
  await Promise.all(
    unnamed.map(async (reference) => {
      const practitioner = await medplum.readReference<Practitioner>({ reference }).catch(() => undefined);
      const name = practitioner?.name?.[0];
      const text = [name?.prefix?.join(' '), name?.given?.join(' '), name?.family].filter(Boolean).join(' ');
      if (text || name?.text) {
        names.set(reference, text || (name?.text as string));
      }
    })
  );
  return thresholdChanges(versions, names);
}
