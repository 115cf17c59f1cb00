/**
 * Child process of file.test.ts (not a test): opens a FileChannelStore on the directory given and keeps it open
 * until killed, printing `OPEN <pid>` once it holds the store (or `REFUSED <code>` if it could not open it).
 *
 *   node --import tsx/esm fileHolder.ts <dir>
 *
 * Loaded by Mocha as a test file it does nothing (it runs only as the main module with the env flag set).
 */
import { writeSync } from "node:fs";
import { pathToFileURL } from "node:url";

import { SwitchyardError } from "../../../src/protocol/errors.js";
import { FileChannelStore } from "../../../src/stores/file.js";

const isMain =
  process.env.SWITCHYARD_FILE_HOLDER === "1" &&
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error("usage: fileHolder.ts <dir>");
  FileChannelStore.open(dir).then(
    () => {
      writeSync(1, `OPEN ${process.pid}\n`);
      setInterval(() => undefined, 60_000); // hold it until killed
    },
    (error: unknown) => {
      writeSync(1, `REFUSED ${error instanceof SwitchyardError ? error.code : String(error)}\n`);
      process.exit(3);
    },
  );
}
