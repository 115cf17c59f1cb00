/**
 * The payer's node retries another route by itself when a hop refuses (docs/PROTOCOL.md §17.6), with real
 * processes: four node processes on 127.0.0.1 with two routes from A to D, A → B → D and A → C → D, the payer U1
 * on A and the payee U4 on D. Address order A < D < B < C: A sequences its channels with B and C, D its channels
 * with B and C and its users' (B and C dial both). In order, on one network:
 * - B's fee is above what the payer's route gives it: B refuses before signing anything towards D and cancels the
 *   payer's node's lock; A excludes B and completes the payment over C with the same lock;
 * - every route is refused (the payee's lock expires too soon for D): A tries B, then C, each refused by D and
 *   cancelled hop by hop, then stops with ROUTE_EXHAUSTED and the attempts; the payer is refunded;
 * - B is offline: A signs nothing for it and completes the payment over C.
 * At the end every node's books and the chain agree, nobody was paid twice, B gained nothing.
 */
import { expect } from "chai";
import { RouteExhaustedError } from "../../../src/routing/network/errors.js";
import type { ClientSession, PaymentNotice } from "../../../src/wire/session.js";
import { until } from "../node/harness.js";
import { ETH, autoResolve, chainNow, checkBooks, fee, networkPayment, nodeChannel, peered, startNetwork, user, type World } from "./world.js";

type Name = "A" | "B" | "C" | "D";
const TIMEOUT = { A: 7_200n, B: 1_800n, C: 1_800n, D: 1_800n } as const;
/** B charges more than the others announce: a route priced at the usual fee leaves it too little. */
const B_FEE = { flat: 5_000n, ppm: 100n };
const bFee = (out: bigint): bigint => B_FEE.flat + (out * B_FEE.ppm) / 1_000_000n;

