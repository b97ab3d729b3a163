// Request bodies for the API fuzz tests, generated from the shapes of the zod schemas (core's
// schemas/bodies.ts and schemas/secrets.ts) and around them: valid bodies of every authType ×
// credentialType, then wrong types, missing and extra fields, huge and deep values, unicode.
import { type AuthType, authTypes } from "@credkit/core";
import * as fc from "fast-check";

/** Every secret value a fuzz body carries starts with this: no answer may ever contain it. */
export const SECRET_MARK = "FuzzSecret7q";

const text = (maxLength = 40) => fc.string({ unit: "grapheme", maxLength });
const secretText = fc
  .oneof(fc.string({ maxLength: 30 }), text(30), fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/))
  .map((s) => `${SECRET_MARK}${s}`);
const headerName = fc.oneof(
  fc.constantFrom("X-Api-Key", "Authorization", "x-token", "X-Custom-Auth"),
  fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
  text(20),
);
const url = fc.oneof(
  fc.constantFrom(
    "https://auth.example.com/oauth/token",
    "https://idp.example.org/authorize",
    "http://127.0.0.1/token",
    "http://169.254.169.254/latest",
    "ftp://example.com/x",
    "not a url",
    "",
  ),
  fc.webUrl(),
);
const shortText = fc.oneof(fc.constantFrom("https://issuer.example", "api://audience"), text(30));
const jwtLike = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), fc.stringMatching(/^[A-Za-z0-9_-]{0,20}$/))
  .map(([a, b]) => `${SECRET_MARK}${a}.eyJzdWIiOiJ4In0.${b}`);
const scopes = fc.array(fc.oneof(fc.constantFrom("read", "write:all"), text(10)), { maxLength: 4 });
const algorithms = fc.subarray(["RS256", "ES256", "EdDSA", "HS256", "HS512"], { minLength: 0 });

/** A secret shaped like `authType`'s schema (often valid, sometimes not). */
export function secretFor(authType: AuthType): fc.Arbitrary<unknown> {
  switch (authType) {
    case "apiKey":
      return fc.record({ keyName: headerName, keyValue: secretText });
    case "bearer":
      return fc.record({ token: secretText });
    case "jwt":
      return fc.record({ token: fc.oneof(jwtLike, secretText) });
    case "basicAuth":
      return fc.record({ username: text(20), password: secretText });
    case "jwtVerify":
      return fc.record(
        {
          algorithms,
          issuer: shortText,
          audience: fc.oneof(shortText, fc.array(shortText, { maxLength: 3 })),
          subject: shortText,
          jwksUri: url,
          secret: fc.string({ minLength: 20, maxLength: 60 }).map((s) => `${SECRET_MARK}${s}`),
          clockSkewSeconds: fc.integer({ min: -10, max: 1000 }),
          failPolicy: fc.constantFrom("fail-closed", "fail-open", "maybe"),
        },
        { requiredKeys: ["algorithms", "issuer", "audience"] },
      );
    case "oauth2":
      return fc.oneof(
        fc.record(
          {
            grantType: fc.constant("client_credentials"),
            tokenUrl: url,
            clientId: shortText,
            clientSecret: secretText,
            scopes,
            audience: shortText,
            tokenEndpointAuthMethod: fc.constantFrom("client_secret_basic", "client_secret_post", "x"),
          },
          { requiredKeys: ["grantType", "tokenUrl", "clientId", "clientSecret"] },
        ),
        fc.record(
          {
            grantType: fc.constant("authorization_code"),
            authorizationUrl: url,
            tokenUrl: url,
            clientId: shortText,
            clientSecret: secretText,
            scopes,
            redirectUri: url,
            pkce: fc.boolean(),
          },
          { requiredKeys: ["grantType", "authorizationUrl", "tokenUrl", "clientId", "redirectUri"] },
        ),
      );
    case "customToken":
      return fc.record(
        {
          tokenUrl: url,
          method: fc.constantFrom("GET", "POST", "DELETE"),
          headers: fc.dictionary(headerName, secretText, { maxKeys: 3 }),
          body: fc.oneof(secretText, fc.dictionary(text(10), secretText, { maxKeys: 3 })),
          tokenPath: text(20),
          expiresInPath: text(20),
          ttlSeconds: fc.integer({ min: -5, max: 86400 * 31 }),
          headerName,
          headerPrefix: text(10),
        },
        { requiredKeys: ["tokenUrl"] },
      );
    case "custom":
      return fc.record(
        {
          headers: fc.dictionary(headerName, secretText, { maxKeys: 4 }),
          query: fc.dictionary(text(10), secretText, { maxKeys: 3 }),
        },
        { requiredKeys: ["headers"] },
      );
    case "none":
      return fc.constant({});
  }
}

const region = fc.constantFrom("eu-west-1", "us-east-1", "ap-south-1", "mars-north-9", "EU WEST", "");
const credentialName = fc.oneof(text(60), fc.constantFrom("   ", "upstream", "a".repeat(257)));

/** A create body close to valid: every authType × credentialType, each secret mostly of its own shape. */
export const createBody = fc.constantFrom(...authTypes).chain((authType) =>
  fc.record(
    {
      credentialName,
      credentialType: fc.constantFrom("proxy", "target"),
      authType: fc.constant(authType),
      region,
      singleUse: fc.boolean(),
      secret: fc.oneof(
        { weight: 5, arbitrary: secretFor(authType) },
        { weight: 1, arbitrary: fc.constantFrom(...authTypes).chain(secretFor) },
      ),
      credentialDefaultRuleEffect: fc.constantFrom("allow", "deny", "ALLOW"),
      parentId: fc.oneof(fc.constantFrom("parent-1", "bad parent"), text(10)),
    },
    { requiredKeys: ["credentialName", "credentialType", "authType"] },
  ),
);

