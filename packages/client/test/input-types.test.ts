import type {
  CreateCredentialInput as CoreCreateInput,
  UpdateCredentialInput as CoreUpdateInput,
} from "@credkit/core";
import { describe, expectTypeOf, it } from "vitest";
import type { CreateCredentialInput, UpdateCredentialInput } from "../src/index.js";

// Compile-time checks (run by `tsc` as the package's typecheck): one name, one concept. Core's
// `CreateCredentialInput` (the schema's input side, secret typed by authType) and the client's (read off
// the OpenAPI document, generated from the same schema) describe the same JSON body: whatever an
// embedder writes for core, the client accepts, and both have the same fields.
describe("core's and the client's input types", () => {
  it("accept the same bodies under the same names", () => {
    expectTypeOf<CoreCreateInput>().toExtend<CreateCredentialInput>();
    expectTypeOf<CoreUpdateInput>().toExtend<UpdateCredentialInput>();
    expectTypeOf<keyof CoreCreateInput>().toEqualTypeOf<keyof CreateCredentialInput>();
    expectTypeOf<keyof CoreUpdateInput>().toEqualTypeOf<keyof UpdateCredentialInput>();
    // Required fields agree too: what one may leave out, the other may as well.
    const minimal: CoreCreateInput = { credentialName: "n", credentialType: "target", authType: "none" };
    expectTypeOf(minimal).toExtend<CreateCredentialInput>();
  });
});
