/**
 * Atomicity and liveness across nodes, with real processes (three node processes peering on 127.0.0.1, anvil
 * with time travel; the nodes read lock expiries against the chain's clock). In order, on one network:
 * - the middle node B is SIGKILLed once it has forwarded (the lock is at the payee), the payee reveals, B restarts:
 *   the payment completes on every hop, paid once;
 * - a payee who never reveals: once the chain is past C's lock expiry + margin, C refunds B, B refunds A, A
 *   refunds the payer (nothing paid, the payee's expired lock is C's to take back on chain);
 * - B goes silent for good after forwarding: the payee reveals to C, C disputes its channel with B on chain and
 *   settles B's lock there with the preimage before its expiry; A refunds the payer once the chain is past its
 *   lock to B + margin with no claim on chain. Nobody is paid twice; B lost only what it signed away.
 */
import { expect } from "chai";
import { AbiCoder } from "ethers";

import { SETTLED_TOPIC, settledOf } from "../../../src/chain/settlements.js";
import { computeChannelAddress } from "../../../src/protocol/channelAddress.js";
import { CHANNEL_SALT } from "../../../src/node/channels.js";
import type { ClientSession, PaymentNotice } from "../../../src/wire/session.js";
import { preimage, until } from "../node/harness.js";
import { ETH, MARGIN, TIMEOUTS, chainNow, networkPayment, peered, startWorld, storedChannels, travel, user, type World } from "./world.js";

const abi = AbiCoder.defaultAbiCoder();

