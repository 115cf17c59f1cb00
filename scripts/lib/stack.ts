/**
 * A whole local Switchyard network for `npm run demo`, `npm run demo:web`, the examples and their tests:
 *
 *   1. the chain: Hardhat's embedded network (in this process), served on a loopback JSON-RPC port
 *      (scripts/lib/rpc-bridge.ts) so the node process and a browser page reach the same chain; or a local
 *      node on 127.0.0.1 (anvil, `hardhat node`) given as a Hardhat `http` network connection;
 *   2. Switchyard deployed on it exactly as `npx hardhat deploy` does (Ignition, create2), its records written
 *      to a temporary folder (never to deployments/), optionally a demo ERC-20 deployed first and capped in the
 *      deployment's limits so the node may hold collateral in it;
 *   3. the node service (src/cli/main.ts) as a real child process under the watchdog, listening on
 *      127.0.0.1 port 0, with a throw-away key, a SQLite store, a collateral policy and fees;
 *   4. funded throw-away test keys for the users.
 *
 * Why the embedded network and not anvil (scripts/lib/local-node.ts): nothing to install (anvil comes from npm
 * on first use), the gas figures are Hardhat's own (the same as reports/gas.json), and the whole chain lives
 * in this process, so it cannot outlive it. `stop()` stops the node, the bridge and the connection.
 *
 * Every key here is derived from a public seed: never use one for anything but a local chain.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import { Wallet, ZeroAddress, id, keccak256, type Signer } from "ethers";

import { MockERC20__factory } from "../../typechain-types/index.js";
import type { RpcProvider } from "./demo-chain.js";
import { type DeploymentResult, deploySwitchyard, parametersFileFor } from "./deployment.js";
import { startNodeService, type NodeProcess } from "./node-process.js";
import { type SwitchyardParameters, loadParameters } from "./parameters.js";
import { type RpcBridge, startRpcBridge } from "./rpc-bridge.js";

/** A collateral policy of the node for one asset (src/node/config.ts "collateral"). */
export interface CollateralPolicy {
  min: bigint;
  target: bigint;
  max: bigint;
}

/** The node's fee for one asset: `flat` + `ppm` parts per million of the amount. */
export interface FeePolicy {
  flat: bigint;
  ppm: bigint;
}

/** A demo ERC-20 (contracts/test/mocks/MockERC20.sol), minted to every user and to the node. */
export interface TokenOptions {
  name: string;
  symbol: string;
  decimals: number;
  /** Minted to each user. */
  perUser: bigint;
  /** Minted to the node (its collateral). */
  forNode: bigint;
  /** The deployment's caps for it. Default: capacity 10⁶ tokens, transfer cap 10⁵ tokens. */
  channelCapacity?: bigint;
  transferCap?: bigint;
}

export interface StackOptions {
  /** The script's Hardhat runtime. */
  hre: HardhatRuntimeEnvironment;
  /**
   * The chain: a connection to an embedded (edr-simulated) network, served on a loopback port by the stack, or
   * to a local node (`--network localhost`: anvil or `hardhat node` on 127.0.0.1). Default: a new embedded
   * network, closed by stop().
   */
  connection?: NetworkConnection;
  /** The users' names: each gets a funded test key. Default ["Maya", "Theo"]. */
  users?: readonly string[];
  /** ETH each user gets. Default 10 ETH. */
  userEth?: bigint;
  /** ETH the node's key gets (gas and ETH collateral). Default 50 ETH. */
  nodeEth?: bigint;
  /** Deploy a demo ERC-20 too. Default: none. */
  token?: TokenOptions;
  node?: {
    /** The node's name (its /v1/info). Default "Switchyard local node". */
    name?: string;
    /** Collateral policies for ETH and the token. Default ETH: min 1, target 5, max 20 ETH; token: none. */
    collateral?: { eth?: CollateralPolicy; token?: CollateralPolicy };
    /** Fees for ETH and the token. Default: none (0). */
    fees?: { eth?: FeePolicy; token?: FeePolicy };
    /** The dispute timeout of the node's channels (seconds). Default 3600. */
    channelTimeout?: bigint;
    /** How often the node's watchers poll the chain. Default 1 s. */
    watcherPollSeconds?: number;
    /** The node stops by itself after this long. Default 10 minutes. */
    lifetimeMs?: number;
  };
  /** Progress lines (deployment). Default: none. */
  log?: (line: string) => void;
}

