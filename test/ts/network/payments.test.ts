/**
 * Payments across nodes, with real processes: three node processes peering on 127.0.0.1 (B dials A and C), users
 * on the outer nodes and on B. A payment across two hops (U1 → A → B → U4) and one across three
 * (U1 → A → B → C → U3): every hop a hashlock lock with the same lock hash, expiries decreasing by each upstream
 * channel's timeout plus the margin, each node keeping its fee. At the end A is drained with its collateral top-up
 * of A–B in flight, and every node's books (its stored channel records, read after it stopped) agree with its
 * peers' and with the chain.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { ChannelReader } from "../../../src/chain/reader.js";
import { payerLockOf } from "../../../src/routing/network/instruction.js";
import { hashlockLock } from "../../../src/protocol/resolvers.js";
import { hashlockTransfer } from "../../../src/routing/node.js";
import type { PaymentNotice } from "../../../src/wire/session.js";
import { preimage, until } from "../node/harness.js";
import { ETH, MARGIN, TIMEOUTS, autoResolve, chainNow, checkBooks, fee, networkPayment, nodeChannel, peered, startWorld, user, type World } from "./world.js";

describe("payments across nodes (three node processes, anvil)", function () {
  this.timeout(300_000);
  let w: World;

  before(async () => {
    w = await startWorld("payments");
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") w?.dump();
  });

  after(async () => {
    await w?.stop();
  });

  let u1: Awaited<ReturnType<typeof user>>;
  let u3: Awaited<ReturnType<typeof user>>;
  let u4: Awaited<ReturnType<typeof user>>;
  const known = new Map<string, string>();
  const notices: PaymentNotice[] = [];

  it("test_network_hopRefusesItsRoute_cancelsBeforeSigningDownstreamAndThePayerIsRefunded", async () => {
    const { A, B, C } = w.nodes;
    await peered(w);
    u1 = await user(w, A, "payments u1", 5n * ETH);
    u3 = await user(w, C, "payments u3", 0n);
    u4 = await user(w, B, "payments u4", 0n);
    autoResolve(u3.session, known);
    autoResolve(u4.session, known);
    u1.session.onPayment((n) => notices.push(n));
    const bad = networkPayment(u1.session, w.addresses.HashlockResolver as string, "refused", ETH, [
      { recipient: B.wallet.address, timeout: TIMEOUTS.A },
      { recipient: C.wallet.address, timeout: TIMEOUTS.C },
      { recipient: u3.session.address, timeout: TIMEOUTS.C },
    ], await chainNow(w), TIMEOUTS.A);
    const [toC, toPayee] = bad.route.path ?? [];
    // B's downstream expiry only 60 s before its upstream one: B's hop breaks E_up ≥ E_down + T_up + margin.
    const route = { ...bad.route, path: [{ ...(toC as NonNullable<typeof toC>), expiry: bad.route.expiry - 60n }, toPayee as NonNullable<typeof toPayee>] };
    known.set(bad.lockHash, "refused");
    await u1.session.sendPayment(bad.intent, route);
    await until(() => notices.some((n) => n.lockHash === bad.lockHash && n.status === "refunded"), "the payer refunded after B refused", 60_000);
    expect(await B.proc.waitForLog((l) => l.msg === "route refused: the lock is cancelled")).to.not.equal(undefined);
    expect(u1.session.channel.state.assets[0]?.balanceBob).to.equal(5n * ETH);
    expect(u1.session.channel.transfers.size).to.equal(0);
    expect(u3.session.channel.transfers.size).to.equal(0); // nothing was signed towards C or the payee
  });

  it("test_network_twoAndThreeHops_completeWithFeesAndBooksAgree", async () => {
    const { A, B, C } = w.nodes;
    const hashlock = w.addresses.HashlockResolver as string;

    // Two hops: U1 → A → B → U4.
    const two = networkPayment(u1.session, hashlock, "two hops", ETH, [
      { recipient: B.wallet.address, timeout: TIMEOUTS.A },
      { recipient: u4.session.address, timeout: TIMEOUTS.B },
    ], await chainNow(w), TIMEOUTS.A);
    known.set(two.lockHash, "two hops");
    await u1.session.sendPayment(two.intent, two.route);
    await until(() => notices.some((n) => n.lockHash === two.lockHash && n.status === "completed"), "the two-hop payment completed", 60_000);
    expect(two.amounts).to.deep.equal([ETH + fee(ETH) + fee(ETH + fee(ETH)), ETH + fee(ETH), ETH]);

    // Three hops: U1 → A → B → C → U3, the route found by A from the gossiped announcements (C's relayed by B).
    const snapshotAtA = async (): Promise<string[]> =>
      (await u1.session.wire.request("graph.snapshot")).announcements.flatMap((a) => (a.kind === "channel" ? [a.announcement.nodeA] : []));
    await until(async () => (await snapshotAtA()).includes(C.wallet.address), "C's announcement relayed to A by B", 30_000, 250);
    expect(new Set(await snapshotAtA())).to.deep.equal(new Set([A.wallet.address, B.wallet.address, C.wallet.address]));
    const lockHash = hashlockLock(preimage("three hops")).toLowerCase();
    const found = await u1.session.wire.request("route.find", {
      payee: u3.session.address,
      payeeNode: C.wallet.address,
      asset: ZeroAddress,
      amount: 2n * ETH,
      lockHash,
      payeeWindow: TIMEOUTS.C + MARGIN + 300n,
      maxFee: ETH / 100n,
    });
    expect(found.hops.map((h) => h.node)).to.deep.equal([A.wallet.address, B.wallet.address, C.wallet.address]);
    expect(found.totalFee).to.equal((found.hops[0]?.amountIn ?? 0n) - 2n * ETH);
    expect(found.hops.map((h) => h.fee)).to.deep.equal(found.hops.map((h) => fee(h.amountOut)));
    const first = found.hops[0] as (typeof found.hops)[number];
    const three = {
      lockHash,
      amounts: [first.amountIn],
      intent: {
        type: "create" as const,
        transfer: hashlockTransfer({
          channel: u1.session.channel.address,
          hashlock,
          asset: ZeroAddress,
          amount: first.amountIn,
          initiator: u1.session.address,
          responder: A.wallet.address,
          timeout: TIMEOUTS.A,
          lockHash,
          expiry: first.expiryIn,
        }),
      },
      route: payerLockOf(found, { now: await chainNow(w), maxFee: ETH / 100n }).instruction, // the payer checks the fee first
    };
    expect(three.route.path?.map((p) => p.recipient)).to.deep.equal([C.wallet.address, u3.session.address]);
    known.set(three.lockHash, "three hops");
    await u1.session.sendPayment(three.intent, three.route);
    await until(() => notices.some((n) => n.lockHash === three.lockHash && n.status === "completed"), "the three-hop payment completed", 60_000);
    await until(() => u3.session.channel.transfers.size === 0 && u4.session.channel.transfers.size === 0, "the payees' locks resolved");

    const paid = (two.amounts[0] as bigint) + (three.amounts[0] as bigint);
    expect(u1.session.channel.state.assets[0]?.balanceBob).to.equal(5n * ETH - paid);
    expect(u4.session.channel.state.assets[0]?.balanceBob).to.equal(ETH);
    expect(u3.session.channel.state.assets[0]?.balanceBob).to.equal(2n * ETH);
    expect(u1.session.channel.transfers.size).to.equal(0);

    // Every node's books after it stopped: no lock left anywhere, both sides of each node channel hold the same
    // latest state, each node gained exactly its fees, and every channel's ETH on chain is its co-signed balances.
    // A's balance towards B is now below its collateral min: its funding pass tops it up. A is drained the moment
    // that deposit is mined, its reconcile update to B in flight (the CI flake: B's acknowledgement was refused
    // SHUTTING_DOWN, B held nonce 9 and A nonce 8); test/ts/network/drain.test.ts is the deterministic version.
    const ab = new ChannelReader(w.provider, nodeChannel(w, "A", "B")).deposits();
    await until(async () => (await ab(ZeroAddress)).alice > 5n * ETH, "A's top-up of A–B mined", 20_000, 2);
    A.proc.signal("SIGTERM");
    expect(await A.proc.exited).to.equal(0);
    for (const s of w.sessions) await s.close();
    w.sessions.length = 0;
    for (const n of [B, C]) await n.proc.stop();
    const { earned: gained, nodeChannels } = await checkBooks(w);
    expect(nodeChannels).to.equal(2);
    const earned = (name: "A" | "B" | "C"): bigint => gained[name];
    expect(earned("A")).to.equal(fee(ETH + fee(ETH)) + fee(2n * ETH + fee(2n * ETH) + fee(2n * ETH + fee(2n * ETH))));
    expect(earned("B")).to.equal(fee(ETH) + fee(2n * ETH + fee(2n * ETH)));
    expect(earned("C")).to.equal(fee(2n * ETH));
  });
});
