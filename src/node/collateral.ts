/**
 * The node's collateral: its balance (`alice`) in each channel, per asset, kept within the operator's policy
 * (`min ≤ target ≤ max`, src/node/config.ts) and the deployment's channel capacity.
 *
 * - `ensure(channel, asset, wanted, propose)`: the node needs `wanted` of inbound capacity (a payment it forwards
 *   to the client, or the client's `channel.requestCollateral`). Below it, the node deposits as alice — up to
 *   `max(target, wanted)`, never above `max` (a `wanted` above `max` is refused: CollateralPolicyError), never
 *   above the channel capacity (CollateralCapacityError when the capacity cannot cover `wanted`) — through the
 *   transaction service, then reconciles the deposit with the client (a deposit update it proposes).
 * - `reclaim(channel, asset, propose)`: above `max`, the node withdraws down to `target`: a withdraw update (the
 *   node's balance into a co-signed withdraw commitment), then the commitment is sent on chain through the
 *   transaction service. `resumeWithdrawals` sends every co-signed node withdraw not yet executed (after a
 *   restart: a withdraw signed is always sent).
 *
 * Every intent has a stable id (`deposit:<channel>:<asset>:<alice's on-chain total before it>`,
 * `withdraw:<channel>:<withdraw nonce>`), so a retry or a restart joins the transaction already recorded
 * instead of sending a second one. The off-chain updates go to the client through the caller's `ProposeToPeer`
 * (the service's channel sequencer and socket; `proposeVia(channel, link)` in process); this manager's own
 * steps on one channel run one at a time.
 */
import { Interface, ZeroAddress, type Provider } from "ethers";
import type { Logger } from "pino";

import type { Channel } from "../channel/channel.js";
import { ChannelReader } from "../chain/reader.js";
import { Commitments, depositAliceCall } from "../chain/commitments.js";
import { checksum } from "../protocol/address.js";
import { NegativeBalanceError, SwitchyardError, WithdrawError } from "../protocol/errors.js";
import type { DeploymentLimits, UpdateDetails } from "../protocol/types.js";
import type { PeerLink } from "../routing/node.js";
import { CHANNEL_SALT } from "./channels.js";
import type { CollateralPolicy } from "./options.js";
import type { TransactionService, TxOutcome } from "./transactions.js";

/** A collateral request the policy does not allow (no policy for the asset, above `max`, zero). */
export class CollateralPolicyError extends SwitchyardError {
  constructor(
    readonly asset: string,
    readonly amount: bigint,
    reason: string,
  ) {
    super("COLLATERAL_POLICY", `collateral of ${amount} in ${asset} refused: ${reason}`);
  }
}

/** The deployment's channel capacity leaves no room for the collateral asked. */
export class CollateralCapacityError extends SwitchyardError {
  constructor(
    readonly asset: string,
    readonly wanted: bigint,
    readonly room: bigint,
  ) {
    super("COLLATERAL_CAPACITY", `asset ${asset}: the channel capacity leaves room for ${room}, ${wanted} is needed`);
  }
}

/** What a collateral step did. */
export interface CollateralResult {
  channel: string;
  asset: string;
  /** Deposited on chain (and reconciled) by this call. */
  deposited: bigint;
  /** Withdrawn by this call (moved into a withdraw commitment and sent on chain). */
  withdrawn: bigint;
  /** The node's off-chain balance in the channel afterwards. */
  balance: bigint;
  /** The on-chain transaction, if one was sent. */
  tx?: string;
}

export interface CollateralOptions {
  transactions: TransactionService;
  provider: Provider;
  /** The node's address: alice in its channels, and where reclaimed collateral goes. */
  node: string;
  policies: readonly CollateralPolicy[];
  limits: DeploymentLimits;
  /** The factory: deposits into a channel not yet deployed go through `createChannelAndDeposit`. */
  factory?: string;
  /** The salt of the channels the node opens (default CHANNEL_SALT). */
  salt?: string;
  logger?: Logger;
  /** Called with the node's total off-chain balance per asset across the channels seen (the metrics gauge). */
  onCollateral?: (asset: string, total: bigint) => void;
}