/** A throw-away key with a name, funded on the local chain. */
export interface TestKey {
  name: string;
  address: string;
  privateKey: string;
}

export interface Stack {
  chain: {
    /** The chain's JSON-RPC URL on 127.0.0.1 (for other processes and browser pages). */
    url: string;
    chainId: number;
    /** This process's connection to the chain and its ethers provider (no HTTP hop). */
    connection: NetworkConnection;
    provider: RpcProvider;
    /** Moves the chain's clock forward and mines a block; returns the new latest timestamp. */
    advanceTime(seconds: bigint): Promise<bigint>;
  };
  deployment: DeploymentResult & {
    params: SwitchyardParameters;
    /** The first block the stack mined (the token's or the deployment's first transaction). */
    firstBlock: number;
  };
  /** The demo token, when one was asked for. */
  token?: { address: string; symbol: string; decimals: number };
  node: {
    /** ws://127.0.0.1:<port>/v1: what a client connects to. */
    ws: string;
    /** http://127.0.0.1:<port>: /v1/info, /health, /ready, /metrics. */
    http: string;
    /** The node's on-chain address (the protocol's `alice` of its channels). */
    address: string;
    pid: number;
    output(): string;
    logs(): Array<Record<string, unknown>>;
    /** Stops the node process alone (the chain stays up); stop() does it too. */
    stop(): Promise<void>;
  };
  /** The node's key (a demo may act as a misbehaving operator with it). */
  nodeKey: TestKey;
  /** The users' funded keys, in the order of `options.users`. */
  users: TestKey[];
  /** The chain's first unlocked account (deployed everything, funded every key), as a signer. */
  faucet: Signer;
  /** A scratch folder for stores and records, removed by stop(). */
  dir: string;
  /** Stops the node process, the RPC port and (if the stack opened it) the connection; removes `dir`. */
  stop(): Promise<void>;
}

/** A test key derived from a public seed: `name` on chain `seed`. Local chains only. */
export function testKey(name: string, seed = "switchyard local stack"): TestKey {
  const privateKey = keccak256(id(`${seed}: ${name}`));
  return { name, address: new Wallet(privateKey).address, privateKey };
}

const NODE_KEY_ENV = "SWITCHYARD_STACK_NODE_KEY";
const ETH = 10n ** 18n;

