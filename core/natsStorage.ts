// The words for a stream JetStream refused for want of storage (its error 10047): how much is
// reserved and by which streams, and the three ways out. Pure; activities/provision.ts asks the server.

/** JetStream's "insufficient storage resources available" (a stream's max_bytes does not fit what the server has left to reserve). */
export const NATS_INSUFFICIENT_STORAGE = 10047;

export interface StreamReservation { name: string; maxBytes: number }

const gib = (n: number) => `${(n / 2 ** 30).toFixed(n % 2 ** 30 ? 2 : 0)} GiB`;

/**
 * `stream` asked for `wantedBytes` (SLUICE_RAW_STREAM_MAX_BYTES); `others` are the streams the
 * server holds (max_bytes ≤ 0: no reservation). The largest reservations are named, at most `show`.
 */
export function storageRefusalMessage(stream: string, wantedBytes: number, others: StreamReservation[], show = 5): string {
  const reserving = others.filter((s) => s.maxBytes > 0 && s.name !== stream).sort((a, b) => b.maxBytes - a.maxBytes || a.name.localeCompare(b.name));
  const reserved = reserving.reduce((a, s) => a + s.maxBytes, 0);
  const named = reserving.slice(0, show).map((s) => `${s.name} ${gib(s.maxBytes)}`).join(', ');
  const more = reserving.length > show ? ` and ${reserving.length - show} more` : '';
  return `nats: JetStream has no room to reserve ${gib(wantedBytes)} for stream ${stream} (SLUICE_RAW_STREAM_MAX_BYTES): ` +
    `${reserving.length} other streams reserve ${gib(reserved)}${reserving.length ? ` (${named}${more})` : ''}. ` +
    'Delete the pipelines no longer used, lower SLUICE_RAW_STREAM_MAX_BYTES, or raise the server\'s jetstream max_file_store.';
}
