/**
 * Routing as a service (src/node/payments.ts), in process over real sockets: a routed payment between two
 * clients (lock upstream through the intent flow, forward pushed to the payee, the payee's preimage claimed
 * from the payer), a payee offline at forward time, and a storm of payments both ways at once with every
 * signature of the node and both clients logged.
 */
import { expect } from "chai";
import { AbiCoder, ZeroAddress, id, toBeHex, zeroPadValue } from "ethers";

import { hashlockLock, encodeHashlockTerms } from "../../../src/protocol/resolvers.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import { MemoryStore } from "../../../src/stores/store.js";
import type { ClientSession, PaymentNotice } from "../../../src/wire/session.js";
import { ADDRESSES, forwardedLock } from "./harness.js";
import { clientWalletOf, depositChain, doubleSigned, type InProcessNode, loggingSigner, session, type SignatureEntry, startInProcessNode, startLoggedNode } from "./inProcess.js";

const abi = AbiCoder.defaultAbiCoder();
const ETH = 10n ** 18n;
const DEPOSITS = { alice: 10n * ETH, bob: 10n * ETH };
const T = 86_400n;
const MARGIN = 600n;
const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));
const deposit = {
  type: "deposit" as const,
  asset: ZeroAddress,
  totalDepositsAlice: DEPOSITS.alice,
  totalDepositsBob: DEPOSITS.bob,
};

function preimage(tag: string): string {
  return zeroPadValue(toBeHex(BigInt(id(tag)) >> 8n), 32);
}

/** The payer's upstream lock to the node and its route (expiries within both route rules). */
function payment(
  payer: ClientSession,
  payee: ClientSession,
  tag: string,
  amount = 10n ** 15n,
): { lock: Transfer; route: { recipient: string; expiry: bigint } } {
  const setup = payer.channel.channelSetup;
  const down = now() + T + MARGIN + 120n;
  const up = down + T + MARGIN + 120n;
  return {
    lock: {
      channel: setup.channel,
      resolver: ADDRESSES.HashlockResolver,
      asset: ZeroAddress,
      amount,
      initiator: setup.bob,
      responder: setup.alice,
      timeout: T,
      salt: id(`pay ${tag}`),
      data: encodeHashlockTerms({ lockHash: hashlockLock(preimage(tag)), expiry: up }),
    },
    route: { recipient: payee.address, expiry: down },
  };
}

