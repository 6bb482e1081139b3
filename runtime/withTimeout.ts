// A remote call that must answer within a bound (a broker or database that does not answer
// gives a clear error, not a hung page or a stage stuck forever).
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
