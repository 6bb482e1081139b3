// Which ClickHouse errors are worth retrying. An error ClickHouse answered about the statement
// itself (a syntax error, a nullable sorting key, a missing table, no permission) fails the same
// way every time; a few codes mean "not now" (overloaded, read-only for a while, a replica away),
// and no answer at all (server down) has no code.

/** Codes of conditions that pass by themselves: the same statement may succeed when retried. */
const TRANSIENT_CODES = new Set([
  3, // UNEXPECTED_END_OF_FILE
  159, // TIMEOUT_EXCEEDED
  164, // READONLY
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  279, // ALL_CONNECTION_TRIES_FAILED
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  473, // DEADLOCK_AVOIDED
  999, // KEEPER_EXCEPTION
]);

/** The error code ClickHouse answered with: "Code: 62, e.displayText() = ..." (old servers) or "Code: 62. DB::Exception: ..." (current). */
export function clickhouseErrorCode(message: string): number | undefined {
  const m = /^(?:Code|Error): (\d+)/.exec(message.trimStart());
  return m ? Number(m[1]) : undefined;
}

/** True when ClickHouse answered with an error that retrying will not change. */
export const isDeterministicClickHouseError = (code: number | undefined): boolean => code !== undefined && !TRANSIENT_CODES.has(code);