const FACTORY = new Interface([
  "function createChannelAndDeposit(address alice, address bob, bytes32 salt, address asset, uint256 amount) payable returns (address)",
]);
const ERC20 = new Interface([
  "function approve(address spender, uint256 amount) returns (bool)",
  "function balanceOf(address owner) view returns (uint256)",
]);

/**
 * How the node puts one of its updates to the client: proposes `details` on the channel, delivers it, and
 * resolves once the client's acknowledgement is stored (the update co-signed). The service plugs its socket
 * in (its channel sequencer's propose, then the acknowledgement); `proposeVia` does it with a PeerLink.
 */
export type ProposeToPeer = (details: UpdateDetails) => Promise<void>;

/**
 * A ProposeToPeer over a PeerLink (`receive(proposal) → acknowledgement`: the client's Channel in process, or
 * any request-response transport): a proposal left unanswered is delivered again first.
 */
export function proposeVia(channel: Channel, link: PeerLink): ProposeToPeer {
  return async (details) => {
    const pending = channel.pending;
    if (pending !== undefined) await channel.complete(await link.receive(pending));
    const proposal = await channel.propose(details);
    await channel.complete(await link.receive(proposal));
  };
}

/** The node's (alice's) balance of `asset` in the channel's latest state. */
export function nodeBalance(channel: Channel, asset: string): bigint {
  const a = checksum(asset);
  return channel.state.assets.find((x) => checksum(x.asset) === a)?.balanceAlice ?? 0n;
}

export class CollateralManager {
  private readonly policies: ReadonlyMap<string, CollateralPolicy>;
  private readonly node: string;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly balances = new Map<string, Map<string, bigint>>();
  /** Per asset, the sum of `balances` over every channel. */
  private readonly totals = new Map<string, bigint>();

  constructor(private readonly options: CollateralOptions) {
    this.node = checksum(options.node);
    this.policies = new Map(options.policies.map((p) => [checksum(p.asset), { ...p, asset: checksum(p.asset) }]));
  }

  /** The policy of `asset`, if the operator set one. */
  policy(asset: string): CollateralPolicy | undefined {
    return this.policies.get(checksum(asset));
  }

  /**
   * Makes the node's balance in `channel` at least `wanted` (see the module comment). A balance already at
   * `wanted` sends nothing. Throws CollateralPolicyError / CollateralCapacityError before anything is sent.
   */
  ensure(channel: Channel, asset: string, wanted: bigint, propose: ProposeToPeer): Promise<CollateralResult> {
    const token = checksum(asset);
    return this.exclusive(channel, async () => {
      this.check(channel);
      if (nodeBalance(channel, token) >= wanted) return this.result(channel, token, 0n, 0n);
      if (this.policy(token) === undefined)
        throw new CollateralPolicyError(token, wanted, "the node has no collateral policy for this asset");
      await this.reconcileLocked(channel, token, propose); // a deposit mined before a restart, not reconciled yet
      const before = nodeBalance(channel, token);
      let tx: string | undefined;
      // Two rounds at most: the first may only join a deposit recorded before (a retry or a restart).
      for (let round = 0; round < 2 && nodeBalance(channel, token) < wanted; round++) {
        const amount = await this.depositAmount(channel, token, wanted);
        tx = (await this.deposit(channel, token, amount))?.hash ?? tx;
        await this.reconcileLocked(channel, token, propose);
      }
      const after = nodeBalance(channel, token);
      if (after < wanted)
        throw new CollateralPolicyError(token, wanted, `the deposits brought the node's balance to ${after} only`);
      if (after > before) {
        this.options.logger?.info(
          { channel: channel.address, asset: token, deposited: (after - before).toString() },
          "collateral deposited",
        );
      }
      return this.result(channel, token, after - before, 0n, tx);
    });
  }

  /** What to deposit so the node holds `max(target, wanted)`, within the policy and the channel capacity. */
  private async depositAmount(channel: Channel, token: string, wanted: bigint): Promise<bigint> {
    const before = nodeBalance(channel, token);
    const policy = this.policy(token);
    if (policy === undefined)
      throw new CollateralPolicyError(token, wanted, "the node has no collateral policy for this asset");
    if (wanted > policy.max) throw new CollateralPolicyError(token, wanted, `above the policy's max ${policy.max}`);
    const limit = this.options.limits.assets.get(token);
    if (limit === undefined)
      throw new CollateralPolicyError(token, wanted, "the deployment does not accept this asset");
    const held = await this.heldOnChain(channel.address, token);
    const room = limit.channelCapacity > held ? limit.channelCapacity - held : 0n;
    const desired = policy.target > wanted ? policy.target : wanted;
    const amount = desired - before > room ? room : desired - before;
    if (before + amount < wanted) throw new CollateralCapacityError(token, wanted - before, room);
    return amount;
  }

