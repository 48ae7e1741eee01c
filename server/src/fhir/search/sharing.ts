// Storing values once: parameters that alias others' rows, and composites that reuse their components' rows (grp).
import { parseFhirPath, type FhirPathAtom } from '@medplum/core';
import type { CompositeComponent, ParamInfo } from './catalog.ts';
import { unionBranches } from './expressions.ts';

const WHERE_RESOLVE_IS = /^(.+)\.where\(\(?resolve\(\) is ([A-Za-z]+)\)?\)$/;

/**
 * Marks parameters whose values are exactly those of other parameters as aliases, so their values are stored once:
 * e.g. Observation combo-code = code | component-code, patient = subject.where(resolve() is Patient).
 */
export function resolveAliases(params: ParamInfo[]): void {
  // Fewer branches first, and `x.where(resolve() is T)` last, so the params they may alias are decided before them.
  const order = (p: ParamInfo): number =>
    (p.branches as string[]).length + (p.branches?.length === 1 && WHERE_RESOLVE_IS.test(p.branches[0]) ? 1000 : 0);
  const candidates = params
    .filter((p) => p.table && p.branches && !p.column && !p.unsupported)
    .sort((a, b) => order(a) - order(b));
  const stored: ParamInfo[] = [];
  for (const p of candidates) {
    const branches = p.branches as string[];
    const where = branches.length === 1 && p.kind === 'reference' ? WHERE_RESOLVE_IS.exec(branches[0]) : null;
    if (where) {
      const q = stored.find((s) => s.kind === 'reference' && s.branches?.length === 1 && s.branches[0] === where[1]);
      if (q) {
        makeAlias(p, [q], where[2]);
        continue;
      }
    }
    const subsets = stored
      .filter(
        (s) => s.kind === p.kind && s.table === p.table && (s.branches as string[]).every((b) => branches.includes(b))
      )
      .sort((a, b) => (b.branches as string[]).length - (a.branches as string[]).length);
    const covered = new Set<string>();
    const cover: ParamInfo[] = [];
    for (const s of subsets) {
      if ((s.branches as string[]).some((b) => !covered.has(b))) {
        cover.push(s);
        (s.branches as string[]).forEach((b) => covered.add(b));
      }
    }
    if (cover.length > 0 && covered.size === new Set(branches).size) {
      makeAlias(p, cover);
    } else {
      stored.push(p);
    }
  }
}

function makeAlias(p: ParamInfo, of: ParamInfo[], refType?: string): void {
  p.alias = true;
  p.rowParams = of.map((q) => q.code);
  p.refType = refType;
}

/**
 * Lets a composite use its components' own rows instead of storing rows of its own: possible when every row param
 * of every component either lies under the composite's one element base (then it is indexed per element, grp =
 * element number) or, when the base also includes the resource itself, reads from the resource outside that base.
 */
export function shareComponentRows(
  resourceType: string,
  base: FhirPathAtom,
  components: CompositeComponent[],
  byCode: Map<string, ParamInfo>
): boolean {
  const baseBranches = unionBranches(base.child).map((b) => b.toString());
  const elementBases = baseBranches.filter((b) => b !== resourceType);
  if (elementBases.length !== 1) {
    return false;
  }
  const baseKey = elementBases[0];
  const includesResource = baseBranches.includes(resourceType);
  const grouped: ParamInfo[] = [];
  for (const component of components) {
    if (component.definition.refType) {
      return false;
    }
    for (const rowParam of component.definition.rowParams) {
      const q = byCode.get(rowParam);
      const branches = q?.branches;
      if (!q || !branches || q.alias || q.unsupported) {
        return false;
      }
      if (branches.every((b) => b.startsWith(baseKey + '.'))) {
        if (q.group && q.group.baseKey !== baseKey) {
          return false;
        }
        grouped.push(q);
      } else if (!(
        includesResource && branches.every((b) => b.startsWith(resourceType + '.') && !b.startsWith(baseKey + '.'))
      )) {
        return false;
      }
    }
  }
  let groupBase: FhirPathAtom;
  const relatives = new Map<ParamInfo, FhirPathAtom>();
  try {
    groupBase = parseFhirPath(baseKey);
    for (const q of grouped) {
      const relative = (q.branches as string[]).map((b) => b.slice(baseKey.length + 1)).join(' | ');
      relatives.set(q, parseFhirPath(relative));
    }
  } catch {
    return false;
  }
  for (const q of grouped) {
    q.group ??= { baseKey, base: groupBase, relative: relatives.get(q) as FhirPathAtom };
  }
  for (const component of components) {
    component.rowParams = component.definition.rowParams;
  }
  return true;
}
