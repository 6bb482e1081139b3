// The one GraphQL call of the page's scripts (app.js, wizard.js): a named document of
// queries.json, the token of the header, errors with their code and spec problems.
'use strict';
window.sluiceQueries = fetch('/ui/queries.json').then((r) => r.json());
window.sluiceGql = async function gql(name, variables = {}) {
  const queries = await window.sluiceQueries;
  const headers = { 'content-type': 'application/json' };
  const token = document.querySelector('#token').value;
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query: queries[name], variables }) });
  const body = await res.json();
  if (body.errors?.length) {
    const e = body.errors[0];
    const err = new Error(e.message);
    err.code = e.extensions?.code;
    err.problems = e.extensions?.problems ?? [];
    throw err;
  }
  return body.data;
};
