// Nested event fields are addressed by dot path ("user.address.city").

const member = (obj: unknown, step: string): unknown =>
  obj !== null && typeof obj === 'object' && Object.hasOwn(obj, step) ? (obj as Record<string, unknown>)[step] : undefined;

/**
 * The value at a dot path, or undefined when any step is missing. Own members only: an event
 * without "constructor" has no "constructor" (not Object's).
 */
export function getPath(obj: unknown, path: string): unknown {
  if (!path.includes('.')) return member(obj, path);
  let cur: unknown = obj;
  for (const step of path.split('.')) cur = member(cur, step);
  return cur;
}