  /** A client's `channel.requestCollateral`: `ensure` with an amount the client chose (must be positive). */
  request(channel: Channel, asset: string, amount: bigint, propose: ProposeToPeer): Promise<CollateralResult> {
    if (amount <= 0n)
      return Promise.reject(new CollateralPolicyError(checksum(asset), amount, "the amount must be positive"));
    return this.ensure(channel, asset, amount, propose);
  }

  /** Reconciles the channel's on-chain deposits of `asset` off chain, if any are new. True if it did. */
  reconcile(channel: Channel, asset: string, propose: ProposeToPeer): Promise<boolean> {
    return this.exclusive(channel, () => this.reconcileLocked(channel, checksum(asset), propose));
  }

  /**
   * Above the policy's `max`, withdraws the node's balance down to `target` (a withdraw update, then on chain).
   * The update is built from the state at the time; if the client changed it meanwhile (its own withdraw took
   * the withdraw nonce, a payment moved the balance) it is built again once.
   */
  reclaim(channel: Channel, asset: string, propose: ProposeToPeer): Promise<CollateralResult> {
    const token = checksum(asset);
    return this.exclusive(channel, async () => {
      this.check(channel);
      const policy = this.policy(token);
      for (let round = 0; ; round++) {
        const before = nodeBalance(channel, token);
        if (policy === undefined || before <= policy.max) return this.result(channel, token, 0n, 0n);
        const amount = before - policy.target;
        const nonce = channel.snapshot().nextWithdrawNonce;
        const details: UpdateDetails = {
          type: "withdraw",
          party: "alice",
          commitment: { asset: token, recipient: this.node, amount, nonce, callTo: ZeroAddress, callData: "0x" },
        };
        try {
          await propose(details);
        } catch (error) {
          if (round === 0 && (error instanceof WithdrawError || error instanceof NegativeBalanceError)) continue;
          throw error;
        }
        this.observe(channel);
        const outcome = await this.sendWithdraw(channel, nonce);
        this.options.logger?.info(
          { channel: channel.address, asset: token, withdrawn: amount.toString() },
          "excess collateral reclaimed",
        );
        return this.result(channel, token, 0n, amount, outcome.hash);
      }
    });
  }

  /** Sends every co-signed withdraw of the node in `channel` that the chain has not executed (after a restart). */
  async resumeWithdrawals(channel: Channel): Promise<TxOutcome[]> {
    const record = await channel.store.load(channel.address);
    if (record === undefined) return [];
    const reader = new ChannelReader(this.options.provider, channel.address);
    const out: TxOutcome[] = [];
    for (const w of record.withdrawals) {
      if (checksum(w.commitment.recipient) !== this.node) continue;
      if (await reader.isWithdrawExecuted(w.commitment.nonce)) continue;
      out.push(await this.sendWithdraw(channel, w.commitment.nonce));
    }
    return out;
  }

  /**
   * The node's balances seen per channel and asset (what the collateral gauge sums). The totals are kept as running
   * sums (the channel's old balances out, its new ones in), so an update costs the same with 10 channels as with
   * 10,000 (summing every channel on each update was most of this function's cost in `npm run load`).
   */
  observe(channel: Channel): void {
    const assets = new Map<string, bigint>();
    for (const a of channel.state.assets) assets.set(checksum(a.asset), a.balanceAlice);
    const previous = this.balances.get(channel.address);
    this.balances.set(channel.address, assets);
    const changed = new Set<string>();
    for (const [asset, value] of previous ?? []) {
      this.totals.set(asset, (this.totals.get(asset) ?? 0n) - value);
      changed.add(asset);
    }
    for (const [asset, value] of assets) {
      this.totals.set(asset, (this.totals.get(asset) ?? 0n) + value);
      changed.add(asset);
    }
    const onCollateral = this.options.onCollateral;
    if (onCollateral === undefined) return;
    for (const asset of changed) onCollateral(asset, this.totals.get(asset) ?? 0n);
  }

