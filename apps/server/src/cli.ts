#!/usr/bin/env node
import { generateMasterKey } from "@credkit/core";

const usage = `Usage: credkit <command>

Commands:
  keygen    print a new random master key (base64 of 32 bytes) and its key id
`;

const [command] = process.argv.slice(2);
switch (command) {
  case "keygen": {
    const { id, key } = generateMasterKey();
    process.stdout.write(`${JSON.stringify({ id, key })}\n`);
    process.stderr.write("Set it as CREDKIT_MASTER_KEY (the key) or in CREDKIT_KEYRING (id and key).\n");
    break;
  }
  default:
    process.stderr.write(usage);
    process.exit(command === undefined || command === "help" || command === "--help" ? 0 : 2);
}
