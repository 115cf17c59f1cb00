/**
 * The end checks of a chaos run, made with every process stopped, on the stores themselves (the node's
 * PostgreSQL or SQLite store, each client's SQLite file) and on the chain:
 *
 *   1. each channel's latest co-signed state is identical on both sides (nonce, state digest), both signatures
 *      valid (recovering to the node and to the client), no transfer left active on either side;
 *   2. every routed payment ended on both hops alike: the node's record completed (both locks claimed with the
 *      preimage) or refunded (both locks, where a downstream one exists, resolved with a zero payout), and the
 *      payer's and payee's own records agree;
 *   3. no payment paid twice: at most one claim per lock hash on each side, every attempted lock hash unique;
 *   4. per channel and asset, the off-chain balances add up to the funds the channel holds on chain (and to the
 *      deposits the state has processed);
 *   5. each client's balance is its deposits, less what it paid (amount + fee) in completed payments, plus what
 *      it received in completed payments: nothing lost, nothing created.
 */
import { JsonRpcProvider } from "ethers";

import { stateDigest } from "../../src/protocol/digests.js";
import { hashingReady } from "../../src/protocol/hashes.js";
import { hashlockTerms } from "../../src/protocol/policies.js";
import type { ChannelRecord, CoSignedUpdate } from "../../src/protocol/record.js";
import { tryRecover } from "../../src/protocol/signing.js";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { SqliteStore } from "../../src/stores/sqlite/index.js";
import type { PaymentRecord, SwitchyardStore } from "../../src/stores/store.js";
import type { NodeStoreLocation } from "./network.js";

const CHAIN_ID = 31337n;

export interface ClientFiles {
  name: string;
  address: string;
  channel: string;
  storeFile: string;
}

/** A payment the controller attempted: who paid whom, how much, and what `pay()` answered. */
export interface Attempt {
  lockHash: string;
  payer: string;
  payee: string;
  amount: bigint;
  fee: bigint;
  /** "completed", an error code ("PAYMENT_TIMEOUT", "NODE_UNAVAILABLE", …), or "killed" (the payer was). */
  answer: string;
}

export interface CheckResult {
  name: string;
  passed: boolean;
  /** What was checked (counts), or the first failures. */
  detail: string;
}

export interface PaymentOutcomes {
  /** By final outcome of the node's record: completed, refunded; "never locked" when the node holds none. */
  completed: number;
  refunded: number;
  neverLocked: number;
  /** pay()'s answers by cause for the payments that did not complete at once. */
  answers: Record<string, number>;
}

export interface Verdict {
  checks: CheckResult[];
  /** For a failed check: what the stores hold about each payment named in a problem (a post-mortem). */
  evidence: Record<string, unknown>;
  outcomes: PaymentOutcomes;
  /** The latest co-signed balances per channel (ETH), what the final close must pay. */
  balances: Map<string, { alice: bigint; bob: bigint; nonce: bigint }>;
}

async function openNodeStore(location: NodeStoreLocation): Promise<SwitchyardStore> {
  return location.kind === "pg" ? PostgresStore.open({ url: location.url }) : SqliteStore.open(location.url);
}

function claimsOf(history: CoSignedUpdate[]): Map<string, { lockHash: string; created: boolean; paid: bigint[]; refunds: number }> {
  const byTransfer = new Map<string, { lockHash: string; created: boolean; paid: bigint[]; refunds: number }>();
  for (const c of history) {
    const d = c.update.details;
    if (d.type === "create") {
      const id = (c.transferId ?? "").toLowerCase();
      let lockHash = "";
      try {
        lockHash = hashlockTerms(d.transfer.data).lockHash;
      } catch {
        lockHash = "(not a hashlock)";
      }
      byTransfer.set(id, { lockHash, created: true, paid: [], refunds: 0 });
    } else if (d.type === "resolve") {
      const t = byTransfer.get(d.transferId.toLowerCase());
      if (t === undefined) continue;
      if (d.toResponder > 0n) t.paid.push(d.toResponder);
      else t.refunds++;
    }
  }
  return byTransfer;
}

