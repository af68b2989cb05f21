export { diagnoseLocalServer } from './localServer.ts';
export { type DiagnoseInput, type Diagnosis, runDiagnosis } from './runner.ts';
export type { StepName, StepResult, StepStatus } from './steps.ts';
