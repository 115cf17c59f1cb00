/**
 * The channel life cycle of `npm run demo` and of the anvil end-to-end test, through the SDK, against a deployed
 * Switchyard on any JSON-RPC chain (the embedded Hardhat network, `hardhat node`, anvil):
 *
 *   Alice (user) ──── channel Alice–Node ──── Node (routing node) ──── channel Node–Bob ──── Bob (user)
 *
 * The node is the protocol's `alice` in both channels (tracked deposits, `createChannelAndDeposit`), the users
 * are its `bob` (plain transfers to the counterfactual address). Every party keeps its channels in its own
 * SQLite store (SqliteStore, one file per party: the SDK's default embedded store); every update goes proposer → receiver → proposer as JSON, as it would over a network.
 * The SDK does the protocol work: `Channel` (updates), `Node` (routing Alice → Node → Bob), `Watcher` (Bob's:
 * refute, defund, claim on chain), `Commitments` (withdraw and close calldata), `ChannelReader` (chain reads).
 * The parties' keys are throw-away keys derived from a seed; never use them for anything else.
 *
 * Each step checks every balance on chain: the ETH and token balances of the three parties' wallets (net of the
 * gas each paid, read back from the mined blocks) and of both channels must move by exactly what the step says,
 * and nothing else may move. A step that finds anything else throws a DemoError.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";

import {
  Wallet,
  ZeroAddress,
  getAddress,
  id,
  keccak256,
  parseEther,
  parseUnits,
  toUtf8Bytes,
  type Signer,
} from "ethers";

import {
  type ChannelRecord,
  type DeploymentLimits,
  type Proposal,
  type SignedState,
  type Transfer,
  type UpdateDetails,
  Channel,
  DEFAULT_SAFETY_MARGIN,
  decodeJson,
  encodeHashlockResolution,
  encodeHashlockTerms,
  encodeJson,
  hashChannelStateStruct,
  hashlockLock,
  hashlockPolicy,
  walletSigner,
  ChannelReader,
  Commitments,
  Node,
  Watcher,
  channelInterface,
  disputeCall,
  hashlockTerms,
  hashlockTransfer,
  transferId,
  type Acknowledgement,
  type PeerLink,
  type TickReport,
} from "../../src/index.js";
import { computeChannelAddress } from "../../src/protocol/channelAddress.js";
import { SqliteStore } from "../../src/stores/sqlite/index.js";
import {
  ChannelFactory__factory,
  ChannelMastercopy__factory,
  MockERC20__factory,
  type MockERC20,
} from "../../typechain-types/index.js";

import {
  ChainClock,
  DemoError,
  GasLedger,
  check,
  checkEqual,
  formatAmount,
  type GasEntry,
  type RpcProvider,
} from "./demo-chain.js";

// ───────────────────────────── the plan ─────────────────────────────

export type PartyName = "Alice" | "Node" | "Bob";
export type ChannelName = "Alice–Node" | "Node–Bob";
export type AccountName = PartyName | ChannelName;

export const PARTIES: readonly PartyName[] = ["Alice", "Node", "Bob"];
export const CHANNELS: readonly ChannelName[] = ["Alice–Node", "Node–Bob"];
export const ACCOUNTS: readonly AccountName[] = [...PARTIES, ...CHANNELS];

export const TOKEN_SYMBOL = "DUSD" as const;
export const TOKEN_DECIMALS = 6;
const dusd = (amount: string): bigint => parseUnits(amount, TOKEN_DECIMALS);

/** ETH and token amounts. */
export interface Holdings {
  eth: bigint;
  token: bigint;
}

/** A payment routed Alice → Node → Bob: Bob receives `amount`, Alice pays `amount + fee`. */
export interface PlannedPayment {
  asset: "ETH" | "DUSD";
  amount: bigint;
}

type AssetSymbol = PlannedPayment["asset"];

/** What the life cycle moves; fixed so that every expected balance is known in advance. */
export interface Plan {
  /** Each channel's dispute timeout (seconds): one consensus phase, one defund phase. */
  channelTimeout: bigint;
  /** The settlement window of each hashlock transfer after its on-chain dispute. */
  transferTimeout: bigint;
  /** What the faucet gives each party before the start. */
  wallets: Record<PartyName, Holdings>;
  /** What each user sends to its channel's address before the channel exists. */
  userDeposits: Record<"Alice" | "Bob", Holdings>;
  /** What the node deposits into each channel (ETH with the creation, then the token). */
  nodeDeposit: Holdings;
  /** Payments routed and completed off chain. */
  payments: readonly PlannedPayment[];
  /** Bob's cooperative withdraw of the token from Node–Bob. */
  bobWithdraw: bigint;
  /** The last payment: locked on both hops when Bob goes silent; Bob's watcher settles it on chain. */
  inFlight: PlannedPayment;
  /** The node's flat fee per forwarded payment, by asset. */
  fees: Record<AssetSymbol, bigint>;
}

export const PLAN: Plan = {
  channelTimeout: 3_600n,
  transferTimeout: 1_800n,
  wallets: {
    Alice: { eth: parseEther("10"), token: dusd("1500") },
    Node: { eth: parseEther("50"), token: dusd("5000") },
    Bob: { eth: parseEther("2"), token: dusd("200") },
  },
  userDeposits: {
    Alice: { eth: parseEther("5"), token: dusd("1000") },
    Bob: { eth: parseEther("1"), token: dusd("100") },
  },
  nodeDeposit: { eth: parseEther("10"), token: dusd("2000") },
  payments: [
    { asset: "ETH", amount: parseEther("0.25") },
    { asset: TOKEN_SYMBOL, amount: dusd("40") },
    { asset: "ETH", amount: parseEther("0.4") },
    { asset: TOKEN_SYMBOL, amount: dusd("12.5") },
    { asset: "ETH", amount: parseEther("0.1") },
    { asset: TOKEN_SYMBOL, amount: dusd("75") },
    { asset: "ETH", amount: parseEther("0.35") },
    { asset: TOKEN_SYMBOL, amount: dusd("20") },
  ],
  bobWithdraw: dusd("60"),
  inFlight: { asset: "ETH", amount: parseEther("0.7") },
  fees: { ETH: parseEther("0.0005"), [TOKEN_SYMBOL]: dusd("0.05") },
};

/** The node's fee for forwarding a payment of `asset`: what Alice pays on top of what Bob receives. */
export function routingFee(asset: AssetSymbol): bigint {
  return PLAN.fees[asset];
}

