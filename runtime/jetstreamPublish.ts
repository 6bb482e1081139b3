// Publishing a batch of messages to JetStream and waiting until every one is acknowledged, across
// a NATS restart. The nats client discards what it buffered while disconnected each time it dials
// again (nats.js 2.x resetOutbound), and a message written to a server that then stopped is lost
// with it: a publish of either kind gets no ack, ever, and would end only by its timeout (30 s for
// ingest, three times the Kafka session). So the batch is published again, in its order and with
// the same msgIDs (JetStream drops the copies it already holds), as soon as the client reconnects.
import { Events, type JetStreamClient, type NatsConnection, type PubAck } from 'nats';

export interface Outgoing {
  subject: string;
  data: Uint8Array;
  msgID: string;
}

export interface PublishOptions {
  /** how long one attempt waits for each ack */
  timeoutMs?: number;
  /** called about every `tickMs` while acks are awaited (ingest: the Kafka heartbeat) */
  whileWaiting?: () => Promise<void>;
  tickMs?: number;
  /** true once the caller no longer wants the acks: the wait ends with undefined (nothing known about what was stored) */
  stop?: () => boolean;
}

const reconnects = new WeakMap<NatsConnection, { count: number }>();

/** Counts the connection's reconnects from now on (once per connection). */
export function watchReconnects(nc: NatsConnection): { readonly count: number } {
  let w = reconnects.get(nc);
  if (!w) {
    const watch = { count: 0 };
    reconnects.set(nc, (w = watch));
    void (async () => {
      for await (const s of nc.status()) if (s.type === Events.Reconnect) watch.count++;
    })().catch(() => undefined);
  }
  return w;
}

/**
 * Publishes every message (in the given order) and resolves with their acks. After a reconnect
 * while acks are outstanding, all of them are published again; an attempt that fails with no
 * reconnect since it began rejects with its error; undefined once `stop` says so.
 */
export async function publishAcked(nc: NatsConnection, js: JetStreamClient, messages: Outgoing[], o: PublishOptions = {}): Promise<PubAck[] | undefined> {
  const seen = watchReconnects(nc);
  const tickMs = o.tickMs ?? 1000;
  for (;;) {
    const since = seen.count;
    const attempt = Promise.all(messages.map((m) => js.publish(m.subject, m.data, { msgID: m.msgID, timeout: o.timeoutMs ?? 30_000 })));
    let outcome: { acks: PubAck[] } | { error: unknown } | undefined;
    const settled = attempt.then((acks) => { outcome = { acks }; }, (error: unknown) => { outcome = { error }; });
    while (!outcome && seen.count === since) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled, new Promise((r) => { timer = setTimeout(r, tickMs); })]);
      clearTimeout(timer);
      if (outcome) break;
      if (o.stop?.()) return undefined;
      if (o.whileWaiting) await o.whileWaiting();
    }
    const done = outcome as { acks: PubAck[] } | { error: unknown } | undefined;
    if (done && 'acks' in done) return done.acks;
    if (done && seen.count === since) throw done.error;
    // reconnected since this attempt began: its messages may be lost, so publish them again
  }
}
