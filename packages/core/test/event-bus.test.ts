import { describe, expect, it, vi } from "vitest";
import { createEventBus } from "../src/events/event-bus.js";

const data = { clientId: "acme", credentialId: "us-east-1.AAAAAAAAAAAAAAAAAAAAAA" } as never;

describe("event bus: an event's data is built only when someone may receive it", () => {
  it("drafts nothing and never calls for the data while nobody listens", () => {
    const { publisher } = createEventBus();
    const build = vi.fn(() => data);
    expect(publisher.active).toBe(false);
    expect(publisher.draft("credential.created", build)).toBeNull();
    expect(build).not.toHaveBeenCalled();
  });

  it("builds the data once for a listener, and for a sink alone", () => {
    const bus = createEventBus({ now: () => 0 });
    const heard: unknown[] = [];
    bus.events.subscribe("*", (event) => heard.push(event));
    const build = vi.fn(() => data);
    const event = bus.publisher.draft("credential.created", build);
    expect(build).toHaveBeenCalledTimes(1);
    expect(event).toMatchObject({ type: "credential.created", timestamp: "1970-01-01T00:00:00.000Z", data });
    bus.publisher.tell(event);
    expect(heard).toEqual([event]);

    const sunk = createEventBus({ sink: { publish: async () => {} } }).publisher;
    expect(sunk.active).toBe(true);
    expect(sunk.draft("credential.created", () => data)?.data).toBe(data);
  });
});