/** Runs every check; never throws for a failed check (each is reported), only when a store cannot be read. */
export async function checkStores(location: NodeStoreLocation, rpc: string, nodeAddress: string, clients: readonly ClientFiles[], attempts: readonly Attempt[]): Promise<Verdict> {
  await hashingReady();
  const checks: CheckResult[] = [];
  const fail = (name: string, problems: string[], ok: string): void => {
    checks.push({ name, passed: problems.length === 0, detail: problems.length === 0 ? ok : `${problems.length} problem(s): ${problems.slice(0, 8).join("; ")}` });
  };
  const provider = new JsonRpcProvider(rpc, 31337, { staticNetwork: true, cacheTimeout: -1 });
  const node = await openNodeStore(location);
  const balances = new Map<string, { alice: bigint; bob: bigint; nonce: bigint }>();
  try {
    const nodeRecords = new Map<string, ChannelRecord>();
    const histories = new Map<string, CoSignedUpdate[]>();
    const clientPayments = new Map<string, Map<string, PaymentRecord>>();
    const same: string[] = [];
    const sums: string[] = [];
    for (const c of clients) {
      const store = await SqliteStore.open(c.storeFile);
      try {
        const mine = await store.load(c.channel);
        const theirs = await node.load(c.channel);
        const payments = new Map((await store.payments()).map((p) => [p.lockHash, p]));
        clientPayments.set(c.address, payments);
        if (mine?.latest === undefined || theirs?.latest === undefined) {
          same.push(`${c.name}: ${mine?.latest === undefined ? "the client" : "the node"} holds no co-signed state of ${c.channel}`);
          continue;
        }
        nodeRecords.set(c.channel, theirs);
        histories.set(c.channel, await node.history(c.channel));
        const a = mine.latest;
        const b = theirs.latest;
        const da = stateDigest(CHAIN_ID, c.channel, a.state);
        const db = stateDigest(CHAIN_ID, c.channel, b.state);
        if (a.state.nonce !== b.state.nonce) same.push(`${c.name}: nonce ${a.state.nonce} (client) ≠ ${b.state.nonce} (node)`);
        else if (da !== db) same.push(`${c.name}: nonce ${a.state.nonce} has two contents (${da} / ${db})`);
        for (const [who, s, digest] of [["client", a, da], ["node", b, db]] as const) {
          const alice = tryRecover(digest, s.aliceSignature);
          const bob = tryRecover(digest, s.bobSignature);
          if (!("signer" in alice) || alice.signer !== nodeAddress) same.push(`${c.name}: ${who}'s copy: alice's signature does not recover to the node`);
          if (!("signer" in bob) || bob.signer !== c.address) same.push(`${c.name}: ${who}'s copy: bob's signature does not recover to the client`);
        }
        if (mine.transfers.length > 0 || theirs.transfers.length > 0)
          same.push(`${c.name}: transfers still active (client ${mine.transfers.length}, node ${theirs.transfers.length})`);
        if (mine.pending !== undefined || theirs.pending !== undefined)
          same.push(`${c.name}: a signature still unanswered (client ${mine.pending?.nonce ?? "-"}, node ${theirs.pending?.nonce ?? "-"})`);
        // 4. Off-chain balances against the chain, per asset.
        const onchain = await provider.getBalance(c.channel);
        for (const asset of b.state.assets) {
          const locked = theirs.transfers.filter((t) => t.transfer.asset === asset.asset).reduce((s, t) => s + t.transfer.amount, 0n);
          const offchain = asset.balanceAlice + asset.balanceBob + locked;
          const processed = asset.processedAlice + asset.processedBob;
          if (asset.asset !== "0x0000000000000000000000000000000000000000") {
            sums.push(`${c.name}: asset ${asset.asset} is not ETH (this run checks ETH)`);
            continue;
          }
          if (offchain !== onchain) sums.push(`${c.name}: off-chain ${offchain} ≠ on-chain ${onchain} wei`);
          if (processed !== onchain) sums.push(`${c.name}: processed deposits ${processed} ≠ on-chain ${onchain} wei`);
          balances.set(c.channel, { alice: asset.balanceAlice, bob: asset.balanceBob, nonce: b.state.nonce });
        }
      } finally {
        await store.close();
      }
    }
    fail("latest co-signed state identical on both sides, both signatures valid, nothing pending", same, `${clients.length} channels: same nonce and state digest, signatures recover to the node and the client, no transfer or signature left open`);
    fail("off-chain balances equal the channel's funds on chain", sums, `${clients.length} channels: Σ balances = processed deposits = the channel's ETH on chain`);

    // 2. Both hops alike.
    const byAddress = new Map(clients.map((c) => [c.address, c]));
    const hops: string[] = [];
    const nodePayments = await node.payments();
    const nodeByLock = new Map(nodePayments.map((p) => [p.lockHash, p]));
    const claims = new Map<string, ReturnType<typeof claimsOf>>();
    for (const [channel, h] of histories) claims.set(channel, claimsOf(h));
    let completed = 0;
    let refunded = 0;
    const suspects = new Set<string>();
    const hopsBefore = (): number => hops.length;
    for (const p of nodePayments) {
      const n0 = hopsBefore();
      if (p.status !== "completed" && p.status !== "refunded") {
        hops.push(`${p.lockHash.slice(0, 10)}: the node's record is ${p.status}`);
        continue;
      }
      const payer = byAddress.get(p.upstreamPeer);
      const payee = p.downstreamPeer !== undefined ? byAddress.get(p.downstreamPeer) : undefined;
      if (payer === undefined) {
        hops.push(`${p.lockHash.slice(0, 10)}: upstream ${p.upstreamPeer} is not a client of this run`);
        continue;
      }
      const up = claims.get(payer.channel)?.get(p.upstreamTransferId.toLowerCase());
      const down = payee !== undefined && p.downstreamTransferId !== undefined ? claims.get(payee.channel)?.get(p.downstreamTransferId.toLowerCase()) : undefined;
      const upPaid = (up?.paid.length ?? 0) > 0;
      const downPaid = (down?.paid.length ?? 0) > 0;
      if (p.status === "completed") {
        completed++;
        if (!upPaid || !downPaid) hops.push(`${p.lockHash.slice(0, 10)}: completed, but upstream ${upPaid ? "claimed" : "not claimed"}, downstream ${downPaid ? "claimed" : "not claimed"}`);
      } else {
        refunded++;
        if (upPaid || downPaid) hops.push(`${p.lockHash.slice(0, 10)}: refunded, but upstream ${upPaid ? "claimed" : "refunded"}, downstream ${downPaid ? "claimed" : "refunded"}`);
        if (up === undefined || up.refunds !== 1) hops.push(`${p.lockHash.slice(0, 10)}: refunded, but the upstream lock has ${up?.refunds ?? 0} refunds`);
      }
      // The clients' own records agree with the node's.
      const payerRow = clientPayments.get(payer.address)?.get(p.lockHash);
      if (payerRow?.status !== p.status) hops.push(`${p.lockHash.slice(0, 10)}: the node says ${p.status}, the payer's store ${payerRow?.status ?? "nothing"}`);
      if (payee !== undefined) {
        const payeeRow = clientPayments.get(payee.address)?.get(p.lockHash);
        const want = p.status === "completed" ? "received" : "invoiced";
        if (payeeRow?.status !== want) hops.push(`${p.lockHash.slice(0, 10)}: the node says ${p.status}, the payee's store ${payeeRow?.status ?? "nothing"} (want ${want})`);
      }
      if (hops.length > n0) suspects.add(p.lockHash);
    }
    // A payer's record the node never saw must not be open or completed (nothing was signed for it).
    for (const [address, rows] of clientPayments) {
      for (const r of rows.values()) {
        if ((r.body as { role?: string }).role !== "payer" || nodeByLock.has(r.lockHash)) continue;
        if (r.status !== "abandoned" && r.status !== "locking")
          hops.push(`${r.lockHash.slice(0, 10)}: ${byAddress.get(address)?.name ?? address} says ${r.status}, the node holds no such payment`);
        const transfers = [...(claims.get(byAddress.get(address)?.channel ?? "")?.values() ?? [])].filter((t) => t.lockHash === r.lockHash);
        if (transfers.length > 0) hops.push(`${r.lockHash.slice(0, 10)}: locked in the channel, but the node holds no payment for it`);
      }
    }
    fail("every payment complete on both hops or refunded on both", hops, `${nodePayments.length} routed payments (${completed} completed, ${refunded} refunded), the payers' and payees' records agree`);

    // 3. Never twice.
    const twice: string[] = [];
    const seen = new Set<string>();
    for (const a of attempts) {
      if (seen.has(a.lockHash)) twice.push(`${a.lockHash.slice(0, 10)} attempted twice`);
      seen.add(a.lockHash);
    }
    const claimedLocks = new Map<string, number>();
    for (const [, byTransfer] of claims) {
      for (const t of byTransfer.values()) {
        if (t.paid.length > 1) twice.push(`${t.lockHash.slice(0, 10)}: one transfer claimed ${t.paid.length} times`);
        if (t.paid.length > 0) claimedLocks.set(t.lockHash, (claimedLocks.get(t.lockHash) ?? 0) + 1);
      }
    }
    for (const [lockHash, n] of claimedLocks) {
      if (n === 2) continue;
      twice.push(`${lockHash.slice(0, 10)}: claimed in ${n} channels (2 expected: upstream and downstream)`);
      suspects.add(lockHash);
    }
    fail("no payment paid twice", twice, `${attempts.length} lock hashes, each attempted once; ${claimedLocks.size} claimed, each exactly once upstream and once downstream`);

    // 5. Each client's balance from the payments' outcomes.
    const ledger: string[] = [];
    for (const c of clients) {
      const record = nodeRecords.get(c.channel);
      const asset = record?.latest?.state.assets[0];
      if (asset === undefined) continue;
      let expected = asset.processedBob;
      for (const a of attempts) {
        const outcome = nodeByLock.get(a.lockHash)?.status;
        if (outcome !== "completed") continue;
        if (a.payer === c.address) expected -= a.amount + a.fee;
        if (a.payee === c.address) expected += a.amount;
      }
      if (expected !== asset.balanceBob) ledger.push(`${c.name}: balance ${asset.balanceBob}, expected ${expected} from its deposits and completed payments (Δ ${asset.balanceBob - expected})`);
    }
    fail("each client's balance = deposits − paid + received (completed payments)", ledger, `${clients.length} clients: every wei accounted for by its deposits and the completed payments`);

    const answers: Record<string, number> = {};
    let neverLocked = 0;
    for (const a of attempts) {
      if (!nodeByLock.has(a.lockHash)) neverLocked++;
      if (a.answer !== "completed") answers[a.answer] = (answers[a.answer] ?? 0) + 1;
    }
    const evidence: Record<string, unknown> = {};
    for (const lockHash of suspects) {
      const p = nodeByLock.get(lockHash);
      const ids = new Set([p?.upstreamTransferId, p?.downstreamTransferId].filter((x): x is string => x !== undefined).map((x) => x.toLowerCase()));
      const updates: unknown[] = [];
      for (const [channel, h] of histories) {
        for (const c of h) {
          const d = c.update.details;
          const id = d.type === "create" ? (c.transferId ?? "").toLowerCase() : d.type === "resolve" ? d.transferId.toLowerCase() : "";
          let lh = "";
          if (d.type === "create") {
            try {
              lh = hashlockTerms(d.transfer.data).lockHash;
            } catch {
              lh = "";
            }
          }
          if (ids.has(id) || lh === lockHash)
            updates.push({ channel, nonce: c.update.state.nonce.toString(), proposer: c.update.proposer, type: d.type, transferId: id, ...(d.type === "resolve" ? { toResponder: d.toResponder.toString() } : {}) });
        }
      }
      const rows: Record<string, unknown> = {};
      for (const [address, r] of clientPayments) {
        const row = r.get(lockHash);
        if (row !== undefined) rows[byAddress.get(address)?.name ?? address] = { status: row.status, version: row.version, body: row.body };
      }
      evidence[lockHash] = { node: p === undefined ? null : { status: p.status, version: p.version, body: p.body }, transferIds: [...ids], updates, clients: rows };
    }
    return { checks, evidence, outcomes: { completed, refunded, neverLocked, answers }, balances };
  } finally {
    await node.close();
    provider.destroy();
  }
}
