// A dedup rule suggested from a sample: when pairs of events are identical but for one field
// (like the _event_source_ of a front-end and a back-end copy), ignore that field. Pure.
import { canonicalJson } from '../dedupKey';

export interface DedupSuggestion {
  /** the field to ignore: key = { ignore: [field] } */
  ignore: string;
  /** pairs of sampled events equal in every other field and different in this one */
  pairs: number;
}

const without = (obj: Record<string, unknown>, field: string) => {
  const copy: Record<string, unknown> = { ...obj };
  delete copy[field];
  return canonicalJson(copy);
};

/** Candidate fields (top-level), best first: the most pairs identical but for that field. */
export function suggestDedup(objects: ReadonlyArray<Record<string, unknown>>, max = 3): DedupSuggestion[] {
  const fields = new Set(objects.flatMap((o) => Object.keys(o)));
  const out: DedupSuggestion[] = [];
  for (const field of fields) {
    // events grouped by everything but this field; a pair counts when the field's values differ
    const groups = new Map<string, Map<string, number>>();
    for (const o of objects) {
      const rest = without(o, field);
      const values = groups.get(rest) ?? new Map<string, number>();
      const v = canonicalJson(o[field]);
      values.set(v, (values.get(v) ?? 0) + 1);
      groups.set(rest, values);
    }
    let pairs = 0;
    for (const values of groups.values()) {
      const counts = [...values.values()];
      const total = counts.reduce((a, b) => a + b, 0);
      pairs += (total * (total - 1)) / 2 - counts.reduce((a, c) => a + (c * (c - 1)) / 2, 0);
    }
    if (pairs > 0) out.push({ ignore: field, pairs });
  }
  return out.sort((a, b) => b.pairs - a.pairs || a.ignore.localeCompare(b.ignore)).slice(0, max);
}
