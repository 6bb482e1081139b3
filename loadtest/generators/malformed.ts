// Events the pipeline must send to its DLQ, whatever the source's schema: none of them decodes.
import type { LoadEvent } from '../iteration';

const FORMS: Array<(id: string) => string> = [
  (id) => `{"event_id": "${id}", "amount": `, // cut off mid-message: malformed_json
  (id) => JSON.stringify([id, 12.5]), // valid JSON but no object: not_an_object
  () => '', // empty_message
];

/** The n-th malformed event; `extra` adds schema-specific forms (e.g. a number field holding text). */
export function malformedEvent(id: string, n: number, extra: Array<(id: string) => string> = []): LoadEvent {
  const forms = [...FORMS, ...extra];
  return { key: id, value: forms[n % forms.length](id), expect: 'dlq' };
}

/** Checks that a share is a number in [0, 1). */
export function share(name: string, v: number): number {
  if (!(v >= 0 && v < 1)) throw new Error(`${name}: expected a share from 0 up to (not including) 1, got ${v}`);
  return v;
}
