// Query limits: depth, and the number of fields one request may select, counted through fragment
// spreads (a fragment adds its depth where it is spread). Introspection (`__schema`, `__type`) is
// counted apart with limits of its own, so graphql-js's getIntrospectionQuery() — what Apollo,
// codegen, Postman and GraphiQL send — passes, while the limits still refuse deep ordinary queries.
import { GraphQLError, Kind, type ASTNode, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';

export const MAX_DEPTH = 8;
export const MAX_FIELDS = 200;
/** getIntrospectionQuery() is 15 levels deep (the ofType chain of its TypeRef fragment) */
export const MAX_INTROSPECTION_DEPTH = 20;
/** getIntrospectionQuery() selects 230 fields once its fragments are spread */
export const MAX_INTROSPECTION_FIELDS = 1000;

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

interface Budget { maxDepth: number; maxFields: number; fields: number; node?: ASTNode; what?: 'depth' | 'fields' }

/** A validation rule that refuses operations nested deeper than MAX_DEPTH or selecting more than MAX_FIELDS fields. */
export function limitsRule(context: ValidationContext): ASTVisitor {
  const exceeded = (b: Budget) => b.what !== undefined;
  // walks one selection set; stops at the first limit passed, so a fragment "bomb" costs little
  const walk = (set: SelectionSetNode | undefined, depth: number, b: Budget, spreading: Set<string>, intro: Budget): void => {
    if (!set) return;
    for (const sel of set.selections) {
      if (exceeded(b) || exceeded(intro)) return;
      if (sel.kind === Kind.FIELD) {
        if (b !== intro && depth === 0 && INTROSPECTION_ROOTS.has(sel.name.value)) {
          walk(sel.selectionSet, 1, intro, spreading, intro);
          continue;
        }
        const d = depth + 1;
        b.fields++;
        if (d > b.maxDepth) { b.what = 'depth'; b.node = sel; return; }
        if (b.fields > b.maxFields) { b.what = 'fields'; b.node = sel; return; }
        walk(sel.selectionSet, d, b, spreading, intro);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, depth, b, spreading, intro);
      } else {
        const name = sel.name.value;
        if (spreading.has(name)) continue; // a cycle: refused by graphql's own NoFragmentCycles rule
        spreading.add(name);
        walk(context.getFragment(name)?.selectionSet, depth, b, spreading, intro);
        spreading.delete(name);
      }
    }
  };
  const report = (b: Budget, introspection: boolean) => {
    if (!b.what) return;
    const what = introspection ? 'introspection ' : '';
    const message = b.what === 'depth'
      ? `${what}query is deeper than ${b.maxDepth} levels`
      : `${what}query selects more than ${b.maxFields} fields`;
    context.reportError(new GraphQLError(message, { nodes: b.node ? [b.node] : [], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
  };
  return {
    OperationDefinition(op) {
      const ordinary: Budget = { maxDepth: MAX_DEPTH, maxFields: MAX_FIELDS, fields: 0 };
      const intro: Budget = { maxDepth: MAX_INTROSPECTION_DEPTH, maxFields: MAX_INTROSPECTION_FIELDS, fields: 0 };
      walk(op.selectionSet, 0, ordinary, new Set(), intro);
      report(ordinary, false);
      report(intro, true);
      return false;
    },
  };
}
