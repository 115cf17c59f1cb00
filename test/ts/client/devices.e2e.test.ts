/**
 * Two devices of one user (one key, separate stores) against a real node process: the second restores from the
 * node and the two sync each other's updates in turn; when the node's history forks from a device's store (the
 * node restored from a backup that lost an update, another content co-signed at that nonce), that device gets
 * ForkError and keeps its copy: never a silent divergence.
 */

import { copyFile, readdir } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { ForkError } from "../../../src/protocol/errors.js";
import { MemoryStore } from "../../../src/stores/store.js";

import { ETH, clientSuite, rejects, connectClient, type Network } from "./fixture.js";

describe("SwitchyardClient on two devices of one user (real node process, anvil)", function () {
  this.timeout(240_000);
  const suite = clientSuite();
  const { clients } = suite;
  let net: Network;
  before(() => (net = suite.net));

  it("test_twoDevicesOfOneUser_theSecondSyncsOrGetsForkErrorNeverDiverges", async () => {
    const wallet = await net.user("two devices");
    const storeA = new MemoryStore();
    const storeB = new MemoryStore();
    const a = await connectClient(net, wallet, storeA, { requestTimeoutMs: 5_000 });
    clients.push(a);
    await a.deposit({ asset: ZeroAddress, amount: 2n * ETH });
    await a.payNode({ asset: ZeroAddress, amount: ETH / 10n });
    // Device B starts with an empty store: it restores the channel from the node (every signature verified).
    const b = await connectClient(net, wallet, storeB, { requestTimeoutMs: 5_000, watch: false });
    clients.push(b);
    expect(b.balances()).to.deep.equal(a.balances());
    // Both act in turn; each catches up with the other's updates before its own (sync, checked continuous).
    await a.payNode({ asset: ZeroAddress, amount: 1n });
    await b.payNode({ asset: ZeroAddress, amount: 2n });
    await a.payNode({ asset: ZeroAddress, amount: 3n });
    await b.sync();
    expect(b.balances()).to.deep.equal(a.balances());
    expect(a.balances()[ZeroAddress]?.mine).to.equal(2n * ETH - ETH / 10n - 6n);

    // The node loses its latest updates (restored from a backup) and co-signs another content at that nonce with
    // a third device; device B, holding the original, refuses the node's history: ForkError, its store kept.
    await b.disconnect();
    await a.disconnect();
    await net.stopNode();
    const dir = path.dirname(net.config);
    const files = (await readdir(dir)).filter((f) => f.startsWith("node.sqlite"));
    for (const f of files) await copyFile(path.join(dir, f), path.join(dir, `backup-${f}`));
    await net.restartNode();
    const b2 = await connectClient(net, wallet, storeB, { requestTimeoutMs: 5_000, watch: false });
    await b2.payNode({ asset: ZeroAddress, amount: 5n }); // the update the node will lose
    const kept = (await storeB.load(b2.channelAddress))?.latest;
    await b2.disconnect();
    await net.stopNode();
    for (const f of files) await copyFile(path.join(dir, `backup-${f}`), path.join(dir, f));
    await net.restartNode();
    const c = await connectClient(net, wallet, new MemoryStore(), { requestTimeoutMs: 5_000, watch: false });
    clients.push(c);
    await c.payNode({ asset: ZeroAddress, amount: 7n }); // another content at the same nonce
    const fork = await rejects(connectClient(net, wallet, storeB, { requestTimeoutMs: 5_000, watch: false }), ForkError);
    expect(fork.nonce).to.equal(kept?.state.nonce);
    expect((await storeB.load(c.channelAddress))?.latest).to.deep.equal(kept); // never overwritten
  });
});
