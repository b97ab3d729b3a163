export type {
  CredentialEvents,
  EventBusOptions,
  EventListener,
  EventPublisher,
  EventSink,
} from "./event-bus.js";
export { createEventBus } from "./event-bus.js";
export { credentialEventData, newEventId } from "./event-data.js";
export * from "./event-types.js";
