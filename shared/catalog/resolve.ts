/**
 * Which form fills a part (pool selection; an explicit FQN wins): the forms that match the selector
 * and requirements and are eligible (published; pod ref, if any, synced and READY); among them
 * the least exposed, ties broken by FQN then version so the answer is deterministic. Every
 * rejected form keeps its reason, for the 409 and for the resolution preview.
 */
import { compileSelector, selectorPrefilter } from './selector.ts';
import { compareVersions } from './fqn.ts';
import { type Form, type Requirements, formKey, hasPod } from './types.ts';

export interface Rejection {
  form: string;
  reason: string;
}

export interface Candidates {
  admitted: Form[];
  rejected: Rejection[];
  counts: { total: number; matched_selector: number; admitted: number };
}

/** A precompiled filter: call it for many forms without re-parsing the selector or requirements. */
export function formFilter(
  selector: string,
  req: Requirements = {},
): (f: Form, tokens?: readonly string[]) => string | undefined {
  const sel = compileSelector(selector);
  const may = selectorPrefilter(selector);
  const sets = {
    track_types: req.track_types && new Set(req.track_types),
    track_levels: req.track_levels && new Set(req.track_levels),
    track_acronyms: req.track_acronyms && new Set(req.track_acronyms),
    exam_versions: req.exam_versions && new Set(req.exam_versions),
    module_acronyms: req.module_acronyms && new Set(req.module_acronyms),
  };
  // Each list as the reasons print it, joined once rather than once per rejected form.
  const lists = {
    track_types: req.track_types?.join(','),
    track_levels: req.track_levels?.join(','),
    track_acronyms: req.track_acronyms?.join(','),
    exam_versions: req.exam_versions?.join(','),
    module_acronyms: req.module_acronyms?.join(','),
  };
  return (f, tokens) => {
    if (tokens ? !sel(tokens) : !may(f.fqn) || !sel(f.fqn.split(' '))) return 'selector';
    if (sets.track_types && !sets.track_types.has(f.track_type))
      return `track_type ${f.track_type} not in ${lists.track_types}`;
    if (sets.track_levels && !sets.track_levels.has(f.track_level))
      return `track_level ${f.track_level} not in ${lists.track_levels}`;
    if (sets.track_acronyms && !sets.track_acronyms.has(f.track_acronym))
      return `track_acronym ${f.track_acronym} not in ${lists.track_acronyms}`;
    if (sets.exam_versions && !sets.exam_versions.has(f.exam_version))
      return `exam_version ${f.exam_version} not in ${lists.exam_versions}`;
    if (sets.module_acronyms && !sets.module_acronyms.has(f.module_acronym))
      return `module ${f.module_acronym} not in ${lists.module_acronyms}`;
    if (req.requires_pod === true && !hasPod(f)) return 'requires a pod; the form is web-only';
    if (req.requires_pod === false && hasPod(f)) return 'requires no pod; the form carries one';
    return eligibility(f);
  };
}

/** Published, and a pod ref (if any) synced and READY. */
export function eligibility(f: Form): string | undefined {
  if (f.status !== 'published') return `status ${f.status}`;
  if (f.pod_ref && f.pod_ref.pod_type !== 'none' && f.pod_ref.status !== 'ready')
    return `pod ref is ${f.pod_ref.status}, not ready`;
  return undefined;
}

/** Least exposure first, then FQN, then the newest version. */
export function byLeastExposure(a: Form, b: Form): number {
  return (
    (a.exposure_count ?? 0) - (b.exposure_count ?? 0) ||
    a.fqn.localeCompare(b.fqn) ||
    compareVersions(b.version, a.version)
  );
}

export function candidates(
  forms: Form[],
  selector: string,
  req: Requirements = {},
  opts: { exclude?: Set<string>; keepSelectorMisses?: boolean } = {},
): Candidates {
  const filter = formFilter(selector, req);
  const admitted: Form[] = [];
  const rejected: Rejection[] = [];
  let matched = 0;
  for (const f of forms) {
    const why = filter(f);
    if (why !== 'selector') matched++;
    if (why === undefined && opts.exclude?.has(f.fqn))
      rejected.push({ form: formKey(f), reason: 'already used by another part of this session' });
    else if (why === undefined) admitted.push(f);
    else if (why !== 'selector' || opts.keepSelectorMisses)
      rejected.push({
        form: formKey(f),
        reason: why === 'selector' ? `does not match selector "${selector}"` : why,
      });
  }
  admitted.sort(byLeastExposure);
  return {
    admitted,
    rejected,
    counts: { total: forms.length, matched_selector: matched, admitted: admitted.length },
  };
}

/** The one form for a part, or the reasons there is none. */
export function pickForm(
  forms: Form[],
  selector: string,
  req: Requirements = {},
  exclude?: Set<string>,
): { form: Form } | { reasons: Rejection[]; counts: Candidates['counts'] } {
  const c = candidates(forms, selector, req, { exclude });
  return c.admitted[0] ? { form: c.admitted[0] } : { reasons: c.rejected, counts: c.counts };
}
