// `npm run schema`: writes api/schema.graphql from the schema the server uses (a unit test checks it is current).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import { typeDefs } from './schema.graphql';

writeFileSync(join(__dirname, '..', '..', 'api', 'schema.graphql'), `${printSchema(buildSchema(typeDefs))}\n`);
console.log('wrote api/schema.graphql');
