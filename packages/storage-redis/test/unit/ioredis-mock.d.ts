// The few ioredis-mock types the unit tests use; @types/ioredis-mock is not a dependency of this package.
declare module "ioredis-mock" {
  import type { Redis, RedisOptions } from "ioredis";

  const RedisMock: new (options?: RedisOptions) => Redis;
  export default RedisMock;
}
