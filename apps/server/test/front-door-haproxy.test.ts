// HAProxy 2.6 (Debian's) with the Lua action on core.httpclient, from examples/haproxy/, in front of credkit.
import { frontDoorSuite } from "./support/front-door-suite.js";
import { startHaproxyDoor } from "./support/front-doors.js";

frontDoorSuite("haproxy", startHaproxyDoor, { targetQuery: true });
