export { openApiDocumentProblems } from "./document.js";
export { contractRecorder } from "./recorder.js";
export { type ObservedResponse, type ResponseContract, responseContract } from "./responses.js";