describe("retry across nodes (four node processes, anvil)", function () {
  this.timeout(300_000);
  let w: World<Name>;
  let u1: ClientSession;
  let u4: ClientSession;
  const known = new Map<string, string>();
  const notices: PaymentNotice[] = [];
  const final = (lockHash: string): PaymentNotice | undefined =>
    notices.find((n) => n.lockHash === lockHash && (n.status === "completed" || n.status === "refunded"));
  const balance = (s: ClientSession): bigint => s.channel.state.assets[0]?.balanceBob ?? 0n;
  let paid = 0n;
  let received = 0n;

  /** The payer's lock over B (its node A, then B, D and the payee), priced with `fees` (A's, B's, D's). */
  const overB = async (tag: string, fees: Array<(out: bigint) => bigint>, payeeSlack = 300n): Promise<ReturnType<typeof networkPayment>> => {
    const { B, D } = w.nodes;
    const p = networkPayment(u1, w.addresses.HashlockResolver as string, tag, ETH, [
      { recipient: B.wallet.address, timeout: TIMEOUT.A },
      { recipient: D.wallet.address, timeout: TIMEOUT.D },
      { recipient: u4.address, timeout: TIMEOUT.D },
    ], (await chainNow(w)) + payeeSlack - 300n, TIMEOUT.A, fees);
    known.set(p.lockHash, tag);
    return p;
  };

  before(async () => {
    w = await startNetwork<Name>("retry", {
      order: ["A", "D", "B", "C"],
      timeouts: TIMEOUT,
      fees: { B: B_FEE },
      links: [["A", "B"], ["A", "C"], ["B", "D"], ["C", "D"]],
    });
    await peered(w);
    u1 = (await user(w, w.nodes.A, "retry u1", 6n * ETH)).session;
    u4 = (await user(w, w.nodes.D, "retry u4", 0n)).session;
    autoResolve(u4, known);
    u1.onPayment((n) => notices.push(n));
    // A's graph holds both routes: its own channels, and B's and C's sides of their channels with D.
    const { A, B, C, D } = w.nodes;
    const want = [`${A.wallet.address}>${B.wallet.address}`, `${A.wallet.address}>${C.wallet.address}`, `${B.wallet.address}>${D.wallet.address}`, `${C.wallet.address}>${D.wallet.address}`];
    const edges = async (): Promise<string[]> =>
      (await u1.wire.request("graph.snapshot")).announcements.flatMap((a) => (a.kind === "channel" ? [`${a.announcement.nodeA}>${a.announcement.nodeB}`] : []));
    await until(async () => {
      const have = await edges();
      return want.every((e) => have.includes(e));
    }, "both routes announced to A", 60_000, 250);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") w?.dump();
  });

  after(async () => {
    await w?.stop();
  });

  it("test_retry_hopRefusesItsFee_nothingSignedTowardsDAndThePaymentCompletesOverC", async () => {
    const { B, C, D } = w.nodes;
    const before = balance(u1);
    const p = await overB("fee refused", [fee, fee, fee]); // B is given FEE's fee, below its own
    await u1.sendPayment(p.intent, p.route);
    await until(() => final(p.lockHash) !== undefined, "the payment ended", 60_000);
    const end = final(p.lockHash) as PaymentNotice;
    expect(end.status).to.equal("completed");
    expect(end.attempts).to.have.length(1);
    expect(end.attempts?.[0]?.path).to.deep.equal([B.wallet.address, D.wallet.address, u4.address]);
    expect(end.attempts?.[0]?.refusedBy).to.equal(B.wallet.address);
    expect(end.route).to.deep.equal([C.wallet.address, D.wallet.address, u4.address]);
    expect(await B.proc.waitForLog((l) => l.msg === "route refused: the lock is cancelled" && /below its fee/.test(JSON.stringify(l)))).to.not.equal(undefined);
    // The same lock, the same price: the route over C costs what the payer locked (C charges FEE like A and D).
    expect(balance(u1)).to.equal(before - (p.amounts[0] as bigint));
    await until(() => balance(u4) === ETH, "the payee paid once");
    paid += p.amounts[0] as bigint;
    received += ETH;
  });

  it("test_retry_everyRouteRefused_stopsWithRouteExhaustedAndThePayerIsRefunded", async () => {
    const { B, C, D } = w.nodes;
    const before = balance(u1);
    const payeeNonce = u4.channel.state.nonce;
    // The payee's lock would expire 300 s before D's lifetime rule allows (now + T + margin): D refuses each route.
    const p = await overB("exhausted", [fee, bFee, fee], -300n);
    await u1.sendPayment(p.intent, p.route);
    await until(() => final(p.lockHash) !== undefined, "the payment ended", 60_000);
    const end = final(p.lockHash) as PaymentNotice;
    expect(end.status).to.equal("refunded");
    expect(end.code).to.equal("ROUTE_EXHAUSTED");
    expect(end.attempts?.map((a) => a.refusedBy)).to.deep.equal([B.wallet.address, C.wallet.address]);
    expect(end.attempts?.map((a) => a.path[0])).to.deep.equal([B.wallet.address, C.wallet.address]);
    expect(end.reason).to.match(/no route/);
    const typed = RouteExhaustedError.fromNotice(end); // what the payer throws
    expect(typed).to.be.instanceOf(RouteExhaustedError);
    expect(typed?.attempts.map((a) => a.refusedBy)).to.deep.equal([B.wallet.address, C.wallet.address]);
    const completed = notices.find((n) => n.status === "completed" && n.attempts !== undefined); // the first test's
    expect(completed).to.not.equal(undefined);
    expect(RouteExhaustedError.fromNotice(completed as PaymentNotice)).to.equal(undefined);
    expect(balance(u1)).to.equal(before);
    expect(u1.channel.transfers.size).to.equal(0);
    // D refused both before signing anything towards the payee: the payee's channel did not move.
    expect(u4.channel.state.nonce).to.equal(payeeNonce);
    expect(u4.channel.transfers.size).to.equal(0);
    expect(balance(u4)).to.equal(received);
  });

  it("test_retry_hopOffline_signsNothingForItAndThePaymentCompletesOverC", async () => {
    const { A, B, C, D } = w.nodes;
    const closed = (): number => A.proc.logs().filter((l) => l.msg === "connection closed").length;
    const open = closed();
    await B.proc.stop();
    await until(() => closed() > open, "A saw B's session close");
    const before = balance(u1);
    const p = await overB("offline", [fee, bFee, fee]); // priced for B: the route over C is cheaper, A keeps the rest
    await u1.sendPayment(p.intent, p.route);
    await until(() => final(p.lockHash) !== undefined, "the payment ended", 60_000);
    const end = final(p.lockHash) as PaymentNotice;
    expect(end.status).to.equal("completed");
    expect(end.attempts?.[0]?.refusedBy).to.equal(B.wallet.address);
    expect(end.attempts?.[0]?.reason).to.match(/not connected/);
    expect(end.route).to.deep.equal([C.wallet.address, D.wallet.address, u4.address]);
    expect(balance(u1)).to.equal(before - (p.amounts[0] as bigint));
    await until(() => balance(u4) === received + ETH, "the payee paid once");
    paid += p.amounts[0] as bigint;
    received += ETH;

    for (const s of w.sessions) await s.close();
    w.sessions.length = 0;
    for (const n of [A, C, D]) await n.proc.stop();
    const { earned, nodeChannels } = await checkBooks(w);
    expect(nodeChannels).to.equal(4);
    expect(earned.B).to.equal(0n); // B refused or was away: it gained nothing, lost nothing
    // What the payer paid is what the payee got plus the fees A, C and D kept.
    expect(earned.A + earned.C + earned.D).to.equal(paid - received);
    expect(earned.C).to.equal(fee(ETH + fee(ETH)) * 2n);
    expect(earned.D).to.equal(fee(ETH) * 2n);
    // Nothing is left locked in A's channel with B, whose last state both sides hold (checkBooks).
    expect(await w.provider.getBalance(nodeChannel(w, "A", "B"))).to.be.greaterThan(0n);
  });
});