/** The steps of the life cycle, in order; `title` is what a progress line says before the step runs. */
export const LIFE_CYCLE_STEPS = [
  { id: "fund", title: "fund the parties' wallets and deploy the demo token" },
  { id: "counterfactual", title: "users fund their channels' addresses before the channels exist" },
  { id: "open", title: "the node creates both channels and deposits" },
  { id: "reconcile", title: "both channels reconcile their deposits off chain" },
  { id: "pay", title: "hashlock payments routed Alice → Node → Bob" },
  { id: "withdraw", title: "Bob withdraws cooperatively" },
  { id: "inFlight", title: "one more payment is locked on both hops; Bob goes silent" },
  { id: "dispute", title: "the node disputes Node–Bob with a stale state" },
  { id: "refute", title: "Bob's watcher refutes with the latest state" },
  { id: "wait", title: "time passes: the consensus phase ends" },
  { id: "defund", title: "Bob's watcher defunds the channel and settles the open hashlock" },
  { id: "upstream", title: "the node learns the preimage on chain and unlocks upstream" },
  { id: "close", title: "Alice and the node close Alice–Node cooperatively" },
] as const;
export type StepId = (typeof LIFE_CYCLE_STEPS)[number]["id"];

// ───────────────────────────── configuration and results ─────────────────────────────

/** Where Switchyard is deployed. */
export interface SwitchyardAddresses {
  ChannelFactory: string;
  ChannelMastercopy: string;
  HashlockResolver: string;
}

export interface LifeCycleOptions {
  /**
   * The chain. Reads must not be cached: each step reads balances right after its transactions (for ethers'
   * JsonRpcProvider pass `cacheTimeout: -1`; hardhat-ethers' provider does not cache).
   */
  provider: RpcProvider;
  /** An account with ETH (a dev node's first account): funds the parties, deploys and mints the demo token. */
  faucet: Signer;
  contracts: SwitchyardAddresses;
  /** A fresh directory for the parties' stores. */
  storeDir: string;
  /** Distinguishes the parties' keys between runs on the same chain (default: the faucet's nonce). */
  seed?: string;
  /** Receives a detail line for each thing a step did. */
  log?: (line: string) => void;
  /** Numbers the steps in the gas ledger from `firstStep` (default 1). */
  firstStep?: number;
}

/** One account's balances at the start and the end. */
export interface AccountResult {
  name: AccountName;
  address: string;
  start: Holdings;
  end: Holdings;
  /** ETH fees this account paid (parties only). */
  gas: bigint;
  /** end − start (+ gas for ETH): what the life cycle moved to (+) or from (−) the account. */
  net: Holdings;
  /** What the plan says `net` must be. */
  expected: Holdings;
}

export interface LifeCycleSummary {
  chainId: bigint;
  token: { address: string; symbol: string; decimals: number };
  parties: Record<PartyName, string>;
  channels: Record<ChannelName, string>;
  offChainUpdates: number;
  routedPayments: number;
  accounts: AccountResult[];
  /** Σ net over all accounts: zero when the books balance (nothing created or lost). */
  totals: Holdings;
  dispute: {
    staleNonce: bigint;
    latestNonce: bigint;
    /** The nonce the channel recorded after Bob's watcher answered (= latestNonce when refuted). */
    recordedAfterRefute: bigint;
    refuted: boolean;
  };
  /** What the defund of Node–Bob paid each side (pushed; `kept` is what stayed behind as claims). */
  exits: { node: Holdings; bob: Holdings; kept: Holdings };
  /** The in-flight hashlock Bob's watcher settled on chain. */
  settledOnChain: { amount: bigint; toBob: bigint };
  gas: GasEntry[];
}

// ───────────────────────────── internals ─────────────────────────────

interface Party {
  name: PartyName;
  wallet: Wallet;
  store: SqliteStore;
}

/** One channel: the node's Channel (protocol alice) and the user's (protocol bob). */
interface ChannelPair {
  name: ChannelName;
  address: string;
  salt: string;
  user: Party;
  node: Channel;
  peer: Channel;
  reader: ChannelReader;
}

/** An update's messages go over the wire as JSON (bigints tagged), as between two processes. */
function wire<T>(message: T): T {
  return decodeJson<T>(encodeJson(message));
}

const zero = (): Holdings => ({ eth: 0n, token: 0n });

export class LifeCycle {
  private readonly clock: ChainClock;
  private readonly ledger: GasLedger;
  private readonly log: (line: string) => void;
  private token!: MockERC20;
  private tokenAddress = "";
  private parties!: Record<PartyName, Party>;
  private channels!: Record<ChannelName, ChannelPair>;
  private node!: Node;
  /** Bob's invoices: lock hash → preimage (he reveals it only to claim). */
  private readonly invoices = new Map<string, string>();
  private bobWatcher!: Watcher;
  private chainId = 0n;
  private seed = "";
  private limits!: DeploymentLimits;
  private updates = 0;
  private routed = 0;
  private stepNumber: number;
  private done = new Set<StepId>();
  private failed: StepId | undefined;
  private start: Map<AccountName, Holdings> | undefined;
  private last = new Map<AccountName, Holdings>();
  private paidByAlice: Holdings = zero();
  private receivedByBob: Holdings = zero();
  private fees: Holdings = zero();
  private stale: SignedState | undefined;
  private inFlight: { preimage: string; downstreamId: string; upstreamId: string; amount: bigint } | undefined;
  private disputeInfo = { staleNonce: 0n, latestNonce: 0n, recordedAfterRefute: 0n, refuted: false };
  private exits = { node: zero(), bob: zero(), kept: zero() };
  private settled = { amount: 0n, toBob: 0n };

  constructor(private readonly options: LifeCycleOptions) {
    this.clock = new ChainClock(options.provider);
    this.ledger = new GasLedger(options.provider);
    this.log = options.log ?? (() => undefined);
    this.stepNumber = (options.firstStep ?? 1) - 1;
  }

  /** Every account's address (after the "fund" step). */
  addresses(): Record<AccountName, string> {
    if (!this.done.has("fund")) throw new DemoError('the accounts exist once the "fund" step ran');
    return Object.fromEntries(ACCOUNTS.map((name) => [name, this.addressOf(name)])) as Record<AccountName, string>;
  }

  /** The gas of every transaction so far. */
  get gas(): readonly GasEntry[] {
    return this.ledger.entries;
  }

  /** Runs step `id` (steps run once, in order); returns its progress line (without the counter). */
  async run(id: StepId): Promise<string> {
    const index = LIFE_CYCLE_STEPS.findIndex((s) => s.id === id);
    const previous = LIFE_CYCLE_STEPS.slice(0, index).find((s) => !this.done.has(s.id));
    if (this.failed !== undefined) throw new DemoError(`step "${id}" not run: step "${this.failed}" failed`);
    if (previous !== undefined) throw new DemoError(`step "${id}" needs step "${previous.id}" first`);
    if (this.done.has(id)) throw new DemoError(`step "${id}" already ran`);
    this.stepNumber++;
    try {
      const line = await this.steps[id]();
      this.done.add(id);
      return line;
    } catch (error) {
      this.failed = id;
      throw error;
    }
  }

