/**
 * The client over a link that fails (a relay between it and a real node process): a socket cut between the
 * client's signature and the node's receipt of it (the same signed update re-delivered, never re-signed), an
 * answer tampered on the way (the node's own proposal taken through a sync, once), and a node answering a forged
 * signature or garbage (NodeMisbehaviourError, nothing signed, the store unchanged).
 */

import { expect } from "chai";
import { ZeroAddress } from "ethers";
import WebSocket from "ws";

import { NodeMisbehaviourError, SwitchyardClient } from "../../../src/client/index.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { until } from "../node/harness.js";
import { doubleSigned, loggingSigner, type SignatureEntry } from "../node/inProcess.js";

import { ETH, clientSuite, collect, rejects, statuses, type Network } from "./fixture.js";
import { startRelay, type Relay } from "./proxy.js";

describe("SwitchyardClient over a failing link (relay, real node process, anvil)", function () {
  this.timeout(240_000);
  const suite = clientSuite();
  const { clients } = suite;
  const relays: Relay[] = [];
  suite.onStop(async () => {
    for (const r of relays) await r.close().catch(() => undefined);
  });
  let net: Network;
  before(() => (net = suite.net));

  it("test_socketCutAfterSigning_theSameSignedUpdateReDeliveredNeverReSigned", async () => {
    const wallet = await net.user("cut");
    const log: SignatureEntry[] = [];
    const relay = await startRelay(net.node.ws);
    relays.push(relay);
    const store = new MemoryStore();
    const client = await SwitchyardClient.connect({
      node: relay.url,
      signer: loggingSigner(wallet, log),
      sender: wallet,
      store,
      chain: net.provider,
      WebSocket: WebSocket as never,
      reconnect: { initialMs: 100, maxMs: 500 },
      requestTimeoutMs: 10_000,
      watch: false,
    });
    clients.push(client);
    await client.deposit({ asset: ZeroAddress, amount: ETH });
    const events = collect(client, "connection");
    const nonce = client.balances() && (await store.load(client.channelAddress))?.state.nonce;
    const cut = relay.dropNextRequest("channel.acknowledge");
    const result = await client.payNode({ asset: ZeroAddress, amount: ETH / 4n }); // co-signed here before the cut
    await cut;
    await until(() => statuses(events).includes("restored"), "the reconnect through the relay");
    expect(result.nonce).to.equal((nonce ?? 0n) + 1n);
    expect(result.balance.mine).to.equal((3n * ETH) / 4n);
    // The node completed the update with the re-sent acknowledgement: the next one goes through on top of it.
    const next = await client.payNode({ asset: ZeroAddress, amount: 1n });
    expect(next.nonce).to.equal(result.nonce + 1n);
    expect(doubleSigned(log)).to.deep.equal([]);
    const signedAt = log.filter((e) => e.primaryType === "ChannelState" && e.nonce === String(result.nonce));
    expect(signedAt).to.have.length(1); // signed once, re-delivered from the store
  });

  /** A client reaching the node through a relay, its signatures logged. */
  async function relayed(name: string): Promise<{ client: SwitchyardClient; relay: Relay; log: SignatureEntry[]; store: MemoryStore }> {
    const wallet = await net.user(name);
    const relay = await startRelay(net.node.ws);
    relays.push(relay);
    const log: SignatureEntry[] = [];
    const store = new MemoryStore();
    const client = await SwitchyardClient.connect({
      node: relay.url,
      signer: loggingSigner(wallet, log),
      sender: wallet,
      store,
      chain: net.provider,
      WebSocket: WebSocket as never,
      reconnect: { initialMs: 100, maxMs: 500 },
      requestTimeoutMs: 15_000,
      watch: false,
    });
    clients.push(client);
    await client.deposit({ asset: ZeroAddress, amount: ETH });
    return { client, relay, log, store };
  }

  /** Flips the first byte of the proposal's state signature in a node answer. */
  const forgeSignature = (text: string): string =>
    text.replace(/("signatures":\{"state":")0x([0-9a-f]{2})/, (_m, p: string, b: string) => `${p}0x${b === "00" ? "01" : "00"}`);
  const garbage = (text: string): string => text.replace(/"result":\{.*\}\}$/, '"result":{"garbage":true}}');

  it("test_answerTamperedOnTheWay_theSyncRedeliversTheNodesOwnProposalAndItIsTakenOnce", async () => {
    const { client, relay, log } = await relayed("tampered link");
    relay.rewriteNextAnswer("channel.propose", forgeSignature);
    const result = await client.payNode({ asset: ZeroAddress, amount: 1n });
    expect(result.balance.mine).to.equal(ETH - 1n);
    expect(doubleSigned(log)).to.deep.equal([]);
    expect(log.filter((e) => e.primaryType === "ChannelState" && e.nonce === String(result.nonce))).to.have.length(1);
  });

  it("test_nodeAnswersAForgedSignature_NodeMisbehaviourErrorAndNothingSigned", async () => {
    const { client, relay, log, store } = await relayed("forged");
    const signatures = log.length;
    const latest = (await store.load(client.channelAddress))?.state;
    relay.rewriteNextAnswer("channel.propose", forgeSignature);
    relay.rewriteNextAnswer("channel.sync", forgeSignature); // the pending proposal the sync carries, forged too
    const forged = await rejects(client.payNode({ asset: ZeroAddress, amount: 1n }), NodeMisbehaviourError);
    expect(forged.message).to.match(/signature/i);
    expect(log.length).to.equal(signatures); // nothing signed
    expect((await store.load(client.channelAddress))?.state).to.deep.equal(latest);
  });

  it("test_nodeAnswersGarbage_NodeMisbehaviourErrorAndNothingSigned", async () => {
    const { client, relay, log, store } = await relayed("garbage");
    const signatures = log.length;
    const latest = (await store.load(client.channelAddress))?.state;
    relay.rewriteNextAnswer("channel.propose", garbage);
    relay.rewriteNextAnswer("channel.sync", garbage);
    const error = await rejects(client.payNode({ asset: ZeroAddress, amount: 1n }), NodeMisbehaviourError);
    expect(error.message).to.contain("garbage");
    expect(log.length).to.equal(signatures);
    expect((await store.load(client.channelAddress))?.state).to.deep.equal(latest);
  });

});
