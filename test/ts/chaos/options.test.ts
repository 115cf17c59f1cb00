/** The chaos script's parameters: bad ones refused with a clear message and exit code 2, before anything starts. */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { UsageError, parseOptions } from "../../../scripts/chaos/options.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

function refused(args: string[], message: RegExp): void {
  expect(() => parseOptions(args), args.join(" ")).to.throw(UsageError, message);
}

describe("npm run chaos: parameters", function () {
  this.timeout(60_000);

  it("test_parseOptions_defaults_pgStoreTwentyNodeKillsAndARandomSeed", () => {
    const o = parseOptions([]);
    if (o === "help") expect.fail("no --help given");
    expect(o).to.deep.include({ store: "pg", nodeKills: 20, clients: 6, report: "reports/chaos.md" });
    expect(o.seed).to.be.within(0, 2 ** 32 - 1);
    const replay = parseOptions(["--seed", "7", "--store", "sqlite", "--report", "-"]);
    if (replay === "help") expect.fail("no --help given");
    expect(replay).to.deep.include({ seed: 7, store: "sqlite", pgRestarts: 0 });
    expect(replay.report).to.equal(undefined);
    expect(parseOptions(["--help"])).to.equal("help");
  });

  it("test_parseOptions_badValues_refusedNamingTheFlagAndTheRange", () => {
    refused(["--store", "mysql"], /--store mysql: sqlite or pg/);
    refused(["--clients", "1"], /--clients 1: out of range \(an integer 2 … 16\)/);
    refused(["--clients", "3.5"], /not a whole number/);
    refused(["--seed", "-1"], /not a whole number/);
    refused(["--seed", String(2 ** 32)], /out of range/);
    refused(["--node-kills"], /needs a value/);
    refused(["--duration", "--quiet"], /needs a value/);
    refused(["--clients", "4", "--clients", "5"], /given twice/);
    refused(["--frobnicate"], /unknown option --frobnicate/);
    refused(["--store", "sqlite", "--pg-restarts", "2"], /--pg-restarts needs --store pg/);
    refused(["--duration", "10", "--node-kills", "20"], /do not fit in 10 s/);
  });

  it("test_chaosScript_badParameter_exitCode2WithTheMessageAndNothingStarted", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/chaos.ts"), "--clients", "99"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", (c) => resolve(c)));
    expect(code).to.equal(2);
    expect(stderr).to.match(/chaos: --clients 99: out of range \(an integer 2 … 16\)/);
    expect(stderr).to.match(/usage: npm run chaos/);
  });
});
