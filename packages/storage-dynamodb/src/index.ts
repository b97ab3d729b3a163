export { notDynamoDbName } from "./answer-shape.js";
export { type DynamoDbStoreConfig, defaultMaxRaceRetries, recommendedClientConfig } from "./config.js";
export { leasePartitionPrefix, leaseSortKey, lookupPrefix, recordPrefix, ttlAttribute } from "./keys.js";
export { dynamoDbStore } from "./store.js";
export { type CreateCredkitTableOptions, createCredkitTable } from "./table.js";
