// The workflows the worker bundles.
export { pipelineWorkflow } from './pipeline';
