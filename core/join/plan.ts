// A join spec resolved against the sources: indexes instead of names, so the join engine works
// on plain arrays. Assumes a validated spec (core/spec/validateJoin.ts names every problem).
import type { JoinSpec, PipelineSpec } from '../spec/schema';
import { parseDuration } from '../duration';

export interface JoinSidePlan {
  /** index of the source in spec.sources */
  source: number;
  name: string;
  /** the fields this side keeps per event (its "vals", in this order): key fields, then output fields */
  fields: string[];
  windowMs: number;
}

export interface RightSidePlan extends JoinSidePlan {
  /** positions of the key fields in this side's vals */
  keyIdx: number[];
  /** positions of the matching left key fields in the left side's vals */
  leftKeyIdx: number[];
  kind: 'inner' | 'left';
  latest: boolean;
}

export interface OutputField {
  name: string;
  /** -1: the left side; i: right side i */
  side: number;
  /** position in that side's vals */
  idx: number;
}

export interface JoinPlan {
  time: 'event' | 'arrival';
  /** event time: a partition silent this long is declared idle */
  idleAfterMs: number;
  left: JoinSidePlan;
  right: RightSidePlan[];
  output: OutputField[];
  /** spec source index -> join side (-1 left, i right) */
  sideOfSource: Map<number, number>;
}

export const asList = (f: string | string[]): string[] => (typeof f === 'string' ? [f] : f);

/** "purchases.user.id" -> ["purchases", "user.id"] */
export function splitOutputField(f: string): [string, string] {
  const dot = f.indexOf('.');
  return [f.slice(0, dot), f.slice(dot + 1)];
}

/** The output entries as {source, field, name}. */
export function outputEntries(join: JoinSpec): Array<{ source: string; field: string; name: string }> {
  return join.output.map((o) => {
    const text = typeof o === 'string' ? o : o.field;
    const [source, field] = splitOutputField(text);
    return { source, field, name: typeof o === 'string' ? field : o.as };
  });
}

export function joinPlan(spec: PipelineSpec): JoinPlan | undefined {
  const join = spec.join;
  if (!join) return undefined;
  const indexOf = (name: string) => spec.sources.findIndex((s) => s.name === name);
  const outputs = outputEntries(join);
  const fieldsOf = (name: string, keys: string[]) => {
    const fields = [...keys];
    for (const o of outputs) if (o.source === name && !fields.includes(o.field)) fields.push(o.field);
    return fields;
  };
  const leftKeys = [...new Set(join.right.flatMap((r) => asList(r.leftKey ?? r.key)))];
  const left: JoinSidePlan = {
    source: indexOf(join.left.source), name: join.left.source,
    fields: fieldsOf(join.left.source, leftKeys), windowMs: parseDuration(join.left.window)!,
  };
  const right = join.right.map((r): RightSidePlan => {
    const keys = asList(r.key);
    const fields = fieldsOf(r.source, keys);
    return {
      source: indexOf(r.source), name: r.source, fields, windowMs: parseDuration(r.window)!,
      keyIdx: keys.map((k) => fields.indexOf(k)),
      leftKeyIdx: asList(r.leftKey ?? r.key).map((k) => left.fields.indexOf(k)),
      kind: r.kind, latest: r.latest,
    };
  });
  const output = outputs.map((o): OutputField => {
    const side = o.source === left.name ? -1 : right.findIndex((r) => r.name === o.source);
    const plan = side < 0 ? left : right[side];
    return { name: o.name, side, idx: plan.fields.indexOf(o.field) };
  });
  const sideOfSource = new Map<number, number>([[left.source, -1], ...right.map((r, i): [number, number] => [r.source, i])]);
  return { time: join.time, idleAfterMs: parseDuration(join.idleAfter)!, left, right, output, sideOfSource };
}