  /** Closes the parties' stores (each SQLite file is checkpointed and its writer lock released). */
  async closeStores(): Promise<void> {
    if (this.parties === undefined) return;
    for (const party of PARTIES) await this.parties[party].store.close();
  }

  /** Runs every step in order, calling `progress` after each with its line. */
  async runAll(progress: (id: StepId, line: string) => void = () => undefined): Promise<LifeCycleSummary> {
    for (const step of LIFE_CYCLE_STEPS) progress(step.id, await this.run(step.id));
    return this.summary();
  }

  private readonly steps: Record<StepId, () => Promise<string>> = {
    fund: () => this.fund(),
    counterfactual: () => this.counterfactual(),
    open: () => this.open(),
    reconcile: () => this.reconcile(),
    pay: () => this.pay(),
    withdraw: () => this.withdraw(),
    inFlight: () => this.lockInFlight(),
    dispute: () => this.dispute(),
    refute: () => this.refute(),
    wait: () => this.wait(),
    defund: () => this.defund(),
    upstream: () => this.upstream(),
    close: () => this.close(),
  };

  // ───────────────────────────── steps ─────────────────────────────

  private async fund(): Promise<string> {
    const { provider, faucet, contracts } = this.options;
    this.chainId = (await provider.getNetwork()).chainId;
    const faucetAddress = getAddress(await faucet.getAddress());
    const seed = (this.seed =
      this.options.seed ?? `${this.chainId}:${faucetAddress}:${await provider.getTransactionCount(faucetAddress)}`);
    const wallet = (name: PartyName): Wallet =>
      new Wallet(keccak256(toUtf8Bytes(`switchyard demo ${seed} ${name}`)), provider);
    const parties = {} as Record<PartyName, Party>;
    for (const name of PARTIES) {
      await mkdir(this.options.storeDir, { recursive: true });
      const file = path.join(this.options.storeDir, `${name.toLowerCase()}.db`);
      parties[name] = { name, wallet: wallet(name), store: await SqliteStore.open(file) };
    }
    this.parties = parties;
    this.ledger.name(faucetAddress, "Faucet");
    for (const p of PARTIES) this.ledger.name(parties[p].wallet.address, p);
    this.ledger.decodeWith(channelInterface);
    this.ledger.decodeWith(ChannelFactory__factory.createInterface());
    this.ledger.decodeWith(MockERC20__factory.createInterface());
    await this.ledger.start();

    for (const p of PARTIES) {
      check(
        (await provider.getBalance(parties[p].wallet.address)) === 0n,
        `${p}'s fresh account ${parties[p].wallet.address} already holds ETH`,
      );
    }
    this.token = await new MockERC20__factory(faucet).deploy("Demo Dollar", TOKEN_SYMBOL, TOKEN_DECIMALS);
    const deployTx = this.token.deploymentTransaction();
    if (deployTx !== null) await this.ledger.mined(deployTx, `deploy ${TOKEN_SYMBOL} (MockERC20)`);
    this.tokenAddress = getAddress(await this.token.getAddress());
    this.ledger.decodeWith(this.token.interface);
    for (const p of PARTIES) {
      const { eth, token } = PLAN.wallets[p];
      await this.ledger.mined(faucet.sendTransaction({ to: parties[p].wallet.address, value: eth }), `fund ${p}`);
      await this.ledger.mined(
        this.token.connect(faucet).mint(parties[p].wallet.address, token),
        `mint ${TOKEN_SYMBOL} to ${p}`,
      );
    }

    // The deployment's limits, as the SDK checks them (IDeploymentConfig).
    const factory = ChannelFactory__factory.connect(contracts.ChannelFactory, provider);
    const capped = await factory.cappedAssets();
    this.limits = {
      minTimeout: await factory.minTimeout(),
      maxTimeout: await factory.maxTimeout(),
      assets: new Map(
        capped.map((l) => [getAddress(l.asset), { channelCapacity: l.channelCapacity, transferCap: l.transferCap }]),
      ),
    };
    check(
      getAddress(await factory.mastercopy()) === getAddress(contracts.ChannelMastercopy),
      "the factory's mastercopy is not the deployment's",
    );

    // The two channels, at their counterfactual addresses.
    const node = parties.Node;
    const pair = async (name: ChannelName, user: Party): Promise<ChannelPair> => {
      const salt = id(`switchyard demo ${name}`);
      const address = computeChannelAddress(
        contracts.ChannelFactory,
        contracts.ChannelMastercopy,
        node.wallet.address,
        user.wallet.address,
        salt,
      );
      checkEqual(
        BigInt(await factory.channelAddress(node.wallet.address, user.wallet.address, salt)),
        BigInt(address),
        `${name}'s address (SDK vs factory)`,
      );
      const reader = new ChannelReader(provider, address);
      const setup = {
        chainId: this.chainId,
        channel: address,
        alice: node.wallet.address,
        bob: user.wallet.address,
        timeout: PLAN.channelTimeout,
      };
      const common = {
        setup,
        limits: this.limits,
        resolvers: [hashlockPolicy(contracts.HashlockResolver)],
        clock: () => this.clock.now(),
        chain: provider,
        deposits: reader.deposits(),
      };
      const nodeChannel = await Channel.create({
        ...common,
        me: "alice",
        signer: walletSigner(node.wallet),
        store: node.store,
      });
      const userChannel = await Channel.create({
        ...common,
        me: "bob",
        signer: walletSigner(user.wallet),
        store: user.store,
      });
      this.ledger.name(address, `channel ${name}`);
      return { name, address, salt, user, node: nodeChannel, peer: userChannel, reader };
    };
    this.channels = {
      "Alice–Node": await pair("Alice–Node", parties.Alice),
      "Node–Bob": await pair("Node–Bob", parties.Bob),
    };

    // The node routes between its two channels; it reaches each peer through a link (here: in process, as JSON).
    this.node = new Node({
      address: node.wallet.address,
      hashlock: contracts.HashlockResolver,
      clock: () => this.clock.now(),
    });
    const alice = this.channels["Alice–Node"].peer;
    const bob = this.channels["Node–Bob"].peer;
    const aliceLink: PeerLink = { receive: async (proposal) => wire(await alice.receive(wire(proposal))) };
    const bobLink: PeerLink = { receive: (proposal) => this.bobReceives(wire(proposal)) };
    this.node.addPeer(parties.Alice.wallet.address, this.channels["Alice–Node"].node, aliceLink);
    this.node.addPeer(parties.Bob.wallet.address, this.channels["Node–Bob"].node, bobLink);
    this.bobWatcher = new Watcher({
      provider,
      sender: parties.Bob.wallet,
      channel: this.channels["Node–Bob"].address,
      store: parties.Bob.store,
    });

    await this.endStep({});
    this.start = new Map(this.last);
    for (const p of PARTIES) {
      const held = this.last.get(p) as Holdings;
      checkEqual(held.eth, PLAN.wallets[p].eth, `${p}'s ETH at the start`);
      checkEqual(held.token, PLAN.wallets[p].token, `${p}'s ${TOKEN_SYMBOL} at the start`);
    }
    for (const c of CHANNELS) {
      const held = this.last.get(c) as Holdings;
      check(held.eth === 0n && held.token === 0n, `channel ${c} holds funds before the demo`);
    }
    this.log(`Alice ${parties.Alice.wallet.address}, Node ${node.wallet.address}, Bob ${parties.Bob.wallet.address}`);
    this.log(
      `${TOKEN_SYMBOL} (MockERC20, ${TOKEN_DECIMALS} decimals) at ${this.tokenAddress}; stores in ${this.options.storeDir}`,
    );
    return `funded Alice, Node and Bob (${this.eth(PLAN.wallets.Node.eth)} ETH, ${this.tok(PLAN.wallets.Node.token)} ${TOKEN_SYMBOL} for the node) and deployed ${TOKEN_SYMBOL}`;
  }

