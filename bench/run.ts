// `pnpm bench [name...]`: runs the named benchmarks (all by default), each against its bare baseline.
import { benchAuthz } from "./authz.js";
import { benchCrypto } from "./crypto.js";
import { benchDynamoDbStore } from "./dynamodb-store.js";
import { benchHttp } from "./http.js";
import { benchRedisStore } from "./redis-store.js";
import { benchResolve } from "./resolve.js";
import { benchRotation } from "./rotation.js";
import { benchScaling } from "./scaling.js";
import { benchVerify } from "./verify.js";

const benches: Record<string, () => Promise<unknown>> = {
  crypto: () => benchCrypto(),
  http: () => benchHttp(),
  verify: () => benchVerify(),
  authz: () => benchAuthz(),
  resolve: () => benchResolve(),
  redis: () => benchRedisStore(),
  dynamodb: () => benchDynamoDbStore(),
  rotation: () => benchRotation(),
  scaling: () => benchScaling(),
};

const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark(s): ${unknown.join(", ")}. Choose from: ${Object.keys(benches).join(", ")}`,
  );
  process.exit(2);
}
for (const name of chosen.length > 0 ? chosen : Object.keys(benches)) await benches[name]?.();
