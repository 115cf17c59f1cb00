/**
 * The child process of store.crash.test.ts (not a test): runs both parties of one channel on two
 * FileChannelStores and makes updates until it is killed. It prints `SENT <party> <nonce> <content>` on stdout,
 * synchronously, each time a signature leaves a party (right after `propose` or `receive` returned it).
 *
 *   node --import tsx/esm crashWriter.ts <dir> [crashPoint crashAt]
 *
 * With `crashPoint` (a WritePoint) and `crashAt` (n), it SIGKILLs itself the n-th time a write reaches that
 * point. On start it first completes whatever a previous run left half done, as a restarted party would.
 * Loaded by Mocha as a test file it does nothing (it runs only as the main module with the env flag set).
 */
import { writeSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { toBeHex } from "ethers";

import { Channel, type Proposal } from "../../../src/channel/channel.js";
import { NonceError } from "../../../src/protocol/errors.js";
import { encodeHashlockResolution } from "../../../src/protocol/resolvers.js";
import { contentHash, payloadDigests } from "../../../src/protocol/signing.js";
import { payloadsOf } from "../../../src/protocol/stateMachine.js";
import { FileChannelStore, type WritePoint } from "../../../src/stores/file.js";
import { transferId } from "../../../src/protocol/transfers.js";
import type { Party, UpdateDetails } from "../../../src/protocol/types.js";
import { CHAIN_ID, CHANNEL, config, hashlockTransfer, preimageOf } from "./helpers.js";

/** Entries between checkpoints in the crash runs: small, so crashes also hit checkpoints and their cleanup. */
export const CRASH_CHECKPOINT_EVERY = 5;

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

function sent(party: Party, p: Proposal["update"]): void {
  const content = contentHash(payloadDigests(CHAIN_ID, CHANNEL, payloadsOf(p)));
  say(`SENT ${party} ${p.state.nonce} ${content}`);
}

async function main(dir: string, crashPoint: WritePoint | undefined, crashAt: number): Promise<void> {
  let hits = 0;
  const onWritePoint = (point: WritePoint): void => {
    if (point === crashPoint && ++hits === crashAt) process.kill(process.pid, "SIGKILL");
  };
  const options = { checkpointEvery: CRASH_CHECKPOINT_EVERY, onWritePoint };
  const aliceStore = await FileChannelStore.open(join(dir, "alice"), options);
  const bobStore = await FileChannelStore.open(join(dir, "bob"), options);
  const openOrCreate = async (me: Party, store: FileChannelStore): Promise<Channel> =>
    (await store.load(CHANNEL)) === undefined ? Channel.create(config(me, store)) : Channel.open(config(me, store));
  const alice = await openOrCreate("alice", aliceStore);
  const bob = await openOrCreate("bob", bobStore);
  const side = { alice: { channel: alice, store: aliceStore }, bob: { channel: bob, store: bobStore } };

  // Recovery: finish a proposal a crash interrupted (resend it; if the receiver already took it, restore it).
  for (const proposer of ["alice", "bob"] as const) {
    const receiver = proposer === "alice" ? "bob" : "alice";
    const pending = side[proposer].channel.pending;
    if (pending === undefined) continue;
    try {
      const ack = await side[receiver].channel.receive(pending);
      sent(receiver, pending.update);
      await side[proposer].channel.complete(ack);
    } catch (error) {
      if (!(error instanceof NonceError)) throw error;
      const theirs = (await side[receiver].store.load(CHANNEL))?.latest;
      if (theirs === undefined || theirs.state.nonce !== pending.update.state.nonce) throw error;
      const signature = receiver === "alice" ? theirs.aliceSignature : theirs.bobSignature;
      const d = pending.update.details;
      await side[proposer].channel.restore({
        update: pending.update,
        ...(d.type === "create" ? { transferId: transferId(d.transfer) } : {}),
        [proposer]: pending.signatures,
        [receiver]: { state: signature },
      } as Parameters<Channel["restore"]>[0]);
    }
  }
  say(`READY ${alice.state.nonce}`);

  for (;;) {
    const nonce = alice.state.nonce;
    let proposer: Party;
    let details: UpdateDetails;
    if (nonce === 0n) {
      proposer = "alice";
      details = { type: "deposit", asset: "0x0000000000000000000000000000000000000000", totalDepositsAlice: 10n ** 19n, totalDepositsBob: 10n ** 19n };
    } else {
      const active = alice.transfers.list();
      const oldest = active[0];
      if (oldest !== undefined && (active.length >= 6 || nonce % 3n === 0n)) {
        proposer = "bob";
        const index = Number(BigInt(oldest.transfer.salt)); // the writer's salts are the transfer numbers
        details = { type: "resolve", transferId: oldest.id, toResponder: oldest.transfer.amount, resolverData: encodeHashlockResolution(preimageOf(index)) };
      } else {
        proposer = "alice";
        details = { type: "create", transfer: { ...hashlockTransfer(Number(nonce)), salt: toBeHex(nonce, 32) } };
      }
    }
    const receiver = proposer === "alice" ? "bob" : "alice";
    const proposal = await side[proposer].channel.propose(details);
    sent(proposer, proposal.update);
    const ack = await side[receiver].channel.receive(proposal);
    sent(receiver, proposal.update);
    await side[proposer].channel.complete(ack);
  }
}

const isMain = process.env.SWITCHYARD_CRASH_CHILD === "1" && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const [dir, point, at] = process.argv.slice(2);
  if (dir === undefined) throw new Error("usage: crashWriter.ts <dir> [crashPoint crashAt]");
  main(dir, point as WritePoint | undefined, Number(at ?? 0)).catch((error: unknown) => {
    say(`ERROR ${String(error instanceof Error ? error.stack : error)}`);
    process.exit(1);
  });
}
