/**
 * The story `npm run demo` tells, on a running stack (scripts/lib/stack.ts: the chain, Switchyard, the node
 * service as its own process):
 *
 *   Maya (wallet) ── WebSocket ── Node (service process) ── WebSocket ── Theo (wallet)
 *
 * Both users are the protocol's `bob` of their channel, the node its `alice`. Each user is a SwitchyardClient
 * (src/client) with its own SQLite store, its own JSON-RPC provider on the chain's loopback port and its
 * watcher running: what a wallet does. Every action is one awaited client call; the demo only checks, at the
 * end of every step, that every wallet and channel on chain moved by exactly what the step says (demo-books.ts).
 *
 * The last part plays a misbehaving operator: the node process is stopped and its key disputes Theo's channel
 * with an old co-signed state in which Theo had less. Theo's watcher refutes it with the latest state and,
 * once the consensus phase is over (time travel on the local chain), defunds the channel: both sides are paid
 * what the latest state says.
 */
import path from "node:path";

import { JsonRpcProvider, Wallet, ZeroAddress, getAddress } from "ethers";
import WebSocket from "ws";

import { Commitments } from "../../src/chain/commitments.js";
import { ChannelReader } from "../../src/chain/reader.js";
import { SwitchyardClient, type DisputeEvent, type PaymentReceivedEvent } from "../../src/client/index.js";
import { SqliteStore } from "../../src/stores/sqlite/index.js";
import { MockERC20__factory, type MockERC20 } from "../../typechain-types/index.js";
import { Books, type AccountResult } from "./demo-books.js";
import { DemoError, GasLedger, check, checkEqual, type GasEntry, until } from "./demo-chain.js";
import {
  CHANNEL_OF,
  PLAN,
  TOKEN_SYMBOL,
  amountText,
  holdingsText,
  USERS,
  routedTotal,
  type AccountName,
  type AssetSymbol,
  type Holdings,
  type PlannedPayment,
  type UserName,
  zero,
} from "./demo-plan.js";
import type { Stack } from "./stack.js";

/** The steps after the stack is up, in order; `title` is what each is about. */
export const STORY_STEPS = [
  { id: "connect", title: "Maya and Theo connect to the node over WebSocket" },
  { id: "fund", title: "Maya and Theo deposit into their channels" },
  { id: "pay", title: "Maya pays Theo's invoices, routed through the node" },
  { id: "payNode", title: "Maya pays the node directly" },
  { id: "withdraw", title: "Theo withdraws to his wallet" },
  { id: "close", title: "Maya closes her channel cooperatively" },
  { id: "rogue", title: "the operator stops its node and disputes Theo's channel with a stale state" },
  { id: "refute", title: "Theo's watcher refutes with the latest state" },
  { id: "wait", title: "time passes: the consensus phase ends" },
  { id: "defund", title: "Theo's watcher defunds the channel at the latest state" },
] as const;
export type StepId = (typeof STORY_STEPS)[number]["id"];

export interface StorySummary {
  users: Record<UserName, { address: string; channel: string }>;
  node: string;
  token: string;
  /** Co-signed updates over both channels (the sum of their latest nonces). */
  offChainUpdates: number;
  routedPayments: number;
  /** The payee events Theo's client emitted, one per routed payment. */
  received: PaymentReceivedEvent[];
  accounts: AccountResult[];
  /** Σ net over all accounts: zero when the books balance. */
  totals: Holdings;
  dispute: { staleNonce: bigint; latestNonce: bigint; recordedAfterRefute: bigint; refuted: boolean };
  /** What the defund of Node–Theo paid each side (`kept`: what stayed behind as claims, must be 0). */
  exits: { node: Holdings; theo: Holdings; kept: Holdings };
  gas: GasEntry[];
}

interface User {
  name: UserName;
  wallet: Wallet;
  provider: JsonRpcProvider;
  store: SqliteStore;
  client: SwitchyardClient;
  disputes: DisputeEvent[];
}