  private async counterfactual(): Promise<string> {
    const expected: Partial<Record<AccountName, Holdings>> = {};
    for (const [user, channel] of [
      ["Alice", "Alice–Node"],
      ["Bob", "Node–Bob"],
    ] as const) {
      const pair = this.channels[channel];
      check((await this.options.provider.getCode(pair.address)) === "0x", `${channel} exists before it was created`);
      const { eth, token } = PLAN.userDeposits[user];
      const wallet = this.parties[user].wallet;
      await this.ledger.mined(
        wallet.sendTransaction({ to: pair.address, value: eth }),
        `${user}: ETH to the ${channel} address`,
      );
      await this.ledger.mined(
        this.token.connect(wallet).transfer(pair.address, token),
        `${user}: ${TOKEN_SYMBOL} to the ${channel} address`,
      );
      expected[user] = { eth: -eth, token: -token };
      expected[channel] = { eth, token };
      this.log(
        `${user} sent ${this.eth(eth)} ETH and ${this.tok(token)} ${TOKEN_SYMBOL} to ${pair.address} (no code there yet)`,
      );
    }
    await this.endStep(expected);
    return `Alice and Bob funded their channel addresses by plain transfers before the channels exist`;
  }

  private async open(): Promise<string> {
    const node = this.parties.Node.wallet;
    const factory = ChannelFactory__factory.connect(this.options.contracts.ChannelFactory, node);
    const token = this.token.connect(node);
    const { eth, token: tokens } = PLAN.nodeDeposit;
    for (const name of CHANNELS) {
      const pair = this.channels[name];
      await this.ledger.mined(
        factory.createChannelAndDeposit(node.address, pair.user.wallet.address, pair.salt, ZeroAddress, eth, {
          value: eth,
        }),
        `Node: create ${name} + deposit ETH`,
      );
      check((await this.options.provider.getCode(pair.address)) !== "0x", `${name} has no code after its creation`);
      await this.ledger.mined(token.approve(pair.address, tokens), `Node: approve ${TOKEN_SYMBOL} to ${name}`);
      const channel = ChannelMastercopy__factory.connect(pair.address, node);
      await this.ledger.mined(
        channel.depositAlice(this.tokenAddress, tokens),
        `Node: deposit ${TOKEN_SYMBOL} into ${name}`,
      );
      const user = PLAN.userDeposits[pair.user.name as "Alice" | "Bob"];
      checkEqual(await pair.reader.totalDepositsAlice(ZeroAddress), eth, `${name}: the node's ETH deposits`);
      checkEqual(
        await pair.reader.totalDepositsBob(ZeroAddress),
        user.eth,
        `${name}: ${pair.user.name}'s ETH deposits`,
      );
      checkEqual(
        await pair.reader.totalDepositsAlice(this.tokenAddress),
        tokens,
        `${name}: the node's ${TOKEN_SYMBOL} deposits`,
      );
      checkEqual(
        await pair.reader.totalDepositsBob(this.tokenAddress),
        user.token,
        `${name}: ${pair.user.name}'s ${TOKEN_SYMBOL} deposits`,
      );
      this.log(
        `${name} created at ${pair.address}: node ${this.eth(eth)} ETH + ${this.tok(tokens)} ${TOKEN_SYMBOL}, ${pair.user.name} ${this.eth(user.eth)} ETH + ${this.tok(user.token)} ${TOKEN_SYMBOL}`,
      );
    }
    await this.endStep({
      Node: { eth: -2n * eth, token: -2n * tokens },
      "Alice–Node": { eth, token: tokens },
      "Node–Bob": { eth, token: tokens },
    });
    return `the node created both channels with its ETH deposit in one call each, then deposited ${TOKEN_SYMBOL}`;
  }

  private async reconcile(): Promise<string> {
    for (const name of CHANNELS) {
      const pair = this.channels[name];
      for (const asset of [ZeroAddress, this.tokenAddress]) {
        const proposal = wire(await pair.node.proposeDeposit(asset));
        await this.deliver(pair.node, pair.peer, proposal);
      }
      const user = PLAN.userDeposits[pair.user.name as "Alice" | "Bob"];
      this.checkOffChain(name, { eth: PLAN.nodeDeposit.eth, token: PLAN.nodeDeposit.token }, user);
    }
    // The node keeps this early state of Node–Bob: in it, none of Bob's incoming payments exist yet.
    this.stale = wire(this.channels["Node–Bob"].node.latest as SignedState);
    await this.endStep({});
    return `deposit updates co-signed: both channels' states hold ETH and ${TOKEN_SYMBOL} (nonce ${this.stale.state.nonce})`;
  }