/** An update body for a bearer target in eu-west-1: the mutable fields, sometimes the immutable ones (same or other values). */
export const updateBody = fc.record(
  {
    credentialName,
    credentialDefaultRuleEffect: fc.constantFrom("allow", "deny", "sometimes"),
    singleUse: fc.boolean(),
    secret: fc.oneof(
      { weight: 4, arbitrary: secretFor("bearer") },
      { weight: 1, arbitrary: fc.constantFrom(...authTypes).chain(secretFor) },
    ),
    credentialType: fc.oneof(
      { weight: 3, arbitrary: fc.constant("target") },
      { weight: 1, arbitrary: fc.constant("proxy") },
    ),
    authType: fc.oneof(
      { weight: 3, arbitrary: fc.constant("bearer") },
      { weight: 1, arbitrary: fc.constantFrom(...authTypes) },
    ),
    region: fc.oneof({ weight: 3, arbitrary: fc.constant("eu-west-1") }, { weight: 1, arbitrary: region }),
  },
  { requiredKeys: [] },
);

/** A value nested `depth` levels in arrays or objects. */
const deep = fc.tuple(fc.integer({ min: 1, max: 64 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { n: value };
  return value;
});
const wrongValue = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, "", [], {}, "__proto__"),
  fc.jsonValue({ maxDepth: 3 }),
  deep,
  fc.constantFrom(1_000, 20_000, 200_000).map((n) => "x".repeat(n)),
  fc.string({ unit: "grapheme", maxLength: 80 }),
);

type Body = Record<string, unknown>;

/** One change that takes a body off its schema: drop a field, give one a wrong value, add one. */
function mutate(body: Body): fc.Arbitrary<Body> {
  const keys = Object.keys(body);
  const secret = body.secret && typeof body.secret === "object" ? (body.secret as Body) : null;
  const options: fc.Arbitrary<Body>[] = [
    fc
      .tuple(fc.oneof(fc.constantFrom("extra", "__proto__", "constructor", "secret"), text(12)), wrongValue)
      .map(([key, value]) => ({ ...body, [key]: value })),
  ];
  if (keys.length > 0) {
    const key = fc.constantFrom(...keys);
    options.push(key.map((k) => Object.fromEntries(Object.entries(body).filter(([name]) => name !== k))));
    options.push(fc.tuple(key, wrongValue).map(([k, value]) => ({ ...body, [k]: value })));
  }
  if (secret && Object.keys(secret).length > 0) {
    options.push(
      fc
        .tuple(fc.constantFrom(...Object.keys(secret)), wrongValue)
        .map(([k, value]) => ({ ...body, secret: { ...secret, [k]: value } })),
    );
  }
  return fc.oneof(...options);
}

/** Bodies from the schema, or one to three steps away from it. */
export function aroundSchema(base: fc.Arbitrary<Body>): fc.Arbitrary<Body> {
  const once = base.chain(mutate);
  return fc.oneof(
    { weight: 2, arbitrary: base },
    { weight: 3, arbitrary: once },
    { weight: 1, arbitrary: once.chain(mutate).chain(mutate) },
  );
}

/** A raw request body: JSON of anything, or text that is not JSON at all. */
export const rawBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.constantFrom("", "{", "[]", "null", '{"credentialName":', '{"a":1}{"b":2}', "\ufeff{}"),
);

const b64url = (text: string) => Buffer.from(text).toString("base64url");
/** A JWT-shaped string whose parts are anything from valid base64url JSON to garbage. */
const jwtParts = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(
        '{"alg":"HS256","typ":"JWT"}',
        '{"alg":"none"}',
        '{"alg":"RS256","kid":"k"}',
        "{",
        "[]",
        "null",
      ),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 30 }),
    ),
    fc.oneof(
      fc.constantFrom(
        '{"iss":"https://issuer.example","aud":"api","exp":99999999999}',
        '{"exp":"soon"}',
        "{",
      ),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    ),
    fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("", "sig")),
  )
  .map(([h, p, sig]) => `${b64url(h)}.${b64url(p)}.${b64url(sig)}`);

/** The headers of an incoming request a proxy asks verify about. */
export const verifyHeaders = fc.dictionary(
  fc.oneof(fc.constantFrom("authorization", "Authorization", "x-api-key", "X-Api-Key", "x-token"), text(15)),
  fc.oneof(
    jwtParts.map((t) => `Bearer ${t}`),
    fc.string({ maxLength: 40 }).map((s) => `Basic ${Buffer.from(s).toString("base64")}`),
    fc.constantFrom(
      "Basic",
      "Basic ",
      "Basic !!!",
      "Bearer",
      "Bearer ",
      "bearer x",
      "Basic Og==",
      "Basic Og",
    ),
    fc.string({ maxLength: 60 }),
    fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
  ),
  { maxKeys: 4 },
);

const mapKey = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty") },
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/) },
);

/** A valid `custom` secret whose names include the ones JavaScript objects treat specially. */
export const customSecret = fc.record(
  {
    headers: fc.dictionary(
      mapKey,
      secretText.filter((v) => !/[\r\n\0]/.test(v)),
      { minKeys: 1, maxKeys: 4 },
    ),
    query: fc.dictionary(mapKey, secretText, { maxKeys: 3 }),
  },
  { requiredKeys: ["headers"] },
);
