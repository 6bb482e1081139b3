// A ClickHouse server version ("18.16.1", "26.9.2.1") and what it allows.
export interface ServerVersion {
  version: string;
  /** true when the server is at least major.minor */
  atLeast(major: number, minor: number): boolean;
}

export function parseServerVersion(version: string): ServerVersion {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return { version, atLeast: (a, b) => major > a || (major === a && minor >= b) };
}