/** Resolves every lock the node forwards to the payee (its channel shows it) with its preimage (from `tags`). */
function autoResolve(payee: ClientSession, tags: Map<string, string>, done: Array<Promise<unknown>>): void {
  payee.onUpdate((update) => {
    const n = forwardedLock(payee.address, update);
    if (n === undefined) return;
    const tag = tags.get(n.lockHash);
    if (tag === undefined) return;
    done.push(
      payee.propose({
        type: "resolve",
        transferId: n.transferId,
        toResponder: n.amount,
        resolverData: abi.encode(["bytes32"], [preimage(tag)]),
      }),
    );
  });
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function bobBalance(s: ClientSession): bigint {
  return s.channel.state.assets[0]?.balanceBob ?? 0n;
}

describe("routing as a service (in process, real sockets)", function () {
  this.timeout(120_000);
  let node: InProcessNode;
  const nodeLog: SignatureEntry[] = [];

  beforeEach(async () => {
    node = await startLoggedNode(nodeLog, DEPOSITS, { peerTimeoutMs: 5_000 });
  });
  afterEach(async () => node?.stop());

  it("test_paymentSend_routesBetweenTwoClientsAndClaimsUpstream", async () => {
    const payer = await session(node.url, loggingSigner(clientWalletOf("payer"), []));
    const payee = await session(node.url, loggingSigner(clientWalletOf("payee"), []));
    await payer.propose(deposit);
    await payee.propose(deposit);
    const notices: PaymentNotice[] = [];
    const payeeNotices: PaymentNotice[] = [];
    payer.onPayment((n) => notices.push(n));
    payee.onPayment((n) => payeeNotices.push(n));
    const resolves: Array<Promise<unknown>> = [];
    const { lock, route } = payment(payer, payee, "one");
    autoResolve(payee, new Map([[hashlockLock(preimage("one")).toLowerCase(), "one"]]), resolves);
    await payer.sendPayment({ type: "create", transfer: lock }, route);
    const lockHash = hashlockLock(preimage("one")).toLowerCase();
    await until(() => payer.channel.transfers.size === 0, "the upstream claim to reach the payer");
    await until(() => node.service.router?.node.payment(lockHash)?.status === "completed", "the payer's ack of the claim");
    await Promise.all(resolves);
    await new Promise((r) => setTimeout(r, 200)); // a notice the node sent would have arrived by now
    // Flow revision 2: only what the payer's channel does not show it (its lock reached the payee, the payee claimed
    // it); no "accepted" (its own acknowledgement), no "completed" (the claim it co-signed), nothing to the payee.
    expect(notices.map((n) => [n.role, n.status, n.lockHash])).to.deep.equal([
      ["payer", "forwarded", lockHash],
      ["payer", "unlocked", lockHash],
    ]);
    expect(payeeNotices).to.deep.equal([]);
    expect(bobBalance(payer)).to.equal(DEPOSITS.bob - lock.amount);
    expect(bobBalance(payee)).to.equal(DEPOSITS.bob + lock.amount);
    const stored = await node.store.payment(lockHash);
    expect(stored?.status).to.equal("completed"); // durable in the node's store
    const metrics = await node.service.metrics.registry.metrics();
    expect(metrics).to.match(/switchyard_payments_routed_total\{asset="0x0{40}"\} 1\n/);
    expect(metrics).to.match(/switchyard_updates_total\{type="create",proposer="bob"\} 1\n/); // the upstream lock
    for (const s of [payer, payee]) {
      const channel = await node.service.nodeChannels.channelOf(s.address);
      expect(channel.latest).to.deep.equal(s.channel.latest);
    }
    await payer.close();
    await payee.close();
  });

  it("test_paymentSend_payeeOfflineAtForwardTime_forwardWaitsForItsReconnect", async () => {
    const payer = await session(node.url, loggingSigner(clientWalletOf("payer2"), []));
    const payeeStore = new MemoryStore();
    const payeeWallet = clientWalletOf("payee2");
    let payee = await session(node.url, loggingSigner(payeeWallet, []), payeeStore);
    await payer.propose(deposit);
    await payee.propose(deposit);
    const { lock, route } = payment(payer, payee, "offline");
    await payee.close();
    await payer.sendPayment({ type: "create", transfer: lock }, route);
    const lockHash = hashlockLock(preimage("offline")).toLowerCase();
    await until(() => node.service.router?.node.payment(lockHash)?.status === "forwarded", "the forward signed");
    payee = await session(node.url, loggingSigner(payeeWallet, []), payeeStore); // gets the forward re-delivered
    expect(payee.channel.transfers.size).to.equal(1);
    const t = payee.channel.transfers.list()[0] as { id: string; transfer: Transfer };
    await payee.propose({
      type: "resolve",
      transferId: t.id,
      toResponder: t.transfer.amount,
      resolverData: abi.encode(["bytes32"], [preimage("offline")]),
    });
    await until(() => node.service.router?.node.payment(lockHash)?.status === "completed", "the upstream claim");
    await until(() => payer.channel.transfers.size === 0, "the claim to reach the payer");
    await payer.close();
    await payee.close();
  });

  // Found by `npm run chaos` (the chain clock moved past the locks' expiries): the routing Node counted a forward
  // as expired on the chain's time and refunded the payer, while the channel, on the system clock, still signed
  // the payee's late claim: the node paid the payee and refunded the payer.
  it("test_paymentSend_payeeClaimsPastExpiryOnTheRoutingClock_refusedAndNothingSigned", async () => {
    let ahead = 0n;
    await node.stop();
    node = await startInProcessNode({ chain: depositChain(DEPOSITS), peerTimeoutMs: 5_000, routingClock: () => now() + ahead });
    const payer = await session(node.url, loggingSigner(clientWalletOf("payer late"), []));
    const payeeStore = new MemoryStore();
    const payeeWallet = clientWalletOf("payee late");
    let payee = await session(node.url, loggingSigner(payeeWallet, []), payeeStore);
    await payer.propose(deposit);
    await payee.propose(deposit);
    const { lock, route } = payment(payer, payee, "late");
    await payee.close();
    await payer.sendPayment({ type: "create", transfer: lock }, route);
    const lockHash = hashlockLock(preimage("late")).toLowerCase();
    await until(() => node.service.router?.node.payment(lockHash)?.status === "forwarded", "the forward signed");
    ahead = route.expiry - now() + 1n; // the chain's time is past the downstream expiry; the system clock is not
    payee = await session(node.url, loggingSigner(payeeWallet, []), payeeStore);
    const t = payee.channel.transfers.list()[0] as { id: string; transfer: Transfer };
    const before = payee.channel.state.nonce;
    const claim = await payee
      .propose({ type: "resolve", transferId: t.id, toResponder: t.transfer.amount, resolverData: abi.encode(["bytes32"], [preimage("late")]) })
      .then(() => undefined, (e: unknown) => e);
    expect(claim, "the late claim must be refused").to.be.instanceOf(Error);
    expect(String((claim as Error).message)).to.match(/expired/);
    expect(payee.channel.state.nonce).to.equal(before);
    const onNode = await node.service.nodeChannels.channelOf(payee.address);
    expect(onNode.transfers.size).to.equal(1); // the lock is still there, unclaimed
    expect(node.service.router?.node.payment(lockHash)?.status).to.not.equal("unlocked");
    await payer.close();
    await payee.close();
  });

  it("test_paymentStorm_bothWaysAtOnce_noPartyDoubleSignsAndEveryChannelAgrees", async () => {
    const logA: SignatureEntry[] = [];
    const logB: SignatureEntry[] = [];
    const a = await session(node.url, loggingSigner(clientWalletOf("storm a"), logA));
    const b = await session(node.url, loggingSigner(clientWalletOf("storm b"), logB));
    await a.propose(deposit);
    await b.propose(deposit);
    const tagsToA = new Map<string, string>();
    const tagsToB = new Map<string, string>();
    const resolves: Array<Promise<unknown>> = [];
    autoResolve(a, tagsToA, resolves);
    autoResolve(b, tagsToB, resolves);
    const n = 25;
    // In waves of 5 each way: forwards, claims and the payees' resolves of earlier waves interleave with new
    // intents (the collisions), while no request waits behind the whole storm (the clients' 20 s timeout).
    for (let wave = 0; wave < n; wave += 5) {
      const sends: Array<Promise<unknown>> = [];
      for (let i = wave; i < Math.min(n, wave + 5); i++) {
        const ab = payment(a, b, `ab${i}`);
        const ba = payment(b, a, `ba${i}`);
        tagsToB.set(hashlockLock(preimage(`ab${i}`)).toLowerCase(), `ab${i}`);
        tagsToA.set(hashlockLock(preimage(`ba${i}`)).toLowerCase(), `ba${i}`);
        sends.push(a.sendPayment({ type: "create", transfer: ab.lock }, ab.route));
        sends.push(b.sendPayment({ type: "create", transfer: ba.lock }, ba.route));
      }
      await Promise.all(sends);
    }
    const router = node.service.router;
    const all = [...tagsToA.keys(), ...tagsToB.keys()];
    await until(
      () => all.every((h) => router?.node.payment(h)?.status === "completed"),
      "every payment completed",
      60_000,
    ).catch((e: unknown) => {
      const statuses = all.map((h) => `${router?.node.payment(h)?.status}:${router?.node.payment(h)?.error ?? ""}`);
      throw new Error(`${String(e)}: ${statuses.join(", ")}`);
    });
    await Promise.all(resolves);
    await until(
      () => a.channel.transfers.size === 0 && b.channel.transfers.size === 0,
      "every claim delivered",
      30_000,
    );
    await a.sync();
    await b.sync();
    for (const s of [a, b]) {
      const channel = await node.service.nodeChannels.channelOf(s.address);
      expect(channel.latest).to.deep.equal(s.channel.latest);
      expect(channel.pending).to.equal(undefined);
    }
    expect(bobBalance(a)).to.equal(DEPOSITS.bob);
    expect(bobBalance(b)).to.equal(DEPOSITS.bob);
    // every update of each channel: deposit + n upstream locks + n forwards + n payee resolves + n claims
    expect(a.channel.state.nonce).to.equal(BigInt(1 + 4 * n));
    expect(doubleSigned(nodeLog), "node").to.deep.equal([]);
    expect(doubleSigned(logA), "a").to.deep.equal([]);
    expect(doubleSigned(logB), "b").to.deep.equal([]);
    await a.close();
    await b.close();
  });
});
