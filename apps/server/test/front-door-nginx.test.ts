// nginx (Debian's) with auth_request, from examples/nginx/credkit-gateway.conf, in front of credkit: the
// checks every front door passes (nginx-gateway.test.ts covers what only the nginx example does).
import { frontDoorSuite } from "./support/front-door-suite.js";
import { startNginxDoor } from "./support/front-doors.js";

frontDoorSuite("nginx", startNginxDoor, { targetQuery: true });