  private async pay(): Promise<string> {
    const start = this.updates;
    for (const payment of PLAN.payments) {
      const { preimage, lockHash, downstreamId } = await this.lockRoute(payment);
      // Bob unlocks downstream with the preimage; the node learns it and unlocks upstream with Alice at once.
      const bob = this.channels["Node–Bob"].peer;
      const down = bob.transfers.get(downstreamId);
      check(down !== undefined, `the downstream lock ${downstreamId} is not active on Bob's side`);
      const unlock = wire(
        await bob.propose({
          type: "resolve",
          transferId: downstreamId,
          toResponder: down.transfer.amount,
          resolverData: encodeHashlockResolution(preimage),
        }),
      );
      const ack = wire(await this.node.receive(this.parties.Bob.wallet.address, unlock));
      await bob.complete(ack);
      this.updates += 2; // Bob's unlock downstream, the node's unlock upstream
      const routed = this.node.payment(lockHash);
      check(
        routed?.status === "completed",
        () =>
          `payment ${lockHash} is ${routed?.status ?? "unknown"} at the node, not completed${routed?.error ? `: ${routed.error}` : ""}`,
      );
      this.book(payment);
      this.log(
        `paid ${this.describe(payment)} to Bob (fee ${this.describeAmount(payment.asset, routingFee(payment.asset))}); lock ${lockHash.slice(0, 10)}…`,
      );
    }
    this.checkPaymentsOffChain();
    await this.endStep({});
    const n = PLAN.payments.length;
    return `${n} hashlock payments routed Alice → Node → Bob in ${this.updates - start} off-chain updates (4 per payment)`;
  }

  private async withdraw(): Promise<string> {
    const pair = this.channels["Node–Bob"];
    const bob = this.parties.Bob.wallet;
    const amount = PLAN.bobWithdraw;
    const nonce = pair.peer.snapshot().nextWithdrawNonce;
    const details: UpdateDetails = {
      type: "withdraw",
      party: "bob",
      commitment: {
        asset: this.tokenAddress,
        recipient: bob.address,
        amount,
        nonce,
        callTo: ZeroAddress,
        callData: "0x",
      },
    };
    await this.deliver(pair.peer, pair.node, wire(await pair.peer.propose(details)));
    const call = (await Commitments.load(this.parties.Bob.store, pair.address)).withdraw(nonce);
    await this.ledger.mined(bob.sendTransaction({ to: call.to, data: call.data }), `Bob: withdraw ${TOKEN_SYMBOL}`);
    check(await pair.reader.isWithdrawExecuted(nonce), `withdraw nonce ${nonce} is not spent on chain`);
    await this.endStep({ Bob: { eth: 0n, token: amount }, "Node–Bob": { eth: 0n, token: -amount } });
    return `Bob withdrew ${this.tok(amount)} ${TOKEN_SYMBOL}: withdraw update (nonce ${pair.peer.state.nonce}) + co-signed commitment executed on chain`;
  }

  private async lockInFlight(): Promise<string> {
    const payment = PLAN.inFlight;
    const { preimage, upstreamId, downstreamId } = await this.lockRoute(payment);
    this.inFlight = { preimage, upstreamId, downstreamId, amount: payment.amount + routingFee(payment.asset) };
    await this.endStep({});
    const latest = this.channels["Node–Bob"].peer.state.nonce;
    return `${this.describe(payment)} locked Alice → Node → Bob; Bob holds the preimage and goes silent at nonce ${latest}`;
  }

  private async dispute(): Promise<string> {
    const pair = this.channels["Node–Bob"];
    const stale = this.stale;
    check(stale !== undefined, "no stale state kept");
    const node = this.parties.Node.wallet;
    // The node plays it wrong: it disputes with an old co-signed state in which it still had Bob's payments.
    const call = disputeCall(pair.address, stale);
    await this.ledger.mined(node.sendTransaction({ to: call.to, data: call.data }), "Node: dispute with a stale state");
    const onChain = await pair.reader.dispute();
    checkEqual(onChain.nonce, stale.state.nonce, "the disputed nonce");
    check(
      onChain.stateHash === hashChannelStateStruct(stale.state).toLowerCase(),
      "the channel did not record the stale state",
    );
    this.disputeInfo.staleNonce = stale.state.nonce;
    this.disputeInfo.latestNonce = pair.peer.state.nonce;
    this.log(
      `consensus phase until ${onChain.consensusExpiry}, defund phase until ${onChain.defundExpiry} (chain time ${await this.clock.refresh()})`,
    );
    await this.endStep({});
    return `the node disputed Node–Bob with the stale nonce ${stale.state.nonce} (Bob's latest is ${pair.peer.state.nonce})`;
  }

  private async refute(): Promise<string> {
    const pair = this.channels["Node–Bob"];
    const before = await pair.reader.dispute();
    const report = await this.bobWatcher.tick();
    this.logReport(report);
    const refute = report.actions.find((a) => a.kind === "refute");
    check(refute !== undefined, () => `Bob's watcher did not refute the stale dispute (${skipped(report)})`);
    const after = await pair.reader.dispute();
    checkEqual(after.nonce, pair.peer.state.nonce, "the nonce recorded after the refute");
    checkEqual(
      after.consensusExpiry,
      before.consensusExpiry,
      "the consensus expiry after the refute (a refute does not extend it)",
    );
    this.disputeInfo.recordedAfterRefute = after.nonce;
    this.disputeInfo.refuted = after.nonce === this.disputeInfo.latestNonce && after.nonce > before.nonce;
    await this.endStep({});
    return `Bob's watcher refuted nonce ${before.nonce} with nonce ${after.nonce}`;
  }

  private async wait(): Promise<string> {
    const pair = this.channels["Node–Bob"];
    const { consensusExpiry, defundExpiry } = await pair.reader.dispute();
    const now = await this.clock.refresh();
    // The next block is mined at least one second later: it is the first of the defund phase.
    const wait = consensusExpiry > now ? consensusExpiry - now : 0n;
    const after = await this.clock.advance(wait);
    check(
      after >= consensusExpiry && after < defundExpiry,
      `chain time ${after} is not in the defund phase [${consensusExpiry}, ${defundExpiry})`,
    );
    await this.endStep({});
    return `time passed: chain time +${after - now} s, the consensus phase is over (defund phase until ${defundExpiry})`;
  }

