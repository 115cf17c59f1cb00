/**
 * `Watcher`: guards one channel for its owner (the party whose store it reads), on chain, alone.
 *
 * Each `tick()` reads the channel's dispute record and the chain's time, then does what is owed:
 * - consensus phase, disputed nonce below the owner's latest: refute with the latest co-signed state (or, when
 *   the owner holds a newer co-signed final state, close with it, which ends the dispute and pays out);
 * - defund phase: defund every asset of the disputed state not paid at its defund nonce yet; dispute each
 *   transfer the owner can claim (it is the responder and the store holds its evidence, e.g. a preimage) or
 *   must get back (it is the initiator);
 * - from then on: settle the owner's claimable transfers with their evidence before their deadline, refund
 *   the owner's own transfers after it;
 * - always: withdraw the owner's exits (payouts that could not be pushed) to the exit recipient;
 * - always: read the channel's new `TransferSettled` events and the evidence their `defundTransfer` carried
 *   (a preimage the counter-party revealed on chain), keep them (`settledTransfers`) and hand each to
 *   `onTransferSettled` — how a routing node learns a preimage its payee used on chain (`Node.learnPreimage`).
 * Every step is decided from the chain's current state, so re-running a tick sends nothing already done. Each
 * call is simulated (gas estimation) before it is sent; one that would revert is reported as skipped.
 *
 * The sender may be the owner's own account or another one (a watchtower): then the owner's typed-data signer
 * (`ownerSigner`) signs the `TransferResolution` and `ExitAuthorization` the contract asks of a third party.
 * Residual limit (docs/PROTOCOL.md §10.3): the store keeps the transfers of the latest state (and of the state
 * the owner signed for the next nonce); a dispute of an older state can be refuted, but if its consensus phase
 * was missed its transfers cannot be proven from this store.
 */
import type { Provider, Result, Signer } from "ethers";

import { channelInterface } from "./abi.js";
import { SETTLED_TOPIC, settledOf, type SettledTransfer } from "./settlements.js";
import { checksum } from "../protocol/address.js";
import { ChannelReader, type OnChainDispute } from "./reader.js";
import {
  closeCall,
  defundCall,
  defundTransferCall,
  disputeCall,
  disputeTransferCall,
  knownStates,
  signExitAuthorization,
  signTransferResolution,
  withdrawExitCall,
  type ChannelCall,
  type KnownState,
} from "./commitments.js";
import { CommitmentError, StoreError } from "../protocol/errors.js";
import { transferId as transferIdOf } from "../protocol/transfers.js";
import type { ChannelRecord } from "../protocol/record.js";
import type { ChannelSigner } from "../protocol/signing.js";
import type { ChannelStore } from "../stores/store.js";

export interface WatcherConfig {
  /** Reads the chain (dispute record, time, gas estimates). */
  provider: Provider;
  /** Sends the transactions: the owner's account or a watchtower's. */
  sender: Signer;
  channel: string;
  /** The owner's store (the watcher only reads it). */
  store: ChannelStore;
  /** The owner's typed-data signer: needed when `sender` is not the owner, to claim transfers and exits. */
  ownerSigner?: ChannelSigner;
  /** Where the owner's exits are paid (default: the owner). */
  exitRecipient?: string;
  /** Milliseconds between polls after `start()` (default 4000). */
  pollIntervalMs?: number;
  /** Called with each polled tick's report. */
  onReport?: (report: TickReport) => void;
  /** Called when a polled tick fails. */
  onError?: (error: unknown) => void;
  /**
   * Called once for each transfer settlement seen on chain (in block order), before the tick goes on; a hook
   * that throws fails the tick, and the settlement is handed over again at the next one.
   */
  onTransferSettled?: (settled: SettledTransfer) => void | Promise<void>;
  /** The first block scanned for settlements (default 0). */
  fromBlock?: number;
}

export type WatcherActionKind =
  | "dispute"
  | "refute"
  | "close"
  | "defund"
  | "disputeTransfer"
  | "claimTransfer"
  | "refundTransfer"
  | "withdrawExit";

/** A transaction the watcher sent (and saw mined). */
export interface WatcherAction {
  kind: WatcherActionKind;
  txHash: string;
  transferId?: string;
  assets?: string[];
}

/** Something the watcher would do but did not, and why. */
export interface WatcherSkip {
  kind: WatcherActionKind;
  reason: string;
  transferId?: string;
  assets?: string[];
}

