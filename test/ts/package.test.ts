/**
 * The npm package as an integrator gets it (with LICENSE and docs/, without the test contracts' bindings):
 * `npm pack` (its prepack hook runs `npm run build`), then a
 * throwaway project in a temporary directory outside the repository installs the tarball (with ethers, its
 * peer dependency, from the npm cache when possible) and
 *   - a plain ESM script imports the SDK, the typed-data helpers, the channel-address helper, the typed
 *     bindings and an ABI, computes a channel address and signs a state;
 *   - every subpath of the exports map (one per room of src/) loads, and every one but the Node.js-only ones
 *     bundles for a browser with no Node.js built-in;
 *   - TypeScript type-checks a consumer file against the package's declarations.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { build } from "esbuild";
import hre from "hardhat";
import { Wallet, ZeroAddress, ZeroHash, id, parseEther, verifyTypedData } from "ethers";

import { npmCommand, runOk } from "../../scripts/lib/child.js";
import { computeChannelAddress } from "../../src/protocol/channelAddress.js";
import { CHANNEL_STATE_TYPES, channelDomain, channelStateDigest } from "../../src/protocol/typedData.js";

const ROOT = hre.config.paths.root;
/** The package's subpaths by room of src/ (README "Using the package"). */
const ROOMS = [
  "./protocol",
  "./chain",
  "./stores",
  "./stores/indexeddb",
  "./stores/file",
  "./stores/sqlite",
  "./stores/postgres",
  "./channel",
  "./routing",
  "./wire",
  "./client",
  "./node",
  "./signers",
  "./crypto",
  "./browser",
];
/** The subpaths that need Node.js (files, SQLite, PostgreSQL, native secp256k1, the node service). */
const NODE_ONLY = ["./stores/file", "./stores/sqlite", "./stores/postgres", "./crypto", "./node"];
const require = createRequire(import.meta.url);

async function runNpm(args: string[], cwd: string, timeoutMs: number) {
  const [command, prefix] = npmCommand();
  // No audit, fund or update-notifier traffic; the caller decides about the network.
  return await runOk(command, [...prefix, ...args, "--no-audit", "--no-fund", "--no-update-notifier"], {
    cwd,
    timeoutMs,
  });
}

const CONSUMER_ESM = `
import * as sdk from "@switchyard/protocol";
import { computeChannelAddress } from "@switchyard/protocol/channel-address";
import { CHANNEL_STATE_TYPES, channelDomain, channelStateDigest } from "@switchyard/protocol/typed-data";
import { ChannelFactory__factory } from "@switchyard/protocol/typechain";
import * as typechain from "@switchyard/protocol/typechain";
import factoryAbi from "@switchyard/protocol/abi/ChannelFactory.json" with { type: "json" };
import abiIndex from "@switchyard/protocol/abi/index.json" with { type: "json" };
import pkg from "@switchyard/protocol/package.json" with { type: "json" };
import { Interface, Wallet, ZeroAddress, ZeroHash } from "ethers";

const input = JSON.parse(process.argv[2]);
const channel = computeChannelAddress(input.factory, input.mastercopy, input.alice, input.bob, input.salt);
const state = {
  nonce: 7n,
  timeout: 3600n,
  transfersRoot: ZeroHash,
  assets: [{ asset: ZeroAddress, balanceAlice: 3n, balanceBob: 4n, processedAlice: 5n, processedBob: 2n, defundNonce: 1n }],
};
const chainId = BigInt(input.chainId);
const signature = await new Wallet(input.key).signTypedData(channelDomain(chainId, channel), CHANNEL_STATE_TYPES, state);
const abiSelector = new Interface(factoryAbi).getFunction("channelAddress").selector;
const typechainSelector = ChannelFactory__factory.createInterface().getFunction("channelAddress").selector;
// Every subpath of the exports map loads (the wildcard ones are data files, read above).
const subpaths = {};
for (const key of Object.keys(pkg.exports)) {
  if (key.includes("*") || key === "./package.json") continue;
  const name = key === "." ? "@switchyard/protocol" : "@switchyard/protocol" + key.slice(1);
  subpaths[key] = Object.keys(await import(name)).length;
}
console.log(JSON.stringify({
  subpaths,
  channel,
  signature,
  digest: channelStateDigest(chainId, channel, state),
  abiSelector,
  typechainSelector,
  abiNames: Object.keys(abiIndex),
  sdkExports: Object.keys(sdk).length,
  typechainNames: Object.keys(typechain),
  name: pkg.name,
}));
`;

