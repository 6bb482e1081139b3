// Nested event fields are addressed by dot path ("user.address.city").

/** The value at a dot path, or undefined when any step is missing. */
export function getPath(obj: unknown, path: string): unknown {
  if (!path.includes('.')) return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[path] : undefined;
  let cur: unknown = obj;
  for (const step of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[step];
  }
  return cur;
}
