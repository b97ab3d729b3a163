export { notDynamoDbName } from "./answer-shape.js";
export { type DynamoDbStoreConfig, defaultMaxRaceRetries, recommendedClientConfig } from "./config.js";
export { dynamoDbCounter } from "./counter.js";
export { dynamoDbIdempotencyStore } from "./idempotency.js";
export {
  counterPartitionPrefix,
  failedPartitionPrefix,
  idempotencyPartitionPrefix,
  leasePartitionPrefix,
  leaseSortKey,
  lookupPrefix,
  outboxIndexPartition,
  queuePartitionPrefix,
  recordPrefix,
  ttlAttribute,
  webhookPartitionPrefix,
} from "./keys.js";
export { type DynamoDbEventOutboxConfig, dynamoDbEventOutbox } from "./outbox.js";
export { type DynamoDbSharedStateConfig, sharedStateClientConfig } from "./shared-config.js";
export { dynamoDbStore } from "./store.js";
export { type CreateCredkitTableOptions, createCredkitTable } from "./table.js";