  // ───────────────────────────── steps ─────────────────────────────

  private async reconcileLocked(channel: Channel, asset: string, propose: ProposeToPeer): Promise<boolean> {
    const reader = new ChannelReader(this.options.provider, channel.address);
    if ((await this.options.provider.getCode(channel.address)) === "0x") return false;
    const [alice, bob] = await Promise.all([reader.totalDepositsAlice(asset), reader.totalDepositsBob(asset)]);
    const entry = channel.state.assets.find((a) => checksum(a.asset) === asset);
    if (alice === (entry?.processedAlice ?? 0n) && bob === (entry?.processedBob ?? 0n)) {
      this.observe(channel);
      return false;
    }
    await propose({ type: "deposit", asset, totalDepositsAlice: alice, totalDepositsBob: bob });
    this.observe(channel);
    return true;
  }

  /** Deposits `amount` as alice, joining the intent already recorded for this deposit step if there is one. */
  private async deposit(channel: Channel, asset: string, amount: bigint): Promise<TxOutcome | undefined> {
    const tx = this.options.transactions;
    const deployed = (await this.options.provider.getCode(channel.address)) !== "0x";
    const totalAlice = deployed
      ? await new ChannelReader(this.options.provider, channel.address).totalDepositsAlice(asset)
      : 0n;
    const base = `deposit:${channel.address}:${asset}:${totalAlice}`;
    const id = await tx.intentId(base, { reuseMined: true });
    const existing = await tx.record(id);
    if (existing !== undefined) return tx.wait(id); // the same step, recorded before (a retry or a restart)
    let to: string;
    let data: string;
    let value: bigint;
    if (deployed) {
      ({ to, data, value } = depositAliceCall(channel.address, asset, amount));
    } else {
      const factory = this.options.factory;
      if (factory === undefined)
        throw new CollateralPolicyError(asset, amount, "the channel is not deployed and no factory is configured");
      const setup = channel.channelSetup;
      to = checksum(factory);
      data = FACTORY.encodeFunctionData("createChannelAndDeposit", [
        setup.alice,
        setup.bob,
        this.options.salt ?? CHANNEL_SALT,
        asset,
        amount,
      ]);
      value = asset === ZeroAddress ? amount : 0n;
    }
    if (asset !== ZeroAddress) {
      await tx.submit({
        id: `approve:${id}`,
        to: asset,
        data: ERC20.encodeFunctionData("approve", [to, amount]),
        purpose: `approve the deposit ${id}`,
      });
    }
    return tx.submit({ id, to, data, value, purpose: `collateral deposit into ${channel.address}` });
  }

  private async sendWithdraw(channel: Channel, nonce: bigint): Promise<TxOutcome> {
    const call = (await Commitments.load(channel.store, channel.address)).withdraw(nonce);
    return this.options.transactions.submit({
      id: `withdraw:${channel.address}:${nonce}`,
      to: call.to,
      data: call.data,
      purpose: `collateral withdraw ${nonce} from ${channel.address}`,
    });
  }

  private async heldOnChain(channel: string, asset: string): Promise<bigint> {
    if (asset === ZeroAddress) return this.options.provider.getBalance(channel);
    const raw = await this.options.provider.call({ to: asset, data: ERC20.encodeFunctionData("balanceOf", [channel]) });
    return ERC20.decodeFunctionResult("balanceOf", raw)[0] as bigint;
  }

  private check(channel: Channel): void {
    if (channel.me !== "alice" || checksum(channel.channelSetup.alice) !== this.node) {
      throw new CollateralPolicyError(ZeroAddress, 0n, `channel ${channel.address} is not one where the node is alice`);
    }
  }

  private result(channel: Channel, asset: string, deposited: bigint, withdrawn: bigint, tx?: string): CollateralResult {
    return {
      channel: channel.address,
      asset,
      deposited,
      withdrawn,
      balance: nodeBalance(channel, asset),
      ...(tx !== undefined ? { tx } : {}),
    };
  }

  private exclusive<T>(channel: Channel, task: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(channel.address) ?? Promise.resolve()).then(task);
    this.locks.set(
      channel.address,
      run.catch(() => undefined),
    );
    return run;
  }
}