export class Story {
  private readonly users = new Map<UserName, User>();
  private books!: Books;
  private token!: MockERC20;
  private tokenAddress = "";
  private stale: Commitments | undefined;
  private staleNonce = 0n;
  private routed = 0;
  private readonly received: PaymentReceivedEvent[] = [];
  private readonly paid: Holdings = zero();
  private readonly fees: Holdings = zero();
  private payNodeAmount = 0n;
  private nodeDeposits = new Map<AccountName, Holdings>();
  private dispute = { staleNonce: 0n, latestNonce: 0n, recordedAfterRefute: 0n, refuted: false };
  private exits = { node: zero(), theo: zero(), kept: zero() };
  /** The number of the step running (its progress line's). */
  private step = 0;

  constructor(
    private readonly stack: Stack,
    private readonly ledger: GasLedger,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Runs every step; `progress` gets each step's line. Closes the clients and stores whatever happens. */
  async run(firstStep: number, progress: (line: string) => void): Promise<StorySummary> {
    const steps: Record<StepId, () => Promise<string>> = {
      connect: () => this.connect(),
      fund: () => this.fund(),
      pay: () => this.pay(),
      payNode: () => this.payNode(),
      withdraw: () => this.withdraw(),
      close: () => this.close(),
      rogue: () => this.rogue(),
      refute: () => this.refute(),
      wait: () => this.wait(),
      defund: () => this.defund(),
    };
    try {
      for (const [i, step] of STORY_STEPS.entries()) {
        this.step = firstStep + i;
        progress(await steps[step.id]());
      }
      return await this.summary();
    } finally {
      for (const u of this.users.values()) {
        await u.client.disconnect().catch(() => undefined);
        await u.store.close().catch(() => undefined);
        u.provider.destroy();
      }
    }
  }

  // ───────────────────────────── steps ─────────────────────────────

  private async connect(): Promise<string> {
    const { stack } = this;
    const token = stack.token;
    if (token === undefined) throw new DemoError("the stack was started without the demo token");
    this.tokenAddress = getAddress(token.address);
    this.token = MockERC20__factory.connect(this.tokenAddress, stack.chain.provider);
    for (const name of USERS) {
      const key = stack.users.find((u) => u.name === name);
      if (key === undefined) throw new DemoError(`the stack has no test key for ${name}`);
      // What a wallet has: its own provider on the chain's JSON-RPC URL (no cache: it reads right after it sends).
      const provider = new JsonRpcProvider(stack.chain.url, stack.chain.chainId, {
        staticNetwork: true,
        cacheTimeout: -1,
        pollingInterval: 200,
      });
      const wallet = new Wallet(key.privateKey, provider);
      const store = await SqliteStore.open(path.join(stack.dir, `${name.toLowerCase()}.db`));
      const client = await SwitchyardClient.connect({
        node: stack.node.ws,
        signer: wallet,
        store,
        chain: provider,
        WebSocket: WebSocket as never,
      });
      const user: User = { name, wallet, provider, store, client, disputes: [] };
      client.on("dispute", (e) => {
        user.disputes.push(e);
        if (e.tx !== undefined)
          this.ledger.label(
            e.tx,
            `${name}'s watcher: ${e.kind === "answered" ? "refute (disputeChannel)" : e.kind === "defunded" ? "defund" : e.kind}`,
          );
        this.log(`${name}'s watcher: ${e.kind}${e.nonce !== undefined ? ` nonce ${e.nonce}` : ""}: ${e.detail}`);
      });
      if (name === "Theo") client.on("payment-received", (e) => this.received.push(e));
      this.users.set(name, user);
      this.ledger.name(wallet.address, name);
      this.log(`${name} ${wallet.address}: channel ${client.channelAddress} with node ${client.nodeInfo.node}`);
    }
    this.ledger.name(stack.node.address, "Node");
    const maya = this.user("Maya").client;
    const theo = this.user("Theo").client;
    this.books = new Books(stack.chain.provider, this.token, this.ledger, {
      Maya: maya.address,
      Theo: theo.address,
      Node: stack.node.address,
      "Maya–Node": maya.channelAddress,
      "Node–Theo": theo.channelAddress,
    });
    await this.books.open();
    for (const channel of ["Maya–Node", "Node–Theo"] as const) this.nodeDeposits.set(channel, zero());
    await this.books.endStep(this.step, {});
    return `Maya and Theo logged in to ${maya.nodeInfo.name} (${stack.node.ws}); their channels: ${maya.channelAddress} and ${theo.channelAddress}`;
  }

  private async fund(): Promise<string> {
    const expected: Partial<Record<AccountName, Holdings>> = {};
    for (const name of USERS) {
      const { client } = this.user(name);
      const want = PLAN.deposits[name];
      for (const [asset, amount, symbol] of [
        [ZeroAddress, want.eth, "ETH"],
        [this.tokenAddress, want.token, TOKEN_SYMBOL],
      ] as const) {
        const result = await client.deposit({ asset, amount });
        this.ledger.label(result.tx, `${name}: deposit ${symbol}`);
        checkEqual(result.totalDeposited, amount, `${name}'s ${symbol} deposits after the reconcile`);
        checkEqual(client.balances()[asset]?.mine ?? 0n, amount, `${name}'s ${symbol} balance off chain`);
        this.log(
          `${name} deposited ${amountText(asset === ZeroAddress ? "ETH" : TOKEN_SYMBOL, amount)} (reconciled at nonce ${result.nonce})`,
        );
      }
      expected[name] = { eth: -want.eth, token: -want.token };
      expected[CHANNEL_OF[name]] = { ...want };
    }
    await this.expectNodeDeposits(expected);
    await this.books.endStep(this.step, expected);
    this.nameTransactions();
    // The operator keeps this co-signed state of Theo's channel: later it is stale (Theo has more in the latest).
    const theo = this.user("Theo");
    this.stale = await Commitments.load(theo.store, theo.client.channelAddress);
    this.staleNonce = this.stale.state().state.nonce;
    return `Maya deposited ${holdingsText(PLAN.deposits.Maya)}, Theo ${holdingsText(PLAN.deposits.Theo)} (a plain transfer each, reconciled off chain)`;
  }

  private async pay(): Promise<string> {
    const maya = this.user("Maya").client;
    const theo = this.user("Theo").client;
    for (const payment of PLAN.payments) {
      const asset = this.assetOf(payment.asset);
      const invoice = await theo.invoice({ asset, amount: payment.amount });
      const result = await maya.pay(invoice);
      checkEqual(result.amount, payment.amount, "what Theo received");
      checkEqual(
        result.fee,
        PLAN.fees[payment.asset],
        `the node's fee for ${amountText(payment.asset, payment.amount)}`,
      );
      this.book(payment);
      this.log(
        `Maya → Theo ${amountText(payment.asset, payment.amount)} (+ fee ${amountText(payment.asset, result.fee)}): preimage ${result.preimage.slice(0, 12)}…`,
      );
    }
    await until(() => this.received.length === PLAN.payments.length, "Theo's payment-received events");
    checkEqual(BigInt(this.received.length), BigInt(PLAN.payments.length), "payments Theo's client reported");
    this.checkOffChain();
    const expected: Partial<Record<AccountName, Holdings>> = {};
    await this.expectNodeDeposits(expected);
    await this.books.endStep(this.step, expected);
    this.nameTransactions();
    const jit = this.nodeDeposits.get("Node–Theo") ?? zero();
    return (
      `${this.routed} payments Maya → Node → Theo (${holdingsText({ eth: routedTotal("ETH", false), token: routedTotal(TOKEN_SYMBOL, false) })} ` +
      `received, the node's fees ${holdingsText(this.fees)}); the node deposited ${holdingsText(jit)} into Theo's channel just in time`
    );
  }

  private async payNode(): Promise<string> {
    const maya = this.user("Maya").client;
    const asset = this.assetOf(PLAN.payNode.asset);
    const before = maya.balances()[asset]?.mine ?? 0n;
    const result = await maya.payNode({ asset, amount: PLAN.payNode.amount });
    checkEqual(result.balance.mine, before - PLAN.payNode.amount, "Maya's balance after paying the node");
    this.payNodeAmount += PLAN.payNode.amount;
    this.checkOffChain();
    await this.books.endStep(this.step, {});
    return `Maya paid the node ${amountText(PLAN.payNode.asset, PLAN.payNode.amount)} directly: one plain transfer update (nonce ${result.nonce}), no lock, no fee`;
  }

  private async withdraw(): Promise<string> {
    const theo = this.user("Theo").client;
    const amount = PLAN.theoWithdraw;
    const result = await theo.withdraw({ asset: this.tokenAddress, amount, recipient: theo.address });
    this.ledger.label(result.tx, `Theo: withdraw ${TOKEN_SYMBOL}`);
    await this.books.endStep(this.step, { Theo: { eth: 0n, token: amount }, "Node–Theo": { eth: 0n, token: -amount } });
    return `Theo withdrew ${amountText(TOKEN_SYMBOL, amount)} to his wallet (co-signed, sent on chain: ${result.gasUsed.toLocaleString("en-US")} gas)`;
  }

  private async close(): Promise<string> {
    const maya = this.user("Maya").client;
    const result = await maya.close();
    this.ledger.label(result.tx, "Maya: close Maya–Node");
    const payout = (asset: string): { mine: bigint; node: bigint } => {
      const p = result.payouts.find((x) => getAddress(x.asset) === getAddress(asset));
      return { mine: p?.mine ?? 0n, node: p?.node ?? 0n };
    };
    const eth = payout(ZeroAddress);
    const tok = payout(this.tokenAddress);
    checkEqual(eth.mine, PLAN.deposits.Maya.eth - this.paid.eth - this.payNodeAmount, "Maya's ETH at the close");
    checkEqual(tok.mine, PLAN.deposits.Maya.token - this.paid.token, `Maya's ${TOKEN_SYMBOL} at the close`);
    await this.books.endStep(this.step, {
      Maya: { eth: eth.mine, token: tok.mine },
      Node: { eth: eth.node, token: tok.node },
      "Maya–Node": { eth: -(eth.mine + eth.node), token: -(tok.mine + tok.node) },
    });
    const held = this.books.held("Maya–Node");
    check(held.eth === 0n && held.token === 0n, "Maya–Node still holds funds after the close");
    return `Maya closed at nonce ${result.nonce}: she got ${holdingsText({ eth: eth.mine, token: tok.mine })}, the node ${holdingsText({ eth: eth.node, token: tok.node })}`;
  }

  private async rogue(): Promise<string> {
    const stale = this.stale;
    check(stale !== undefined, "no stale state kept");
    const theo = this.user("Theo");
    await this.stack.node.stop();
    const operator = new Wallet(this.stack.nodeKey.privateKey, theo.provider);
    await this.ledger.mined(operator.sendTransaction(stale.dispute()), "Node (rogue): dispute with a stale state");
    this.dispute.staleNonce = this.staleNonce;
    this.dispute.latestNonce = await this.latestNonce("Theo");
    check(this.staleNonce < this.dispute.latestNonce, "the kept state is not older than Theo's latest");
    await this.books.endStep(this.step, {});
    return `the node process is stopped; its key disputed Node–Theo with nonce ${this.staleNonce} (Theo's latest is ${this.dispute.latestNonce})`;
  }

  private async refute(): Promise<string> {
    const theo = this.user("Theo");
    const reader = new ChannelReader(this.stack.chain.provider, theo.client.channelAddress);
    await until(() => theo.disputes.some((e) => e.kind === "answered"), "Theo's watcher answering the dispute");
    const after = await reader.dispute();
    checkEqual(after.nonce, this.dispute.latestNonce, "the nonce recorded after the refute");
    this.dispute.recordedAfterRefute = after.nonce;
    this.dispute.refuted = after.nonce === this.dispute.latestNonce && after.nonce > this.dispute.staleNonce;
    await this.books.endStep(this.step, {});
    return `Theo's watcher refuted nonce ${this.dispute.staleNonce} with nonce ${after.nonce}`;
  }

  private async wait(): Promise<string> {
    const reader = new ChannelReader(this.stack.chain.provider, this.user("Theo").client.channelAddress);
    const { consensusExpiry, defundExpiry } = await reader.dispute();
    const now = BigInt((await this.stack.chain.provider.getBlock("latest"))?.timestamp ?? 0);
    const after = await this.stack.chain.advanceTime(consensusExpiry > now ? consensusExpiry - now : 0n);
    check(
      after >= consensusExpiry && after < defundExpiry,
      `chain time ${after} is not in the defund phase [${consensusExpiry}, ${defundExpiry})`,
    );
    await this.books.endStep(this.step, {});
    return `chain time +${after - now} s: the consensus phase is over (defund phase until ${defundExpiry})`;
  }

  private async defund(): Promise<string> {
    const theo = this.user("Theo");
    const balances = theo.client.balances();
    const owed = (asset: string): { node: bigint; theo: bigint } => ({
      node: balances[asset]?.node ?? 0n,
      theo: balances[asset]?.mine ?? 0n,
    });
    const eth = owed(ZeroAddress);
    const tok = owed(this.tokenAddress);
    await until(() => theo.disputes.some((e) => e.kind === "defunded"), "Theo's watcher defunding the channel");
    const reader = new ChannelReader(this.stack.chain.provider, theo.client.channelAddress);
    const node = this.stack.node.address;
    this.exits = {
      node: { eth: eth.node, token: tok.node },
      theo: { eth: eth.theo, token: tok.theo },
      kept: {
        eth: (await reader.exitOf(ZeroAddress, node)) + (await reader.exitOf(ZeroAddress, theo.client.address)),
        token:
          (await reader.exitOf(this.tokenAddress, node)) +
          (await reader.exitOf(this.tokenAddress, theo.client.address)),
      },
    };
    checkEqual(this.exits.kept.eth + this.exits.kept.token, 0n, "claims kept instead of paid (exits)");
    await this.books.endStep(this.step, {
      Node: { eth: eth.node, token: tok.node },
      Theo: { eth: eth.theo, token: tok.theo },
      "Node–Theo": { eth: -(eth.node + eth.theo), token: -(tok.node + tok.theo) },
    });
    const held = this.books.held("Node–Theo");
    check(held.eth === 0n && held.token === 0n, "Node–Theo still holds funds after the defund");
    return `Theo's watcher defunded Node–Theo: Theo got ${holdingsText({ eth: eth.theo, token: tok.theo })}, the node ${holdingsText({ eth: eth.node, token: tok.node })}`;
  }

  // ───────────────────────────── the summary ─────────────────────────────

  private async summary(): Promise<StorySummary> {
    const expected: Record<AccountName, Holdings> = {
      Maya: { eth: -(this.paid.eth + this.payNodeAmount), token: -this.paid.token },
      Theo: { eth: routedTotal("ETH", false), token: routedTotal(TOKEN_SYMBOL, false) },
      Node: { eth: this.fees.eth + this.payNodeAmount, token: this.fees.token },
      "Maya–Node": zero(),
      "Node–Theo": zero(),
    };
    const { accounts, totals } = this.books.results(expected);
    check(this.dispute.refuted, "the stale dispute was not refuted");
    const maya = this.user("Maya").client;
    const theo = this.user("Theo").client;
    return {
      users: {
        Maya: { address: maya.address, channel: maya.channelAddress },
        Theo: { address: theo.address, channel: theo.channelAddress },
      },
      node: this.stack.node.address,
      token: this.tokenAddress,
      offChainUpdates: Number((await this.latestNonce("Maya")) + (await this.latestNonce("Theo"))),
      routedPayments: this.routed,
      received: [...this.received],
      accounts,
      totals,
      dispute: { ...this.dispute },
      exits: { node: { ...this.exits.node }, theo: { ...this.exits.theo }, kept: { ...this.exits.kept } },
      gas: this.ledger.entries.filter((e) => e.step > 1),
    };
  }

  // ───────────────────────────── helpers ─────────────────────────────

  private user(name: UserName): User {
    const u = this.users.get(name);
    if (u === undefined) throw new DemoError(`${name} is not connected`);
    return u;
  }

  /** The nonce of the latest co-signed state of `name`'s channel, from the user's own store. */
  private async latestNonce(name: UserName): Promise<bigint> {
    const u = this.user(name);
    return (await Commitments.load(u.store, u.client.channelAddress)).state().state.nonce;
  }

  /** Names the unlabelled transactions of the channels (creations, the node's collateral) by what they did. */
  private nameTransactions(): void {
    const channels = new Map(USERS.map((u) => [getAddress(this.user(u).client.channelAddress), CHANNEL_OF[u]]));
    for (const e of this.ledger.entries) {
      const channel = e.to === null ? undefined : channels.get(e.to);
      if (e.operation === "createChannel" && (e.payer === "Maya" || e.payer === "Theo"))
        e.operation = `${e.payer}: create ${CHANNEL_OF[e.payer]}`;
      else if (e.operation === "depositAliceEth" && channel !== undefined)
        e.operation = `Node: deposit ETH collateral into ${channel}`;
      else if (e.operation === "depositAlice" && channel !== undefined)
        e.operation = `Node: deposit ${TOKEN_SYMBOL} collateral into ${channel}`;
      else if (e.operation === "approve" && e.to === this.tokenAddress && e.payer === "Node")
        e.operation = `Node: approve ${TOKEN_SYMBOL} for its deposit`;
    }
  }

  /** What the node deposited into each channel since the last step (read on chain), booked into `expected`. */
  private async expectNodeDeposits(expected: Partial<Record<AccountName, Holdings>>): Promise<void> {
    let fromNode = zero();
    for (const name of USERS) {
      const channel = CHANNEL_OF[name];
      const reader = new ChannelReader(this.stack.chain.provider, this.user(name).client.channelAddress);
      const total = {
        eth: await reader.totalDepositsAlice(ZeroAddress),
        token: await reader.totalDepositsAlice(this.tokenAddress),
      };
      const before = this.nodeDeposits.get(channel) ?? zero();
      const delta = { eth: total.eth - before.eth, token: total.token - before.token };
      this.nodeDeposits.set(channel, total);
      const mine = expected[channel] ?? zero();
      expected[channel] = { eth: mine.eth + delta.eth, token: mine.token + delta.token };
      fromNode = { eth: fromNode.eth + delta.eth, token: fromNode.token + delta.token };
    }
    const node = expected.Node ?? zero();
    expected.Node = { eth: node.eth - fromNode.eth, token: node.token - fromNode.token };
  }

  private book(payment: PlannedPayment): void {
    this.routed++;
    const fee = PLAN.fees[payment.asset];
    if (payment.asset === "ETH") {
      this.paid.eth += payment.amount + fee;
      this.fees.eth += fee;
    } else {
      this.paid.token += payment.amount + fee;
      this.fees.token += fee;
    }
  }

  /** Both clients' balances off chain: Maya paid what the plan says plus fees, Theo received the payments. */
  private checkOffChain(): void {
    const maya = this.user("Maya").client.balances();
    const theo = this.user("Theo").client.balances();
    const eth = ZeroAddress;
    const tok = this.tokenAddress;
    checkEqual(
      maya[eth]?.mine ?? 0n,
      PLAN.deposits.Maya.eth - this.paid.eth - this.payNodeAmount,
      "Maya's ETH off chain",
    );
    checkEqual(maya[tok]?.mine ?? 0n, PLAN.deposits.Maya.token - this.paid.token, `Maya's ${TOKEN_SYMBOL} off chain`);
    const receivedEth = this.paid.eth - this.fees.eth;
    const receivedTok = this.paid.token - this.fees.token;
    checkEqual(theo[eth]?.mine ?? 0n, PLAN.deposits.Theo.eth + receivedEth, "Theo's ETH off chain");
    checkEqual(theo[tok]?.mine ?? 0n, PLAN.deposits.Theo.token + receivedTok, `Theo's ${TOKEN_SYMBOL} off chain`);
  }

  private assetOf(symbol: AssetSymbol): string {
    return symbol === "ETH" ? ZeroAddress : this.tokenAddress;
  }
}