const CONSUMER_TS = `
import * as sdk from "@switchyard/protocol";
import { computeChannelAddress } from "@switchyard/protocol/channel-address";
import { channelStateDigest, type ChannelState } from "@switchyard/protocol/typed-data";
import { ChannelFactory__factory, type ChannelFactory } from "@switchyard/protocol/typechain";
import { ZeroAddress, ZeroHash } from "ethers";

const state: ChannelState = { nonce: 1n, timeout: 60n, transfersRoot: ZeroHash, assets: [] };
const channel: string = computeChannelAddress(ZeroAddress, ZeroAddress, ZeroAddress, ZeroAddress, ZeroHash);
const digest: string = channelStateDigest(1n, channel, state);
const factory: ChannelFactory = ChannelFactory__factory.connect(ZeroAddress);
// @ts-expect-error the helper takes five arguments: the declarations are real, not any
computeChannelAddress(ZeroAddress);
// @ts-expect-error a state's nonce is a bigint
const bad: ChannelState = { nonce: "1", timeout: 60n, transfersRoot: ZeroHash, assets: [] };
export { sdk, digest, factory, bad };
`;

describe("the npm package (npm pack → install in a throwaway project outside the repo)", function () {
  this.timeout(240_000);
  let work: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "switchyard-package-"));
  });

  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it("packs, installs and works from plain ESM and from TypeScript", async () => {
    expect(path.relative(ROOT, work).startsWith("..")).to.equal(true);
    // `npm pack` runs the prepack hook: npm run build (contracts, abi/, dist/).
    await runNpm(["pack", "--pack-destination", work], ROOT, 180_000);
    const tarballs = (await readdir(work)).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).to.have.length(1);
    const tarball = path.join(work, tarballs[0] ?? "");

    const project = path.join(work, "consumer");
    await mkdir(project);
    const ethersVersion = (
      JSON.parse(await readFile(path.join(ROOT, "node_modules", "ethers", "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
    await writeFile(
      path.join(project, "package.json"),
      JSON.stringify({
        name: "switchyard-consumer",
        private: true,
        type: "module",
        dependencies: { "@switchyard/protocol": `file:${tarball}`, ethers: ethersVersion },
      }),
    );
    await runNpm(["install", "--prefer-offline", "--ignore-scripts"], project, 120_000);

    // What the tarball holds: built JS and declarations, ABIs; no sources, tests or local deployments.
    const installed = path.join(project, "node_modules", "@switchyard", "protocol");
    for (const file of [
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/protocol/channelAddress.js",
      "dist/src/protocol/index.js",
      "dist/src/chain/index.js",
      "dist/src/wire/index.js",
      "dist/src/client/index.js",
      "dist/src/node/index.js",
      "dist/src/browser.js",
      "dist/src/stores/indexeddb/index.js",
      "dist/src/signers/index.js",
      "dist/src/cli/main.js",
      "dist/typechain-types/index.js",
      "abi/ChannelFactory.json",
      "LICENSE",
      "docs/SDK.md",
      "docs/PROTOCOL.md",
      "docs/SECURITY.md",
    ]) {
      expect(existsSync(path.join(installed, file)), file).to.equal(true);
    }
    for (const absent of [
      "src",
      "test",
      "contracts",
      "scripts",
      "deployments/hardhat",
      "deployments/localhost",
      "node_modules",
      // the test contracts' bindings (harnesses, mocks) are not published
      "dist/typechain-types/test",
      "dist/typechain-types/factories/test",
    ]) {
      expect(existsSync(path.join(installed, absent)), absent).to.equal(false);
    }

    // The ESM consumer, against a real factory on the embedded network.
    const { ethers } = await hre.network.create();
    const factory = await ethers.deployContract("ChannelFactory", [
      [{ asset: ZeroAddress, channelCapacity: parseEther("1"), transferCap: parseEther("1") }],
      60n,
      3600n,
    ]);
    const wallet = Wallet.createRandom();
    const input = {
      factory: await factory.getAddress(),
      mastercopy: await factory.mastercopy(),
      alice: wallet.address,
      bob: Wallet.createRandom().address,
      salt: id("package test"),
      key: wallet.privateKey,
      chainId: "31337",
    };
    await writeFile(path.join(project, "check.mjs"), CONSUMER_ESM);
    const esm = await runOk(process.execPath, ["check.mjs", JSON.stringify(input)], {
      cwd: project,
      timeoutMs: 30_000,
    });
    const out = JSON.parse(esm.stdout.trim()) as Record<string, unknown>;
    const channel = await factory.channelAddress(input.alice, input.bob, input.salt);
    expect(out.channel).to.equal(channel);
    expect(out.channel).to.equal(
      computeChannelAddress(input.factory, input.mastercopy, input.alice, input.bob, input.salt),
    );
    const state = {
      nonce: 7n,
      timeout: 3600n,
      transfersRoot: ZeroHash,
      assets: [
        { asset: ZeroAddress, balanceAlice: 3n, balanceBob: 4n, processedAlice: 5n, processedBob: 2n, defundNonce: 1n },
      ],
    };
    expect(out.digest).to.equal(channelStateDigest(31337n, channel, state));
    expect(verifyTypedData(channelDomain(31337n, channel), CHANNEL_STATE_TYPES, state, String(out.signature))).to.equal(
      wallet.address,
    );
    expect(out.abiSelector).to.equal(factory.interface.getFunction("channelAddress").selector);
    expect(out.typechainSelector).to.equal(out.abiSelector);
    expect(out.abiNames).to.include.members([
      "ChannelFactory",
      "ChannelMastercopy",
      "HashlockResolver",
      "SignedTransferResolver",
      "IChannel",
    ]);
    expect(out.sdkExports).to.be.above(10);
    const typechainNames = out.typechainNames as string[];
    expect(typechainNames).to.include.members(["ChannelFactory__factory", "HashlockResolver__factory", "factories"]);
    expect(typechainNames.filter((n) => /Mock|Harness|Token__factory|^test$/.test(n))).to.deep.equal([]);
    expect(out.name).to.equal("@switchyard/protocol");
    // One subpath per room of src/, each loading from the tarball with something exported.
    const subpaths = out.subpaths as Record<string, number>;
    expect(Object.keys(subpaths)).to.include.members([".", ...ROOMS, ...NODE_ONLY]);
    for (const [key, count] of Object.entries(subpaths)) expect(count, key).to.be.above(0);

    // The TypeScript consumer: the declarations resolve through the exports map and are precise.
    await writeFile(path.join(project, "check.ts"), CONSUMER_TS);
    await writeFile(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ["check.ts"],
      }),
    );
    // A wallet's bundler: "@switchyard/protocol" under the browser condition is the browser entry, no Node.js built-in.
    await writeFile(
      path.join(project, "wallet.mjs"),
      `import { Channel, Eip1193Signer, IndexedDbStore } from "@switchyard/protocol";\nexport { Channel, Eip1193Signer, IndexedDbStore };\n`,
    );
    const bundled = await build({
      entryPoints: [path.join(project, "wallet.mjs")],
      absWorkingDir: project,
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const bundledInputs = Object.keys(bundled.metafile.inputs);
    expect(bundledInputs).to.include("node_modules/@switchyard/protocol/dist/src/browser.js");
    expect(bundledInputs).to.not.include("node_modules/@switchyard/protocol/dist/src/index.js");
    const bundledImports = Object.values(bundled.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(bundledImports.filter((p) => p.startsWith("node:"))).to.deep.equal([]);
    // Every subpath but the Node.js-only ones bundles for a browser without a Node.js built-in.
    const exportsMap = (JSON.parse(await readFile(path.join(installed, "package.json"), "utf8")) as { exports: object })
      .exports;
    const browserSafe = Object.keys(exportsMap).filter(
      (k) => !k.includes("*") && k !== "./package.json" && !NODE_ONLY.includes(k),
    );
    expect(browserSafe).to.include.members(ROOMS.filter((r) => !NODE_ONLY.includes(r)));
    for (const key of browserSafe) {
      const name = key === "." ? "@switchyard/protocol" : `@switchyard/protocol${key.slice(1)}`;
      const entry = path.join(project, `entry-${key.replace(/\W+/g, "_")}.mjs`);
      await writeFile(entry, `export * from "${name}";\n`);
      const result = await build({
        entryPoints: [entry],
        absWorkingDir: project,
        bundle: true,
        platform: "browser",
        format: "esm",
        write: false,
        metafile: true,
        logLevel: "silent",
      }).catch((error: unknown) => {
        throw new Error(`${name} does not bundle for a browser: ${(error as Error).message}`);
      });
      const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
      expect(
        imports.filter((p) => p.startsWith("node:")),
        name,
      ).to.deep.equal([]);
    }

    // The operator's command: the `switchyard` bin is installed and answers --help without a config.
    const help = await runOk(path.join(project, "node_modules", ".bin", "switchyard"), ["node", "--help"], {
      cwd: project,
      timeoutMs: 60_000,
    });
    expect(help.stdout).to.contain("Usage: switchyard node --config <file>");

    const tsc = require.resolve("typescript/bin/tsc");
    await runOk(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project, timeoutMs: 60_000 });
  });
});