/** Where the channel's dispute stands: never disputed, in a phase, wholly over, or closed cooperatively. */
export type DisputePhase = "none" | "consensus" | "defund" | "over" | "closed";

export interface TickReport {
  /** The chain's time (latest block) when the tick began. */
  now: bigint;
  phase: DisputePhase;
  dispute: OnChainDispute;
  actions: WatcherAction[];
  skipped: WatcherSkip[];
  /** Transfer settlements seen on chain since the previous tick. */
  settled: SettledTransfer[];
}

const DEFAULT_POLL_MS = 4_000;

/**
 * The chain's latest block as a tick reads it (number and timestamp). One read serves as the tick's time and as the
 * end of its settlement scan when the tick sent nothing; a caller ticking many channels in one pass (the node's
 * NodeWatchers) reads it once for all of them instead of twice per channel.
 */
export interface ChainHead {
  number: number;
  timestamp: bigint;
}

/** Reads the chain's latest block as a tick's head. */
export async function readChainHead(provider: Pick<Provider, "getBlock">): Promise<ChainHead> {
  const block = await provider.getBlock("latest");
  if (block === null) throw new Error("the chain returned no latest block");
  return { number: block.number, timestamp: BigInt(block.timestamp) };
}

export class Watcher {
  readonly channel: string;
  private readonly reader: ChannelReader;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  /** The next block to scan for settlements. */
  private nextBlock: number;
  private readonly seen = new Map<string, SettledTransfer>();

  constructor(private readonly config: WatcherConfig) {
    this.channel = checksum(config.channel);
    this.reader = new ChannelReader(config.provider, this.channel);
    this.nextBlock = config.fromBlock ?? 0;
  }

  /** Every transfer settlement this watcher has seen on chain, by transfer id. */
  settledTransfers(): ReadonlyMap<string, SettledTransfer> {
    return new Map(this.seen);
  }

  /** Polls every `pollIntervalMs` until `stop()`; a poll is skipped while the previous one runs. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      this.tick()
        .then((report) => this.config.onReport?.(report))
        .catch((error: unknown) => this.config.onError?.(error))
        .finally(() => {
          this.polling = false;
        });
    }, this.config.pollIntervalMs ?? DEFAULT_POLL_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One pass over the channel (see the module comment). Ticks never overlap. `head`: the chain's latest block read
   * by the caller just before (default: read here).
   */
  tick(head?: ChainHead): Promise<TickReport> {
    return this.serialize(() => this.run(head));
  }

  /** Opens a dispute with the owner's latest co-signed state (the start of a unilateral exit). */
  dispute(): Promise<WatcherAction> {
    return this.serialize(async () => {
      const record = await this.record();
      if (record.latest === undefined) throw new CommitmentError("no co-signed state yet: nothing to dispute");
      const report = this.emptyReport(0n);
      await this.send(report, "dispute", disputeCall(this.channel, record.latest));
      const done = report.actions[0];
      if (done === undefined) throw new CommitmentError(`dispute not sent: ${report.skipped[0]?.reason ?? "unknown"}`);
      return done;
    });
  }

  // ───────────────────────────── the tick ─────────────────────────────

  private async run(given?: ChainHead): Promise<TickReport> {
    const record = await this.record();
    const owner = checksum(record.me === "alice" ? record.setup.alice : record.setup.bob);
    const dispute = await this.reader.dispute();
    const head = given ?? (await readChainHead(this.config.provider));
    const report = this.emptyReport(head.timestamp, dispute);
    const states = knownStates(record);

    if (report.phase === "consensus") await this.answer(report, record, dispute);
    if (report.phase === "defund" || report.phase === "over") {
      const known = states.find((s) => s.hash === dispute.stateHash);
      if (known === undefined) {
        report.skipped.push({
          kind: "defund",
          reason: `the disputed state ${dispute.stateHash} (nonce ${dispute.nonce}) is not in the store`,
        });
      } else {
        if (report.phase === "defund") await this.defundAssets(report, known);
        await this.settleTransfers(report, record, known, owner);
      }
    }
    await this.withdrawExits(report, record, states, owner);
    // A tick that sent nothing scans up to the head it read; one that sent scans on to the block its last one mined in.
    await this.scanSettlements(report, report.actions.length === 0 ? head.number : undefined);
    return report;
  }

