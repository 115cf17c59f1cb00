/**
 * `npm run demo:web [-- --port <n>]`: the web wallet on a local Switchyard network. Starts the stack
 * (scripts/lib/stack.ts: the embedded chain on a loopback JSON-RPC port, Switchyard deployed, the node
 * service as a child process), bundles the page (web/, with esbuild: scripts/lib/web-bundle.ts says why not
 * Vite) and serves it on 127.0.0.1 (scripts/lib/web-server.ts: the page, the chain's JSON-RPC at /rpc, the
 * node's WebSocket at /v1, a faucet for the page's test keys). Prints the URL and runs until Ctrl-C (or
 * SIGTERM), then stops the server, the node and the chain.
 *
 * Flags: `--port <n>` (default 0: a free port), `--help`. Anything else is refused with a message and exit
 * code 2, before anything heavy is loaded (Hardhat, the stack and the bundler are imported after the flags).
 */
import { parseArgs } from "node:util";

import type { WalletConfig } from "../web/src/config.js";
import type { Stack } from "./lib/stack.js";
import type { WebBundle } from "./lib/web-bundle.js";
import type { WebServer } from "./lib/web-server.js";

const USAGE = `usage: npm run demo:web [-- --port <n>]

  --port <n>   serve the page on 127.0.0.1:<n> (default: a free port)
  --help       print this and exit`;

/** Each test key the faucet funds gets this much (it pays its deposits and their gas). */
const FAUCET_WEI = 5n * 10n ** 18n;
/** The node stops by itself after this long (the watchdog stops it earlier when this process ends). */
const NODE_LIFETIME_MS = 8 * 3_600_000;

/** The flags, or a message saying what is wrong with them. */
function parseFlags(argv: readonly string[]): { port: number; help: boolean } | { error: string } {
  let values: { port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { port: { type: "string" }, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help === true) return { port: 0, help: true };
  const text = values.port ?? "0";
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535)
    return { error: `--port must be a port number from 0 to 65535 (0: a free one), not "${text}"` };
  return { port: Number(text), help: false };
}

async function serve(stack: Stack, bundle: WebBundle, port: number): Promise<WebServer> {
  const [{ formatEther, getAddress }, { startWebServer }] = await Promise.all([
    import("ethers"),
    import("./lib/web-server.js"),
  ]);
  const node = new URL(stack.node.ws);
  const config: WalletConfig = {
    chainId: stack.chain.chainId.toString(),
    node: getAddress(stack.node.address),
    faucetWei: FAUCET_WEI.toString(),
    addresses: stack.deployment.addresses,
  };
  // One faucet transfer at a time: the faucet account's nonces stay in order.
  let queue: Promise<unknown> = Promise.resolve();
  const faucet = (address: string): Promise<string> => {
    const sent = queue.then(async () => {
      const tx = await stack.faucet.sendTransaction({ to: address, value: FAUCET_WEI });
      const receipt = await tx.wait();
      if (receipt?.status !== 1) throw new Error(`the transfer ${tx.hash} reverted`);
      console.log(`faucet: ${formatEther(FAUCET_WEI)} ETH to ${address}`);
      return tx.hash;
    });
    queue = sent.catch(() => undefined);
    return sent;
  };
  const server = await startWebServer({
    port,
    files: bundle.files,
    config,
    chainUrl: stack.chain.url,
    node: { host: node.hostname, port: Number(node.port) },
    faucet,
  });
  console.log(`page bundled with esbuild (${(bundle.bytes / 1024).toFixed(0)} KiB)`);
  return server;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  if ("error" in flags) {
    console.error(`demo:web: ${flags.error}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  // Installed first: a Ctrl-C while the stack starts stops it once started (the stack cleans up after itself).
  let signalled = false;
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const)
      process.once(signal, () => {
        signalled = true;
        resolve();
      });
  });
  console.log("starting the chain, deploying Switchyard, starting the node…");
  const { default: hre } = await import("hardhat");
  // The page is bundled while the stack starts.
  const bundling = import("./lib/web-bundle.js").then((m) => m.bundleWebWallet(hre.config.paths.root));
  bundling.catch(() => undefined); // awaited (and reported) below
  const { startStack } = await import("./lib/stack.js");
  const stack = await startStack({ hre, users: [], node: { lifetimeMs: NODE_LIFETIME_MS } });
  let server: WebServer | undefined;
  try {
    if (signalled) return 0;
    server = await serve(stack, await bundling, flags.port);
    console.log(`chain ${stack.chain.chainId} (embedded) at ${stack.chain.url}`);
    console.log(`node ${stack.node.address} at ${stack.node.ws}`);
    console.log(`for a browser wallet: add the network ${server.url}rpc (chain id ${stack.chain.chainId})`);
    console.log(`\nweb wallet: ${server.url}\n(Ctrl-C stops it)`);
    await stopped;
    console.log("stopping…");
    return 0;
  } finally {
    await server?.close();
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo:web failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
