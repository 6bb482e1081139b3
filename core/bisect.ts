// Finds the rows a server rejects, by halving: a batch of n rows with k bad ones costs about
// 2·k·log2(n) trial inserts (into a table that discards what it accepts), the two halves of each
// split tried at the same time.
export type TryRows<T> = (rows: T[]) => Promise<string | undefined>;

/** Indexes of rejected rows with the server's message for each. */
export async function findRejected<T>(rows: T[], tryRows: TryRows<T>): Promise<Map<number, string>> {
  const bad = new Map<number, string>();
  const visit = async (idx: number[]): Promise<void> => {
    const error = await tryRows(idx.map((i) => rows[i]));
    if (error === undefined) return;
    if (idx.length === 1) {
      bad.set(idx[0], error);
      return;
    }
    const mid = idx.length >> 1;
    // both halves at once: a current ClickHouse answers each trial in tens of ms, and a batch with
    // k bad rows needs about 2·k·log2(n) of them
    await Promise.all([visit(idx.slice(0, mid)), visit(idx.slice(mid))]);
  };
  await visit(rows.map((_, i) => i));
  return bad;
}