  /** Reads the settlements mined since the last scan, with their evidence, and hands them to the hook. */
  private async scanSettlements(report: TickReport, upTo?: number): Promise<void> {
    const provider = this.config.provider;
    const latest = upTo ?? (await provider.getBlockNumber());
    if (latest < this.nextBlock) return;
    const logs = await provider.getLogs({ address: this.channel, topics: [SETTLED_TOPIC], fromBlock: this.nextBlock, toBlock: latest });
    for (const log of logs) {
      const settled: SettledTransfer = { ...settledOf(log), txHash: log.transactionHash, blockNumber: log.blockNumber };
      const evidence = await this.evidenceOf(log.transactionHash, settled.transferId);
      if (evidence !== undefined) settled.resolverData = evidence;
      await this.config.onTransferSettled?.(settled); // throws: nextBlock stays, handed over again next tick
      this.seen.set(settled.transferId, settled);
      report.settled.push(settled);
    }
    this.nextBlock = latest + 1;
  }

  /** The resolverData of a direct `defundTransfer` call on this channel for `transferId`, if the transaction is one. */
  private async evidenceOf(txHash: string, transferId: string): Promise<string | undefined> {
    const tx = await this.config.provider.getTransaction(txHash);
    if (tx === null || tx.to === null || checksum(tx.to) !== this.channel) return undefined;
    try {
      const call = channelInterface.parseTransaction({ data: tx.data });
      if (call?.name !== "defundTransfer") return undefined;
      const t = call.args[0] as Result;
      const settledId = transferIdOf({
        channel: t[0] as string,
        resolver: t[1] as string,
        asset: t[2] as string,
        amount: t[3] as bigint,
        initiator: t[4] as string,
        responder: t[5] as string,
        timeout: t[6] as bigint,
        salt: t[7] as string,
        data: t[8] as string,
      });
      return settledId === transferId ? (call.args[1] as string).toLowerCase() : undefined;
    } catch {
      return undefined; // not a call this SDK can decode: the evidence stays unknown
    }
  }

  /** Consensus phase: answer a stale dispute with the newest thing the owner holds. */
  private async answer(report: TickReport, record: ChannelRecord, dispute: OnChainDispute): Promise<void> {
    if (record.final !== undefined && record.final.state.nonce > dispute.nonce) {
      await this.send(report, "close", closeCall(this.channel, record.final));
    } else if (record.latest !== undefined && record.latest.state.nonce > dispute.nonce) {
      await this.send(report, "refute", disputeCall(this.channel, record.latest));
    }
  }

  private async defundAssets(report: TickReport, known: KnownState): Promise<void> {
    const fresh: string[] = [];
    for (const a of known.state.assets) {
      if ((await this.reader.defundNonce(a.asset)) < a.defundNonce) fresh.push(a.asset);
    }
    if (fresh.length > 0)
      await this.send(report, "defund", defundCall(this.channel, known.state, fresh), { assets: fresh });
  }

  private async settleTransfers(
    report: TickReport,
    record: ChannelRecord,
    known: KnownState,
    owner: string,
  ): Promise<void> {
    for (const { id, transfer } of known.transfers.list()) {
      const evidence = record.resolutions[id];
      const claimable = transfer.responder === owner && evidence !== undefined && evidence !== "0x";
      const refundable = transfer.initiator === owner;
      if (!claimable && !refundable) continue;
      let onchain = await this.reader.transfer(id);
      if (onchain.settled) continue;
      if (onchain.settleDeadline === 0n) {
        if (report.phase !== "defund") {
          report.skipped.push({
            kind: "disputeTransfer",
            transferId: id,
            reason: "not disputed in the defund phase: dispute the channel again",
          });
          continue;
        }
        const call = disputeTransferCall(this.channel, known.state, transfer, known.transfers.proof(id));
        if (!(await this.send(report, "disputeTransfer", call, { transferId: id }))) continue;
        onchain = await this.reader.transfer(id);
      }
      const now = await this.chainTime();
      if (now < onchain.settleDeadline) {
        if (!claimable) continue; // the owner's own transfer: the responder may still claim it
        const signature = await this.responderSignature(report, record.setup.chainId, owner, id, evidence);
        if (signature === undefined) continue;
        await this.send(report, "claimTransfer", defundTransferCall(this.channel, transfer, evidence, signature), {
          transferId: id,
        });
      } else if (refundable) {
        await this.send(report, "refundTransfer", defundTransferCall(this.channel, transfer), { transferId: id });
      }
    }
  }