  private async defund(): Promise<string> {
    const pair = this.channels["Node–Bob"];
    const latest = pair.peer.latest as SignedState;
    const inFlight = this.inFlight;
    check(inFlight !== undefined, "no payment in flight");
    const report = await this.bobWatcher.tick();
    this.logReport(report);
    for (const kind of ["defund", "disputeTransfer", "claimTransfer"] as const) {
      check(
        report.actions.some((a) => a.kind === kind),
        () => `Bob's watcher did not ${kind} (${skipped(report)})`,
      );
    }
    // What the latest state pays each side: its balance plus deposits it has not processed (none here).
    const owed = (asset: string): { node: bigint; bob: bigint } => {
      const a = latest.state.assets.find((x) => getAddress(x.asset) === getAddress(asset));
      if (a === undefined) throw new DemoError(`the latest state of Node–Bob does not list ${asset}`);
      return { node: a.balanceAlice, bob: a.balanceBob };
    };
    const eth = owed(ZeroAddress);
    const tok = owed(this.tokenAddress);
    this.exits.node = { eth: eth.node, token: tok.node };
    this.exits.bob = { eth: eth.bob, token: tok.bob };
    const node = this.parties.Node.wallet.address;
    const bob = this.parties.Bob.wallet.address;
    this.exits.kept = {
      eth: (await pair.reader.exitOf(ZeroAddress, node)) + (await pair.reader.exitOf(ZeroAddress, bob)),
      token: (await pair.reader.exitOf(this.tokenAddress, node)) + (await pair.reader.exitOf(this.tokenAddress, bob)),
    };
    checkEqual(this.exits.kept.eth + this.exits.kept.token, 0n, "claims kept instead of paid (exits)");
    const record = await pair.reader.transfer(inFlight.downstreamId);
    check(record.settled, "the in-flight hashlock is not settled on chain");
    const settledLog = (await this.transferSettledLogs(inFlight.downstreamId))[0];
    check(settledLog !== undefined, "no TransferSettled event for the in-flight lock");
    const event = channelInterface.parseLog(settledLog);
    check(event !== null, "unreadable TransferSettled event");
    this.settled = { amount: PLAN.inFlight.amount, toBob: BigInt(event.args[1] as bigint) };
    checkEqual(this.settled.toBob, PLAN.inFlight.amount, "what the hashlock settlement paid Bob");
    checkEqual(BigInt(event.args[2] as bigint), 0n, "what the hashlock settlement returned to the node");
    const channelEth = -(eth.node + eth.bob + this.settled.toBob);
    await this.endStep({
      Node: { eth: eth.node, token: tok.node },
      Bob: { eth: eth.bob + this.settled.toBob, token: tok.bob },
      "Node–Bob": { eth: channelEth, token: -(tok.node + tok.bob) },
    });
    const held = this.last.get("Node–Bob") as Holdings;
    check(
      held.eth === 0n && held.token === 0n,
      `Node–Bob still holds ${held.eth} wei and ${held.token} ${TOKEN_SYMBOL} units after the defund`,
    );
    return (
      `Bob's watcher defunded ETH and ${TOKEN_SYMBOL} (node +${this.eth(eth.node)} ETH +${this.tok(tok.node)} ${TOKEN_SYMBOL}, ` +
      `Bob +${this.eth(eth.bob)} ETH +${this.tok(tok.bob)} ${TOKEN_SYMBOL}) and claimed the open ${this.eth(this.settled.toBob)} ETH hashlock with the preimage`
    );
  }

  private async upstream(): Promise<string> {
    const inFlight = this.inFlight;
    check(inFlight !== undefined, "no payment in flight");
    // The node finds Bob's on-chain claim of the downstream lock and reads the preimage from its calldata.
    const log = (await this.transferSettledLogs(inFlight.downstreamId))[0];
    check(log !== undefined, "no TransferSettled event for the in-flight lock");
    const tx = await this.options.provider.getTransaction(log.transactionHash);
    const parsed = tx === null ? null : channelInterface.parseTransaction({ data: tx.data });
    check(parsed !== null && parsed.name === "defundTransfer", "the settling transaction is not a defundTransfer call");
    const resolverData = String(parsed.args[1]);
    check(resolverData === encodeHashlockResolution(inFlight.preimage), "the preimage read on chain is not the lock's");
    this.log(`the node read the preimage from ${log.transactionHash.slice(0, 12)}… (defundTransfer calldata)`);
    // The node's SDK has no entry for a preimage learned on chain: the node claims through its upstream channel.
    const alice = this.channels["Alice–Node"].peer;
    const nodeUp = this.node.channel(this.parties.Alice.wallet.address);
    await nodeUp.learnResolution(inFlight.upstreamId, resolverData);
    const claim = wire(
      await nodeUp.propose({
        type: "resolve",
        transferId: inFlight.upstreamId,
        toResponder: inFlight.amount,
        resolverData,
      }),
    );
    await nodeUp.complete(wire(await alice.receive(claim)));
    this.updates++;
    check(alice.transfers.get(inFlight.upstreamId) === undefined, "the upstream lock is still active");
    this.book(PLAN.inFlight);
    await this.endStep({});
    return `the node read the preimage from Bob's on-chain claim and unlocked the upstream ${this.describe(PLAN.inFlight)} (+ fee) from Alice off chain`;
  }

  private async close(): Promise<string> {
    const pair = this.channels["Alice–Node"];
    await this.deliver(pair.node, pair.peer, wire(await pair.node.propose({ type: "close" })));
    check(pair.node.isClosed && pair.peer.isClosed, "the channel is not closed off chain");
    const call = (await Commitments.load(this.parties.Node.store, pair.address)).close();
    const final = (await this.record(this.parties.Node, pair.address)).final;
    check(final !== undefined, "the node's store has no final state");
    await this.ledger.mined(
      this.parties.Node.wallet.sendTransaction({ to: call.to, data: call.data }),
      "Node: close Alice–Node",
    );
    const owed = (asset: string): { node: bigint; alice: bigint } => {
      const a = final.state.assets.find((x) => getAddress(x.asset) === getAddress(asset));
      if (a === undefined) throw new DemoError(`the final state of Alice–Node does not list ${asset}`);
      return { node: a.balanceAlice, alice: a.balanceBob };
    };
    const eth = owed(ZeroAddress);
    const tok = owed(this.tokenAddress);
    this.checkOffChain(
      "Alice–Node",
      { eth: PLAN.nodeDeposit.eth + this.paidByAlice.eth, token: PLAN.nodeDeposit.token + this.paidByAlice.token },
      {
        eth: PLAN.userDeposits.Alice.eth - this.paidByAlice.eth,
        token: PLAN.userDeposits.Alice.token - this.paidByAlice.token,
      },
    );
    await this.endStep({
      Node: { eth: eth.node, token: tok.node },
      Alice: { eth: eth.alice, token: tok.alice },
      "Alice–Node": { eth: -(eth.node + eth.alice), token: -(tok.node + tok.alice) },
    });
    const held = this.last.get("Alice–Node") as Holdings;
    check(held.eth === 0n && held.token === 0n, "Alice–Node still holds funds after the close");
    return `closed with the final state (nonce ${final.state.nonce}): Alice +${this.eth(eth.alice)} ETH +${this.tok(tok.alice)} ${TOKEN_SYMBOL}, node +${this.eth(eth.node)} ETH +${this.tok(tok.node)} ${TOKEN_SYMBOL}`;
  }

