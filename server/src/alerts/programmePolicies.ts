// Loads the escalation policies of the programmes alerts name, one search per batch of new programme urls, cached per sweep.
import type { SearchRequest } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { PlanDefinition } from '@medplum/fhirtypes';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { readEscalationPolicy, type EscalationLevel } from './escalationPolicy.ts';

function withoutVersion(canonical: string): string {
  const bar = canonical.indexOf('|');
  return bar < 0 ? canonical : canonical.slice(0, bar);
}

/** The programmes' levels by canonical url (undefined: no programme, or no policy: the defaults apply). */
export class ProgrammePolicies {
  private readonly repo: FhirRepository;
  private readonly levelsByUrl = new Map<string, EscalationLevel[] | undefined>();
  /** Problems found in policies (each reported once per sweep). */
  readonly issues: string[] = [];

  constructor(repo: FhirRepository) {
    this.repo = repo;
  }

  /** Reads the PlanDefinitions of the urls not seen yet: `PlanDefinition?url=a,b,…` (newest first per url). */
  async load(canonicals: readonly (string | undefined)[]): Promise<void> {
    const urls = [...new Set(canonicals.filter((c): c is string => !!c).map(withoutVersion))].filter(
      (url) => !this.levelsByUrl.has(url)
    );
    if (urls.length === 0) {
      return;
    }
    const search = parseSearchQuery('PlanDefinition', {
      url: urls.map((u) => u.replace(/\\/g, '\\\\').replace(/,/g, '\\,')).join(','),
      _sort: '-_lastUpdated',
      _count: '1000',
    }) as SearchRequest<PlanDefinition>;
    const bundle = await this.repo.search<PlanDefinition>(search);
    for (const url of urls) {
      this.levelsByUrl.set(url, undefined);
    }
    const seen = new Set<string>();
    for (const entry of bundle.entry ?? []) {
      const plan = entry.resource as PlanDefinition;
      if (!plan.url || seen.has(plan.url)) {
        continue;
      }
      seen.add(plan.url);
      const policy = readEscalationPolicy(plan);
      this.levelsByUrl.set(plan.url, policy?.levels);
      for (const issue of policy?.issues ?? []) {
        this.issues.push(`${plan.url}: ${issue}`);
      }
    }
  }

  /** The programme's levels, or undefined (unknown programme, or no policy). Call load() first. */
  levels(canonical: string | undefined): EscalationLevel[] | undefined {
    return canonical ? this.levelsByUrl.get(withoutVersion(canonical)) : undefined;
  }
}
