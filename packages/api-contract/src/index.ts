export { openApiDocumentProblems } from "./document.js";
export { validatingFetch } from "./fetch.js";
export { contractRecorder } from "./recorder.js";
export { type ObservedResponse, type ResponseContract, responseContract } from "./responses.js";
