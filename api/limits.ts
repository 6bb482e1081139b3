// Query limits: depth, and the number of fields one request may select.
import { GraphQLError, Kind, type ASTVisitor, type ValidationContext } from 'graphql';

export const MAX_DEPTH = 8;
export const MAX_FIELDS = 200;

/** A validation rule that refuses documents nested deeper than MAX_DEPTH or selecting more than MAX_FIELDS fields. */
export function limitsRule(context: ValidationContext): ASTVisitor {
  let depth = 0;
  let fields = 0;
  return {
    Field: {
      enter(node) {
        depth++;
        fields++;
        if (depth > MAX_DEPTH) {
          context.reportError(new GraphQLError(`query is deeper than ${MAX_DEPTH} levels`, { nodes: [node], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
          return false;
        }
        if (fields > MAX_FIELDS) {
          context.reportError(new GraphQLError(`query selects more than ${MAX_FIELDS} fields`, { nodes: [node], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
          return false;
        }
        return undefined;
      },
      leave() {
        depth--;
      },
    },
    [Kind.FRAGMENT_DEFINITION]: () => undefined,
  };
}
