/**
 * Fixtures of the SDK tests that run against the contracts on the embedded network: a deployment, funded
 * wallets, channels opened and funded on chain with both parties' SDK `Channel`s, a clock that follows the
 * chain's time, and balance helpers.
 */
import { network } from "hardhat";
import { Wallet, ZeroAddress, id, parseEther, type Provider, type Signer } from "ethers";

import { Channel, type Proposal } from "../../../src/channel/channel.js";
import { ChannelReader } from "../../../src/chain/reader.js";
import { hashlockPolicy } from "../../../src/protocol/policies.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { MemoryChannelStore, type ChannelStore } from "../../../src/stores/store.js";
import type { DeploymentLimits, UpdateDetails } from "../../../src/protocol/types.js";
import type { ChannelFactory } from "../../../typechain-types/index.js";

export const HOUR = 3_600n;
export const DAY = 86_400n;

export type Net = Awaited<ReturnType<typeof network.create>>;

export interface Env {
  net: Net;
  provider: Provider;
  chainId: bigint;
  factory: ChannelFactory;
  factoryAddress: string;
  hashlock: string;
  limits: DeploymentLimits;
  clock: Clock;
  funder: Signer;
}

/** Unix time as the chain sees it (latest block), refreshed with `sync()`. */
export class Clock {
  value = 0n;
  constructor(private readonly provider: Provider) {}
  readonly now = (): bigint => this.value;
  async sync(): Promise<bigint> {
    const block = await this.provider.getBlock("latest");
    if (block === null) throw new Error("no block");
    this.value = BigInt(block.timestamp);
    return this.value;
  }
}

/** Deploys the factory (1 h .. 7 d timeouts, ETH capacity 100, transfer cap 10) and the hashlock resolver. */
export async function deployEnv(): Promise<Env> {
  const net = await network.create();
  const { ethers } = net;
  const [funder] = await ethers.getSigners();
  if (funder === undefined) throw new Error("no account");
  const limitsList = [{ asset: ZeroAddress, channelCapacity: parseEther("100"), transferCap: parseEther("10") }];
  const factory = (await ethers.deployContract("ChannelFactory", [
    limitsList,
    HOUR,
    7n * DAY,
  ])) as unknown as ChannelFactory;
  const hashlock = await (await ethers.deployContract("HashlockResolver")).getAddress();
  const provider = ethers.provider as unknown as Provider;
  const { chainId } = await provider.getNetwork();
  const limits: DeploymentLimits = {
    minTimeout: HOUR,
    maxTimeout: 7n * DAY,
    assets: new Map([[ZeroAddress, { channelCapacity: parseEther("100"), transferCap: parseEther("10") }]]),
  };
  const clock = new Clock(provider);
  await clock.sync();
  return {
    net,
    provider,
    chainId,
    factory,
    factoryAddress: await factory.getAddress(),
    hashlock,
    limits,
    clock,
    funder,
  };
}

/** A fresh wallet on the embedded network with 100 ETH. */
export async function wallet(env: Env, name: string): Promise<Wallet> {
  const w = new Wallet(id(`switchyard onchain ${name}`), env.provider);
  await env.net.networkHelpers.setBalance(w.address, parseEther("100"));
  return w;
}

export async function balance(env: Env, address: string): Promise<bigint> {
  return env.provider.getBalance(address);
}

export interface OnChainPair {
  address: string;
  alice: Channel;
  bob: Channel;
  aliceStore: ChannelStore;
  bobStore: ChannelStore;
  aliceWallet: Wallet;
  bobWallet: Wallet;
  reader: ChannelReader;
}

export interface PairOptions {
  salt: string;
  aliceEth?: bigint;
  bobEth?: bigint;
  timeout?: bigint;
}

/** Opens a channel on chain (bob's plain deposit, alice's create-and-deposit), both SDK sides, deposits reconciled. */
export async function openPair(
  env: Env,
  aliceWallet: Wallet,
  bobWallet: Wallet,
  options: PairOptions,
): Promise<OnChainPair> {
  const salt = id(options.salt);
  const factory = env.factory.connect(aliceWallet);
  const address = await factory.channelAddress(aliceWallet.address, bobWallet.address, salt);
  const bobEth = options.bobEth ?? 0n;
  const aliceEth = options.aliceEth ?? 0n;
  if (bobEth > 0n) await (await bobWallet.sendTransaction({ to: address, value: bobEth })).wait();
  if (aliceEth > 0n) {
    await (
      await factory.createChannelAndDeposit(aliceWallet.address, bobWallet.address, salt, ZeroAddress, aliceEth, {
        value: aliceEth,
      })
    ).wait();
  } else {
    await (await factory.createChannel(aliceWallet.address, bobWallet.address, salt)).wait();
  }
  const reader = new ChannelReader(env.provider, address);
  const setup = {
    chainId: env.chainId,
    channel: address,
    alice: aliceWallet.address,
    bob: bobWallet.address,
    timeout: options.timeout ?? HOUR,
  };
  const common = {
    setup,
    limits: env.limits,
    resolvers: [hashlockPolicy(env.hashlock)],
    clock: env.clock.now,
    chain: env.provider,
    deposits: reader.deposits(),
  };
  const aliceStore = new MemoryChannelStore();
  const bobStore = new MemoryChannelStore();
  const alice = await Channel.create({ ...common, me: "alice", signer: walletSigner(aliceWallet), store: aliceStore });
  const bob = await Channel.create({ ...common, me: "bob", signer: walletSigner(bobWallet), store: bobStore });
  if (aliceEth > 0n || bobEth > 0n) await exchange(alice, bob, await alice.proposeDeposit(ZeroAddress));
  return { address, alice, bob, aliceStore, bobStore, aliceWallet, bobWallet, reader };
}

/** Delivers a proposal from `from` to `to` and completes it. */
export async function exchange(from: Channel, to: Channel, proposal: Proposal): Promise<void> {
  await from.complete(await to.receive(proposal));
}

/** One full update proposed by `from`. */
export async function update(from: Channel, to: Channel, details: UpdateDetails): Promise<void> {
  await exchange(from, to, await from.propose(details));
}

/** Advances the chain by `seconds` (one new block) and syncs the clock. */
export async function travel(env: Env, seconds: bigint): Promise<bigint> {
  await env.net.networkHelpers.time.increase(seconds);
  return env.clock.sync();
}

/** Moves the chain's next block to `timestamp` (mined) and syncs the clock. */
export async function travelTo(env: Env, timestamp: bigint): Promise<bigint> {
  await env.net.networkHelpers.time.increaseTo(timestamp);
  return env.clock.sync();
}

/** Sends a raw `{ to, data }` request and waits for it; returns the gas cost paid by `signer`. */
export async function send(signer: Signer, request: { to: string; data: string }): Promise<bigint> {
  const tx = await signer.sendTransaction({ to: request.to, data: request.data });
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  return receipt.gasUsed * receipt.gasPrice;
}