  // ───────────────────────────── the summary ─────────────────────────────

  /** The balances from start to end; throws a DemoError unless everything adds up exactly. */
  summary(): LifeCycleSummary {
    const unfinished = LIFE_CYCLE_STEPS.find((s) => !this.done.has(s.id));
    if (unfinished !== undefined) throw new DemoError(`the life cycle stopped before step "${unfinished.id}"`);
    const start = this.start as Map<AccountName, Holdings>;
    const expected: Record<AccountName, Holdings> = {
      Alice: { eth: -this.paidByAlice.eth, token: -this.paidByAlice.token },
      Node: { ...this.fees },
      Bob: { ...this.receivedByBob },
      "Alice–Node": zero(),
      "Node–Bob": zero(),
    };
    const accounts = ACCOUNTS.map((name): AccountResult => {
      const s = start.get(name) as Holdings;
      const e = this.last.get(name) as Holdings;
      const gas = PARTIES.includes(name as PartyName) ? this.ledger.feesOf(name) : 0n;
      return {
        name,
        address: this.addressOf(name),
        start: s,
        end: e,
        gas,
        net: { eth: e.eth - s.eth + gas, token: e.token - s.token },
        expected: expected[name],
      };
    });
    const totals = accounts.reduce((t, a) => ({ eth: t.eth + a.net.eth, token: t.token + a.net.token }), zero());
    for (const a of accounts) {
      checkEqual(a.net.eth, a.expected.eth, `${a.name}'s ETH change net of gas`, (v) => `${this.eth(v)} ETH`);
      checkEqual(
        a.net.token,
        a.expected.token,
        `${a.name}'s ${TOKEN_SYMBOL} change`,
        (v) => `${this.tok(v)} ${TOKEN_SYMBOL}`,
      );
    }
    checkEqual(totals.eth, 0n, "ETH in minus ETH out over all accounts (net of gas)");
    checkEqual(totals.token, 0n, `${TOKEN_SYMBOL} in minus ${TOKEN_SYMBOL} out over all accounts`);
    checkEqual(
      this.receivedByBob.eth + this.fees.eth,
      this.paidByAlice.eth,
      "Alice's ETH payments = Bob's receipts + node fees",
    );
    checkEqual(
      this.receivedByBob.token + this.fees.token,
      this.paidByAlice.token,
      `Alice's ${TOKEN_SYMBOL} payments = Bob's receipts + node fees`,
    );
    check(this.disputeInfo.refuted, "the stale dispute was not refuted");
    return {
      chainId: this.chainId,
      token: { address: this.tokenAddress, symbol: TOKEN_SYMBOL, decimals: TOKEN_DECIMALS },
      parties: {
        Alice: this.parties.Alice.wallet.address,
        Node: this.parties.Node.wallet.address,
        Bob: this.parties.Bob.wallet.address,
      },
      channels: { "Alice–Node": this.channels["Alice–Node"].address, "Node–Bob": this.channels["Node–Bob"].address },
      offChainUpdates: this.updates,
      routedPayments: this.routed,
      accounts,
      totals,
      dispute: { ...this.disputeInfo },
      exits: { node: { ...this.exits.node }, bob: { ...this.exits.bob }, kept: { ...this.exits.kept } },
      settledOnChain: { ...this.settled },
      gas: [...this.ledger.entries],
    };
  }

  // ───────────────────────────── helpers ─────────────────────────────

  /** Locks a payment on both hops: Alice → Node upstream, and the node forwards Node → Bob (Bob issued the invoice). */
  private async lockRoute(
    payment: PlannedPayment,
  ): Promise<{ preimage: string; lockHash: string; upstreamId: string; downstreamId: string }> {
    this.routed++;
    const preimage = keccak256(toUtf8Bytes(`switchyard demo ${this.seed} preimage ${this.routed}`));
    const lockHash = hashlockLock(preimage); // Bob's invoice: he keeps the preimage, Alice gets the lock hash
    this.invoices.set(lockHash, preimage);
    const upstreamPair = this.channels["Alice–Node"];
    const now = this.clock.now();
    const margin = DEFAULT_SAFETY_MARGIN;
    // Bob needs T + margin to claim downstream on chain; the node T + margin more to claim upstream after that.
    const downstreamExpiry = now + PLAN.channelTimeout + 2n * margin;
    const upstreamExpiry = downstreamExpiry + PLAN.channelTimeout + margin;
    const up = hashlockTransfer({
      channel: upstreamPair.address,
      hashlock: this.options.contracts.HashlockResolver,
      asset: this.assetAddress(payment),
      amount: payment.amount + routingFee(payment.asset),
      initiator: this.parties.Alice.wallet.address,
      responder: this.parties.Node.wallet.address,
      timeout: PLAN.transferTimeout,
      lockHash,
      expiry: upstreamExpiry,
      salt: keccak256(toUtf8Bytes(`${preimage} upstream`)),
    });
    const alice = upstreamPair.peer;
    const proposal = wire(await alice.propose({ type: "create", transfer: up }));
    const route = { recipient: this.parties.Bob.wallet.address, expiry: downstreamExpiry, amount: payment.amount };
    const ack = wire(await this.node.receive(this.parties.Alice.wallet.address, proposal, route));
    await alice.complete(ack);
    this.updates += 2; // Alice's lock upstream, the node's lock downstream
    const routed = this.node.payment(lockHash);
    check(
      routed?.status === "forwarded" && routed.downstream !== undefined,
      () =>
        `the node did not forward lock ${lockHash}: ${routed?.status ?? "unknown"}${routed?.error ? ` (${routed.error})` : ""}`,
    );
    return { preimage, lockHash, upstreamId: routed.upstream.transferId, downstreamId: routed.downstream.transferId };
  }

  /** Bob's end of the node's link: he countersigns, and keeps the preimage of every lock offered for his invoices. */
  private async bobReceives(proposal: Proposal): Promise<Acknowledgement> {
    const bob = this.channels["Node–Bob"].peer;
    const details = proposal.update.details;
    let evidence: { id: string; resolverData: string } | undefined;
    if (details.type === "create") {
      const preimage = this.invoices.get(hashlockTerms(details.transfer.data).lockHash);
      if (preimage === undefined) throw new DemoError("the node offered Bob a lock he issued no invoice for");
      evidence = { id: transferId(details.transfer), resolverData: encodeHashlockResolution(preimage) };
    }
    const ack = await bob.receive(proposal);
    // Recorded for his watcher: it claims the lock on chain with it if Bob cannot.
    if (evidence !== undefined) await bob.learnResolution(evidence.id, evidence.resolverData);
    return wire(ack);
  }

