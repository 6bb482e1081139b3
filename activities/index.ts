// Every activity the worker registers. Workflows import only the types.
export { provisionStreams, provisionTable, teardown, ingestMembers } from './provision';
export { ingest } from './ingest';
export { dedupSink } from './dedupSink';
export { replayDlq, purgeDlq } from './dlq';
export { repartition } from './repartition';
