// Caddy 2.6 (Debian's) with forward_auth, from examples/caddy/Caddyfile, in front of credkit.
import { frontDoorSuite } from "./support/front-door-suite.js";
import { startCaddyDoor } from "./support/front-doors.js";

frontDoorSuite("caddy", startCaddyDoor, { targetQuery: false });