  /** The Node–Bob channel's TransferSettled events of transfer `id`. */
  private async transferSettledLogs(id: string) {
    const topic = channelInterface.getEvent("TransferSettled")?.topicHash;
    check(topic !== undefined, "the ABI has no TransferSettled event");
    return this.options.provider.getLogs({
      address: this.channels["Node–Bob"].address,
      topics: [topic, id],
      fromBlock: 0,
    });
  }

  /** proposer → receiver → proposer, each message through the wire. */
  private async deliver(from: Channel, to: Channel, proposal: Proposal): Promise<void> {
    const ack = wire(await to.receive(proposal));
    await from.complete(ack);
    this.updates++;
  }

  private book(payment: PlannedPayment): void {
    const key = payment.asset === "ETH" ? "eth" : "token";
    const fee = routingFee(payment.asset);
    this.paidByAlice[key] += payment.amount + fee;
    this.receivedByBob[key] += payment.amount;
    this.fees[key] += fee;
  }

  /** Both sides of channel `name` hold the same latest state, with these balances (no transfer active). */
  private checkOffChain(name: ChannelName, node: Holdings, user: Holdings): void {
    const pair = this.channels[name];
    const nodeState = encodeJson(pair.node.state);
    check(nodeState === encodeJson(pair.peer.state), `the two sides of ${name} hold different states`);
    for (const [asset, key] of [
      [ZeroAddress, "eth"],
      [this.tokenAddress, "token"],
    ] as const) {
      const a = pair.node.state.assets.find((x) => getAddress(x.asset) === asset);
      check(a !== undefined, `${name}'s state does not list ${asset}`);
      checkEqual(
        a.balanceAlice,
        node[key],
        `${name}: the node's off-chain ${key === "eth" ? "ETH" : TOKEN_SYMBOL} balance`,
      );
      checkEqual(
        a.balanceBob,
        user[key],
        `${name}: ${pair.user.name}'s off-chain ${key === "eth" ? "ETH" : TOKEN_SYMBOL} balance`,
      );
    }
  }

  private checkPaymentsOffChain(): void {
    const { nodeDeposit, userDeposits } = PLAN;
    this.checkOffChain(
      "Alice–Node",
      { eth: nodeDeposit.eth + this.paidByAlice.eth, token: nodeDeposit.token + this.paidByAlice.token },
      { eth: userDeposits.Alice.eth - this.paidByAlice.eth, token: userDeposits.Alice.token - this.paidByAlice.token },
    );
    this.checkOffChain(
      "Node–Bob",
      { eth: nodeDeposit.eth - this.receivedByBob.eth, token: nodeDeposit.token - this.receivedByBob.token },
      { eth: userDeposits.Bob.eth + this.receivedByBob.eth, token: userDeposits.Bob.token + this.receivedByBob.token },
    );
  }

  /**
   * Ends a step: reads the step's transactions and every account's balances, and checks that each account moved
   * by exactly `expected` (ETH net of the gas it paid in this step; an account not named must not move).
   */
  private async endStep(expected: Partial<Record<AccountName, Holdings>>): Promise<void> {
    const entries = await this.ledger.scan(this.stepNumber);
    const now = await this.balances();
    await this.clock.refresh();
    if (this.start !== undefined) {
      for (const name of ACCOUNTS) {
        const before = this.last.get(name) as Holdings;
        const after = now.get(name) as Holdings;
        const gas = entries.filter((e) => e.payer === name).reduce((sum, e) => sum + e.fee, 0n);
        const want = expected[name] ?? zero();
        checkEqual(
          after.eth - before.eth + gas,
          want.eth,
          `${name}'s ETH change in step ${this.stepNumber} (net of ${gas} wei gas)`,
          (v) => `${this.eth(v)} ETH`,
        );
        checkEqual(
          after.token - before.token,
          want.token,
          `${name}'s ${TOKEN_SYMBOL} change in step ${this.stepNumber}`,
          (v) => `${this.tok(v)} ${TOKEN_SYMBOL}`,
        );
      }
    }
    this.last = now;
  }

  private async balances(): Promise<Map<AccountName, Holdings>> {
    const out = new Map<AccountName, Holdings>();
    for (const name of ACCOUNTS) {
      const address = this.addressOf(name);
      out.set(name, {
        eth: await this.options.provider.getBalance(address),
        token: await this.token.balanceOf(address),
      });
    }
    return out;
  }

  private addressOf(name: AccountName): string {
    return PARTIES.includes(name as PartyName)
      ? this.parties[name as PartyName].wallet.address
      : this.channels[name as ChannelName].address;
  }

  private async record(party: Party, channel: string): Promise<ChannelRecord> {
    const record = await party.store.load(channel);
    if (record === undefined) throw new DemoError(`${party.name}'s store does not hold ${channel}`);
    return record;
  }

  private logReport(report: TickReport): void {
    for (const a of report.actions) {
      this.ledger.label(a.txHash, `Bob's watcher: ${a.kind}${a.kind === "refute" ? " (disputeChannel)" : ""}`);
      this.log(
        `watcher (${report.phase} phase): ${a.kind}${a.assets ? ` [${a.assets.map((x) => this.assetName(x)).join(", ")}]` : ""}${a.transferId ? ` ${a.transferId.slice(0, 10)}…` : ""} tx ${a.txHash.slice(0, 12)}…`,
      );
    }
    for (const s of report.skipped) this.log(`watcher skipped ${s.kind}: ${s.reason}`);
  }

  private assetAddress(payment: PlannedPayment): string {
    return payment.asset === "ETH" ? ZeroAddress : this.tokenAddress;
  }

  private assetName(address: string): string {
    return getAddress(address) === ZeroAddress
      ? "ETH"
      : getAddress(address) === this.tokenAddress
        ? TOKEN_SYMBOL
        : address;
  }

  private describe(payment: PlannedPayment): string {
    return this.describeAmount(payment.asset, payment.amount);
  }

  private describeAmount(asset: PlannedPayment["asset"], amount: bigint): string {
    return asset === "ETH" ? `${this.eth(amount)} ETH` : `${this.tok(amount)} ${TOKEN_SYMBOL}`;
  }

  private eth(amount: bigint): string {
    return formatAmount(amount, 18);
  }

  private tok(amount: bigint): string {
    return formatAmount(amount, TOKEN_DECIMALS);
  }
}

function skipped(report: TickReport): string {
  return report.skipped.map((s) => `${s.kind}: ${s.reason}`).join("; ") || `nothing to do in the ${report.phase} phase`;
}