describe("failures across nodes (three node processes, anvil, time travel)", function () {
  this.timeout(300_000);
  let w: World;
  let u1: ClientSession;
  let u3: ClientSession;
  const notices: PaymentNotice[] = [];

  const status = (lockHash: string, s: string): boolean => notices.some((n) => n.lockHash === lockHash && n.status === s);
  const balance = (s: ClientSession): bigint => s.channel.state.assets[0]?.balanceBob ?? 0n;
  const threeHops = async (tag: string, amount: bigint): Promise<ReturnType<typeof networkPayment>> => {
    const { B, C } = w.nodes;
    const p = networkPayment(u1, w.addresses.HashlockResolver as string, tag, amount, [
      { recipient: B.wallet.address, timeout: TIMEOUTS.A },
      { recipient: C.wallet.address, timeout: TIMEOUTS.C },
      { recipient: u3.address, timeout: TIMEOUTS.C },
    ], await chainNow(w), TIMEOUTS.A);
    await u1.sendPayment(p.intent, p.route);
    await until(() => u3.channel.transfers.list().some((t) => t.transfer.data.slice(2, 66) === p.lockHash.slice(2)), `the ${tag} lock at the payee`, 60_000);
    return p;
  };
  const reveal = async (tag: string, lockHash: string): Promise<void> => {
    const t = u3.channel.transfers.list().find((x) => x.transfer.data.slice(2, 66) === lockHash.slice(2));
    if (t === undefined) throw new Error(`no lock ${lockHash} at the payee`);
    await u3.propose({ type: "resolve", transferId: t.id, toResponder: t.transfer.amount, resolverData: abi.encode(["bytes32"], [preimage(tag)]) });
  };

  before(async () => {
    w = await startWorld("failures");
    await peered(w);
    u1 = (await user(w, w.nodes.A, "failures u1", 8n * ETH)).session;
    u3 = (await user(w, w.nodes.C, "failures u3", 0n)).session;
    u1.onPayment((n) => notices.push(n));
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") w?.dump();
  });

  after(async () => {
    await w?.stop();
  });

  it("test_network_middleNodeKilledAfterForwarding_completesOnceAfterRestart", async () => {
    const before = { u1: balance(u1), u3: balance(u3) };
    const p = await threeHops("killed", ETH);
    w.nodes.B.proc.signal("SIGKILL");
    await w.nodes.B.proc.exited;
    await reveal("killed", p.lockHash); // C pays the payee; its claim from B waits for B
    await w.restart("B");
    await until(() => status(p.lockHash, "completed"), "the payer's lock claimed after B's restart", 60_000);
    expect(balance(u1)).to.equal(before.u1 - (p.amounts[0] as bigint));
    expect(balance(u3)).to.equal(before.u3 + ETH);
    expect(status(p.lockHash, "refunded")).to.equal(false);
    expect(u1.channel.transfers.size).to.equal(0);
  });

  it("test_network_payeeNeverReveals_everyHopRefundsAfterExpiry", async () => {
    const before = { u1: balance(u1), u3: balance(u3) };
    const p = await threeHops("never revealed", ETH / 2n);
    const payeeExpiry = p.expiries[3] as bigint;
    await travel(w, payeeExpiry + MARGIN + 5n - (await chainNow(w)));
    await until(() => status(p.lockHash, "refunded"), "the refund back to the payer", 60_000);
    expect(balance(u1)).to.equal(before.u1);
    expect(balance(u3)).to.equal(before.u3);
    expect(u1.channel.transfers.size).to.equal(0);
    // The payee still holds C's expired lock: after its expiry only C can take it back (on chain).
    expect(u3.channel.transfers.size).to.equal(1);
  });

  it("test_network_middleNodeSilentForGood_downstreamClaimsOnChainUpstreamRefunds", async () => {
    const { B, C } = w.nodes;
    const before = { u1: balance(u1), u3: balance(u3) };
    const p = await threeHops("silent", ETH / 4n);
    B.proc.signal("SIGKILL");
    await B.proc.exited;
    await reveal("silent", p.lockHash);
    expect(balance(u3)).to.equal(before.u3 + ETH / 4n);
    // C cannot claim from B off chain: from E(B→C) − T − margin on it disputes, then settles B's lock with the preimage.
    const lockToC = p.expiries[2] as bigint;
    await travel(w, lockToC - TIMEOUTS.C - MARGIN + 5n - (await chainNow(w)));
    await until(async () => (await C.proc.waitForLog((l) => l.msg === "disputes opened to claim upstream on chain")) !== undefined, "C's dispute of its channel with B", 60_000);
    await travel(w, TIMEOUTS.C + 5n);
    const channelBC = computeChannelAddress(w.addresses.ChannelFactory as string, w.addresses.ChannelMastercopy as string, C.wallet.address, B.wallet.address, CHANNEL_SALT);
    let paidOnChain = 0n;
    await until(async () => {
      const logs = await w.provider.getLogs({ address: channelBC, topics: [SETTLED_TOPIC], fromBlock: 0 });
      paidOnChain = logs.map(settledOf).reduce((sum, s) => sum + s.toResponder, 0n);
      return paidOnChain > 0n;
    }, "B's lock to C settled on chain with the preimage", 60_000, 250);
    expect(paidOnChain).to.equal(p.amounts[2]);
    expect(await chainNow(w)).to.be.below(lockToC); // settled before the lock's expiry
    // A: its lock to B is past expiry + margin, never claimed on chain: A refunds the payer.
    await travel(w, (p.expiries[1] as bigint) + MARGIN + 5n - (await chainNow(w)));
    await until(() => status(p.lockHash, "refunded"), "A's refund of the payer", 60_000);
    expect(balance(u1)).to.equal(before.u1);
    expect(status(p.lockHash, "completed")).to.equal(false);
  });

  it("test_network_afterTheFailures_booksAgreeWithEachOtherAndTheChain", async () => {
    const { A, B, C } = w.nodes;
    for (const s of w.sessions) await s.close();
    w.sessions.length = 0;
    await A.proc.stop();
    await C.proc.stop();
    const channelBC = computeChannelAddress(w.addresses.ChannelFactory as string, w.addresses.ChannelMastercopy as string, C.wallet.address, B.wallet.address, CHANNEL_SALT);
    const records = [...(await storedChannels(A)), ...(await storedChannels(B)), ...(await storedChannels(C))];
    const byChannel = new Map<string, typeof records>();
    for (const r of records) byChannel.set(r.setup.channel, [...(byChannel.get(r.setup.channel) ?? []), r]);
    expect(byChannel.get(u1.channel.address)?.[0]?.transfers).to.have.length(0); // the payer's channel: nothing locked
    for (const [address, rs] of byChannel) {
      if (address === channelBC) continue; // disputed and defunded on chain by C's watcher
      if (rs.length === 2) expect(rs[0]?.latest?.state, address).to.deep.equal(rs[1]?.latest?.state);
      const r = rs[0] as (typeof rs)[number];
      const a = r.latest?.state.assets[0];
      const locked = r.transfers.reduce((sum, t) => sum + t.transfer.amount, 0n);
      // Every channel's ETH on chain is its co-signed balances plus what its active locks hold.
      expect(await w.provider.getBalance(address), address).to.equal((a?.balanceAlice ?? 0n) + (a?.balanceBob ?? 0n) + locked);
    }
    // Left locked: C's expired lock to the payee who never revealed (C's, on chain), A's lock to the silent B (A's after expiry).
    const left = records.filter((r) => r.setup.channel !== channelBC).flatMap((r) => r.transfers.map((t) => `${r.me}:${t.transfer.initiator}`));
    expect(new Set(left)).to.deep.equal(new Set([`alice:${C.wallet.address}`, `alice:${A.wallet.address}`, `bob:${A.wallet.address}`]));
  });
});
