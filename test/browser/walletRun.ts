/**
 * One wallet's channel life, shared by a Chromium page (test/browser/entry.page.ts, through the browser entry)
 * and the Node.js test that checks it (test/ts/browser/entry.browser.test.ts): alice signs with a local key,
 * bob with whatever signer he is given (an injected EIP-1193 wallet in the page); a deposit, a hashlock
 * transfer bob pays alice and its resolution. It imports the SDK only through src/browser.ts.
 */
import { ZeroAddress, getAddress, id, keccak256, toBeHex, zeroPadValue } from "ethers";

import {
  Channel,
  encodeHashlockResolution,
  encodeHashlockTerms,
  hashlockLock,
  hashlockPolicy,
  privateKeySigner,
  transferId,
  type ChannelSigner,
  type ChannelStore,
  type DeploymentLimits,
  type SignedState,
  type Transfer,
} from "../../src/browser.js";

export const RUN_CHANNEL = getAddress("0x00000000000000000000000000000000000c0ffe");
export const RUN_HASHLOCK = getAddress("0x000000000000000000000000000000000000a11c");
export const RUN_NOW = 1_800_000_000n;
/** alice's key in these runs (a test key, never used elsewhere). */
export const RUN_ALICE_KEY = keccak256(id("switchyard browser test alice"));

const LIMITS: DeploymentLimits = {
  minTimeout: 3_600n,
  maxTimeout: 30n * 86_400n,
  assets: new Map([[ZeroAddress, { channelCapacity: 100n * 10n ** 18n, transferCap: 10n * 10n ** 18n }]]),
};

/** Runs the life on the given stores; returns bob's latest co-signed state (both signatures). */
export async function walletRun(
  chainId: bigint,
  bobSigner: ChannelSigner,
  stores: { alice: ChannelStore; bob: ChannelStore },
): Promise<SignedState | undefined> {
  const alice = privateKeySigner(RUN_ALICE_KEY);
  const setup = { chainId, channel: RUN_CHANNEL, alice: alice.address, bob: bobSigner.address, timeout: 86_400n };
  // The channel's on-chain deposit totals as a chain reader would give them (this run has no chain): 1 ETH each.
  const deposits = () => Promise.resolve({ alice: 10n ** 18n, bob: 10n ** 18n });
  const common = { setup, limits: LIMITS, resolvers: [hashlockPolicy(RUN_HASHLOCK)], clock: () => RUN_NOW, deposits };
  const a = await Channel.create({ ...common, me: "alice", signer: alice, store: stores.alice });
  const b = await Channel.create({ ...common, me: "bob", signer: bobSigner, store: stores.bob });
  const step = async (from: Channel, to: Channel, details: Parameters<Channel["propose"]>[0]): Promise<void> => {
    await from.complete(await to.receive(await from.propose(details)));
  };
  await step(a, b, {
    type: "deposit",
    asset: ZeroAddress,
    totalDepositsAlice: 10n ** 18n,
    totalDepositsBob: 10n ** 18n,
  });
  const preimage = zeroPadValue(toBeHex(7n), 32);
  const transfer: Transfer = {
    channel: setup.channel,
    resolver: RUN_HASHLOCK,
    asset: ZeroAddress,
    amount: 10n ** 15n,
    initiator: setup.bob,
    responder: setup.alice,
    timeout: 3_600n,
    salt: id("browser run"),
    data: encodeHashlockTerms({ lockHash: hashlockLock(preimage), expiry: RUN_NOW + 7n * 86_400n }),
  };
  await step(b, a, { type: "create", transfer });
  await step(a, b, {
    type: "resolve",
    transferId: transferId(transfer),
    toResponder: transfer.amount,
    resolverData: encodeHashlockResolution(preimage),
  });
  return b.latest;
}