  private async withdrawExits(
    report: TickReport,
    record: ChannelRecord,
    states: KnownState[],
    owner: string,
  ): Promise<void> {
    const assets = new Set<string>();
    for (const s of states) {
      for (const a of s.state.assets) assets.add(checksum(a.asset));
      for (const t of s.transfers.list()) assets.add(t.transfer.asset);
    }
    for (const a of record.final?.state.assets ?? []) assets.add(checksum(a.asset));
    const recipient = checksum(this.config.exitRecipient ?? owner);
    for (const asset of assets) {
      if ((await this.reader.exitOf(asset, owner)) === 0n) continue;
      let signature = "0x";
      if ((await this.senderAddress()) !== owner) {
        const signer = this.config.ownerSigner;
        if (signer === undefined) {
          report.skipped.push({
            kind: "withdrawExit",
            assets: [asset],
            reason: "the sender is not the owner and no ownerSigner is configured",
          });
          continue;
        }
        const nonce = await this.reader.exitNonce(owner);
        signature = await signExitAuthorization(signer, record.setup.chainId, this.channel, {
          asset,
          recipient,
          nonce,
        });
      }
      await this.send(report, "withdrawExit", withdrawExitCall(this.channel, asset, owner, recipient, signature), {
        assets: [asset],
      });
    }
  }

  /** "0x" when the owner sends; else the owner's TransferResolution signature (undefined, reported, if none). */
  private async responderSignature(
    report: TickReport,
    chainId: bigint,
    owner: string,
    transferId: string,
    resolverData: string,
  ): Promise<string | undefined> {
    if ((await this.senderAddress()) === owner) return "0x";
    const signer = this.config.ownerSigner;
    if (signer === undefined) {
      report.skipped.push({
        kind: "claimTransfer",
        transferId,
        reason: "the sender is not the responder and no ownerSigner is configured",
      });
      return undefined;
    }
    return signTransferResolution(signer, chainId, this.channel, { transferId, resolverData });
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  /** Simulates, sends and waits for `call`; records the outcome. True when it was mined successfully. */
  private async send(
    report: TickReport,
    kind: WatcherActionKind,
    call: ChannelCall,
    extra: { transferId?: string; assets?: string[] } = {},
  ): Promise<boolean> {
    const from = await this.senderAddress();
    let gas: bigint;
    try {
      gas = await this.config.provider.estimateGas({ from, to: call.to, data: call.data });
    } catch (error) {
      report.skipped.push({ kind, ...extra, reason: `would revert: ${revertReason(error)}` });
      return false;
    }
    try {
      const tx = await this.config.sender.sendTransaction({ to: call.to, data: call.data, gasLimit: (gas * 5n) / 4n });
      const receipt = await tx.wait();
      if (receipt === null || receipt.status !== 1) throw new Error(`transaction ${tx.hash} failed`);
      report.actions.push({ kind, txHash: tx.hash, ...extra });
      return true;
    } catch (error) {
      report.skipped.push({ kind, ...extra, reason: `failed: ${revertReason(error)}` });
      return false;
    }
  }

  private emptyReport(
    now: bigint,
    dispute: OnChainDispute = { nonce: 0n, consensusExpiry: 0n, defundExpiry: 0n, stateHash: "0x" },
  ): TickReport {
    return { now, phase: phaseOf(dispute, now), dispute, actions: [], skipped: [], settled: [] };
  }

  private async record(): Promise<ChannelRecord> {
    const record = await this.config.store.load(this.channel);
    if (record === undefined) throw new StoreError(`the store does not hold channel ${this.channel}`);
    return record;
  }

  private async chainTime(): Promise<bigint> {
    return (await readChainHead(this.config.provider)).timestamp;
  }

  private senderAddress(): Promise<string> {
    return this.config.sender.getAddress().then(checksum);
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The phase of a dispute record at time `now`. */
export function phaseOf(d: OnChainDispute, now: bigint): DisputePhase {
  if (d.consensusExpiry === 0n) return d.nonce === 0n ? "none" : "closed";
  if (now < d.consensusExpiry) return "consensus";
  if (now < d.defundExpiry) return "defund";
  return "over";
}

/** The channel's custom error name in a failed call, else the error's message. */
export function revertReason(error: unknown): string {
  const data = findRevertData(error);
  if (data !== undefined) {
    try {
      const parsed = channelInterface.parseError(data);
      if (parsed !== null) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
    } catch {
      // not one of the channel's errors
    }
  }
  return error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
}

function findRevertData(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 4) return undefined;
  const e = error as { data?: unknown; error?: unknown; info?: unknown; cause?: unknown };
  if (typeof e.data === "string" && e.data.startsWith("0x") && e.data.length >= 10) return e.data;
  for (const inner of [e.error, e.info, e.cause, e.data]) {
    const found = findRevertData(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
