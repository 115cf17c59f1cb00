/**
 * The payee's claim of a lock the node forwarded (src/client/payments.ts): an intent that fails while the session
 * stays up (the node's database restarting answers UNAVAILABLE) is tried again after a pause, while the lock is
 * active. Before, only a reconnect claimed it again: with the socket open the lock expired unclaimed and stayed in
 * the channel (the chaos run's "transfers still active", seed 303). A fake session stands for the node here.
 */
import { expect } from "chai";
import { ZeroAddress, getAddress, id } from "ethers";

import type { ClientEvents } from "../../../src/client/types.js";
import { Emitter } from "../../../src/client/emitter.js";
import { Payments } from "../../../src/client/payments.js";
import { encodeHashlockTerms } from "../../../src/protocol/resolvers.js";
import { transferId as transferIdOf, type Transfer } from "../../../src/protocol/transfers.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { RemoteError } from "../../../src/wire/codes.js";
import type { ClientSession } from "../../../src/wire/session.js";

const ME = getAddress("0x" + "ab".repeat(20));
const NODE = getAddress("0x" + "cd".repeat(20));
const HASHLOCK = getAddress("0x" + "ef".repeat(20));
const CHANNEL = getAddress("0x" + "12".repeat(20));

describe("Payments: a payee's claim refused while the session stays up (src/client/payments.ts)", function () {
  this.timeout(20_000);

  it("test_claimRefusedUnavailable_triedAgainWhileTheLockIsActive", async () => {
    const store = new MemoryStore();
    const events = new Emitter<ClientEvents>();
    const proposed: unknown[] = [];
    let active = true;
    const session = {
      channel: { address: CHANNEL, transfers: { get: () => (active ? {} : undefined), list: () => [] } },
      propose: async (intent: unknown) => {
        proposed.push(intent);
        if (proposed.length === 1) throw new RemoteError(-32006, "the node's store is unavailable: try again", undefined);
        return { state: { nonce: 9n } };
      },
    } as unknown as ClientSession;
    const payments = new Payments({ store, events, address: () => ME, node: () => NODE, hashlock: () => HASHLOCK, session: () => session });
    const invoice = await payments.invoice(ZeroAddress, 1_000n);
    const transfer: Transfer = {
      channel: CHANNEL,
      resolver: HASHLOCK,
      asset: ZeroAddress,
      amount: 1_000n,
      initiator: NODE,
      responder: ME,
      timeout: 3_600n,
      salt: id("claim retry"),
      data: encodeHashlockTerms({ lockHash: invoice.lockHash, expiry: 4_000_000_000n }),
    };
    const errors: Error[] = [];
    events.on("error", (e) => errors.push(e));
    const received = events.next("payment-received");
    payments.onNodeUpdate({ proposer: "alice", details: { type: "create", transfer }, state: {} } as never);
    const outcome = await Promise.race([received, new Promise<"not claimed">((r) => setTimeout(() => r("not claimed"), 5_000))]);
    expect(outcome, "claimed on the second try, on the same session").to.not.equal("not claimed");
    expect(proposed).to.have.length(2);
    expect(errors.map((e) => (e as RemoteError).code)).to.deep.equal(["UNAVAILABLE"]);
    expect((await store.payment(invoice.lockHash))?.status).to.equal("received");
    active = false;
    payments.stopRetries();
  });

  it("test_claimCoSignedInsideTheFailedCall_invoiceMarkedReceivedAtOnce", async () => {
    const store = new MemoryStore();
    const events = new Emitter<ClientEvents>();
    let history: unknown[] = [];
    (store as unknown as { history: () => Promise<unknown[]> }).history = async () => history;
    const session = {
      channel: { address: CHANNEL, transfers: { get: () => undefined, list: () => [] } },
      propose: async () => {
        // The node signed the claim, its answer was lost; the sync inside the call co-signed it (a late intent).
        history = [
          { update: { details: { type: "create", transfer: lockFor(invoiceHash) }, state: { nonce: 3n } }, transferId: transferIdOf(lockFor(invoiceHash)) },
          { update: { details: { type: "resolve", transferId: transferIdOf(lockFor(invoiceHash)), toResponder: 1_000n, resolverData: "0x" }, state: { nonce: 4n } } },
        ];
        throw new RemoteError(4120, "peer: no answer within 5000 ms", undefined);
      },
    } as unknown as ClientSession;
    const payments = new Payments({ store, events, address: () => ME, node: () => NODE, hashlock: () => HASHLOCK, session: () => session });
    const invoice = await payments.invoice(ZeroAddress, 1_000n);
    const invoiceHash = invoice.lockHash;
    const received = events.next("payment-received");
    payments.onNodeUpdate({ proposer: "alice", details: { type: "create", transfer: lockFor(invoiceHash) }, state: {} } as never);
    const outcome = await Promise.race([received, new Promise<"invoiced">((r) => setTimeout(() => r("invoiced"), 3_000))]);
    expect(outcome, "marked received (before: invoiced until a reconnect)").to.not.equal("invoiced");
    expect((await store.payment(invoiceHash))?.status).to.equal("received");
    payments.stopRetries();
  });
});

function lockFor(lockHash: string): Transfer {
  return {
    channel: CHANNEL,
    resolver: HASHLOCK,
    asset: ZeroAddress,
    amount: 1_000n,
    initiator: NODE,
    responder: ME,
    timeout: 3_600n,
    salt: id("claim retry"),
    data: encodeHashlockTerms({ lockHash, expiry: 4_000_000_000n }),
  };
}