/** Starts the chain port, deploys, funds, starts the node. On failure everything started is stopped again. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { hre, log = () => undefined } = options;
  const ownConnection = options.connection === undefined;
  const connection = options.connection ?? (await hre.network.create());
  const dir = await mkdtemp(path.join(tmpdir(), "switchyard-stack-"));
  const provider: RpcProvider = connection.ethers.provider;
  let bridge: RpcBridge | undefined;
  let node: NodeProcess | undefined;
  let journal: string | undefined;
  const stop = async (): Promise<void> => {
    await node?.stop();
    await bridge?.close();
    if (ownConnection) await connection.close();
    await rm(dir, { recursive: true, force: true });
    if (journal !== undefined) await rm(journal, { recursive: true, force: true });
  };
  try {
    let url: string;
    if (connection.networkConfig.type === "edr-simulated") {
      bridge = await startRpcBridge(connection.provider);
      url = bridge.url;
    } else {
      url = await connection.networkConfig.url.get();
      if (!/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(url))
        throw new Error(`the stack runs on a local chain only, not on ${connection.networkName} (${url})`);
    }
    const chainId = Number((await provider.getNetwork()).chainId);
    const [deployer] = await connection.ethers.getSigners();
    if (deployer === undefined) throw new Error(`the network ${connection.networkName} has no unlocked account`);
    // Not a NonceManager: Ignition sends from this account too, and every send here is awaited in turn.
    const faucet: Signer = deployer;
    const firstBlock = (await provider.getBlockNumber()) + 1;

    const params = await loadParameters(parametersFileFor(hre, connection.networkName));
    let token: Stack["token"];
    if (options.token !== undefined) {
      const t = options.token;
      const contract = await new MockERC20__factory(faucet).deploy(t.name, t.symbol, t.decimals);
      await contract.waitForDeployment();
      token = { address: await contract.getAddress(), symbol: t.symbol, decimals: t.decimals };
      const unit = 10n ** BigInt(t.decimals);
      params.limits.push({
        asset: token.address,
        channelCapacity: t.channelCapacity ?? 1_000_000n * unit,
        transferCap: t.transferCap ?? 100_000n * unit,
      });
    }
    // On a local node, Ignition keeps a journal under ignition/deployments/: one of the stack's own (removed by
    // stop()), so that a deployment made there with other parameters (`npx hardhat deploy`) is left alone.
    if (connection.networkConfig.type !== "edr-simulated") {
      journal = path.join(hre.config.paths.ignition, "deployments", `switchyard-stack-${process.pid}-${Date.now()}`);
    }
    const result = await deploySwitchyard(hre, connection, params, {
      log,
      deploymentsDir: path.join(dir, "deployments"),
      ...(journal !== undefined ? { deploymentId: path.basename(journal) } : {}),
    });

    const nodeKey = testKey("node");
    const users = (options.users ?? ["Maya", "Theo"]).map((name) => testKey(name));
    const send = async (to: string, value: bigint): Promise<void> => {
      const receipt = await (await faucet.sendTransaction({ to, value })).wait();
      if (receipt?.status !== 1) throw new Error(`funding ${to} failed`);
    };
    await send(nodeKey.address, options.nodeEth ?? 50n * ETH);
    for (const u of users) await send(u.address, options.userEth ?? 10n * ETH);
    if (token !== undefined && options.token !== undefined) {
      const contract = MockERC20__factory.connect(token.address, faucet);
      await (await contract.mint(nodeKey.address, options.token.forNode)).wait();
      for (const u of users) await (await contract.mint(u.address, options.token.perUser)).wait();
    }

    const n = options.node ?? {};
    const ethPolicy = n.collateral?.eth ?? { min: ETH, target: 5n * ETH, max: 20n * ETH };
    const policies = [{ asset: ZeroAddress, ...ethPolicy }];
    if (token !== undefined && n.collateral?.token !== undefined)
      policies.push({ asset: token.address, ...n.collateral.token });
    const fees: Array<FeePolicy & { asset: string }> = [];
    if (n.fees?.eth !== undefined) fees.push({ asset: ZeroAddress, ...n.fees.eth });
    if (token !== undefined && n.fees?.token !== undefined) fees.push({ asset: token.address, ...n.fees.token });
    const text = (v: bigint): string => v.toString();
    const config = {
      name: n.name ?? "Switchyard local node",
      listen: { host: "127.0.0.1", port: 0 },
      chain: { rpcUrl: url, chainId },
      deployment: { records: result.recordsDir },
      key: { privateKeyEnv: NODE_KEY_ENV },
      store: path.join(dir, "node.sqlite"),
      channelTimeout: text(n.channelTimeout ?? 3_600n),
      collateral: policies.map((p) => ({ asset: p.asset, min: text(p.min), target: text(p.target), max: text(p.max) })),
      fees: {
        default: { flat: "0", ppm: "0" },
        assets: fees.map((f) => ({ asset: f.asset, flat: text(f.flat), ppm: text(f.ppm) })),
      },
      watcher: { pollSeconds: n.watcherPollSeconds ?? 1 },
      transactions: { receiptPollMs: 200 },
      log: { level: "info" },
    };
    const configFile = path.join(dir, "node.json");
    await writeFile(configFile, JSON.stringify(config, null, 2));
    node = await startNodeService({
      config: configFile,
      env: { ...process.env, [NODE_KEY_ENV]: nodeKey.privateKey },
      ...(n.lifetimeMs !== undefined ? { lifetimeMs: n.lifetimeMs } : {}),
    });
    const started = node;

    const stack: Stack = {
      chain: {
        url,
        chainId,
        connection,
        provider,
        advanceTime: async (seconds) => {
          await provider.send("evm_increaseTime", [Number(seconds)]);
          await provider.send("evm_mine", []);
          const block = await provider.getBlock("latest");
          if (block === null) throw new Error("the chain returned no latest block");
          return BigInt(block.timestamp);
        },
      },
      deployment: { ...result, params, firstBlock },
      node: {
        ws: started.ws,
        http: started.http,
        address: nodeKey.address,
        pid: started.pid,
        output: () => started.output(),
        logs: () => started.logs(),
        stop: () => started.stop(),
      },
      nodeKey,
      users,
      faucet,
      dir,
      stop,
    };
    if (token !== undefined) stack.token = token;
    return stack;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
