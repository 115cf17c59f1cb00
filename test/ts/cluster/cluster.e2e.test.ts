/**
 * Two node processes with one key on one PostgreSQL database (issue 15 item 4, docs/NODE.md "Running N
 * processes"): clients on either process pay each other both ways; one user's two devices, one on each process,
 * pay at once (their channel's updates serialized across the processes); every end state checked against the
 * node's database.
 */
import { writeFileSync } from "node:fs";

import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { decodeJson } from "../../../src/protocol/record.js";
import type { SignedState } from "../../../src/protocol/record.js";
import { useRealPostgres } from "../stores/pgCluster.js";
import { until } from "../node/harness.js";
import { ETH, connectClient } from "../client/fixture.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { nodeChannel, paymentStatuses, startClusterNet, type ClusterNet, type ClusterUser } from "./fixture.js";

async function pay(from: ClusterUser, to: ClusterUser, amount: bigint): Promise<string> {
  const invoice = await to.client.invoice({ asset: ZeroAddress, amount });
  const result = await from.client.pay(invoice);
  return result.status;
}

/** The client's and the node's copies of the channel agree (nonce and latest co-signed state). */
async function sameState(net: ClusterNet, u: ClusterUser): Promise<void> {
  const mine = await u.store.load(u.client.channelAddress);
  const node = await nodeChannel(net.db, u.client.channelAddress);
  expect(node.pending, "no node signature left unanswered").to.equal(null);
  expect(mine?.state.nonce).to.equal(node.nonce);
  const theirs = decodeJson<SignedState>(node.latest ?? "null");
  expect(theirs.state).to.deep.equal(mine?.latest?.state);
}

describe("cluster: two node processes on one PostgreSQL database", function () {
  this.timeout(300_000);
  const pg = useRealPostgres(this);
  let net: ClusterNet;

  before(async function () {
    this.timeout(240_000);
    net = await startClusterNet(await pg.server.createDatabase("cluster"));
  });
  afterEach(function () {
    if (net === undefined) return;
    // SWITCHYARD_CLUSTER_LOGS=<prefix>: both processes' logs so far, after every test (a passing run's too).
    for (const [name, p] of [["A", net.a], ["B", net.b]] as const)
      if (process.env.SWITCHYARD_CLUSTER_LOGS !== undefined) writeFileSync(`${process.env.SWITCHYARD_CLUSTER_LOGS}-${name}.log`, p.output());
    if (this.currentTest?.state !== "failed") return;
    for (const [name, p] of [["A", net.a], ["B", net.b]] as const) {
      const bad = p.logs().filter((l) => Number(l.level) >= 40).slice(-15);
      console.log(`--- node ${name}: last warnings and errors ---\n${bad.map((l) => JSON.stringify(l).slice(0, 600)).join("\n")}`);
    }
  });
  after(async () => {
    await net?.stop();
  });

  it("test_cluster_paymentsBothWaysBetweenClientsOnDifferentProcesses", async () => {
    // Everyone first on A (the leader, which gives just-in-time collateral), then group b moves to B.
    net.balancers.b.order([net.a.port, net.b.port]);
    const users = [
      await net.user("a0", "a"),
      await net.user("a1", "a"),
      await net.user("b0", "b"),
      await net.user("b1", "b"),
    ];
    for (let i = 0; i < users.length; i++) {
      expect(await pay(users[i] as ClusterUser, users[(i + 1) % users.length] as ClusterUser, ETH / 100n)).to.equal("completed");
    }
    net.balancers.b.order([net.b.port, net.a.port]);
    net.balancers.b.cut();
    await until(() => users.every((u) => u.client.connected), "the clients reconnected");
    const logsB = () => net.b.logs().filter((l) => l.msg === "connection opened").length;
    await until(() => logsB() >= 2, "group b on process B");
    const [a0, a1, b0, b1] = users as [ClusterUser, ClusterUser, ClusterUser, ClusterUser];
    const rounds = 5;
    const statuses: string[] = [];
    for (let r = 0; r < rounds; r++) {
      statuses.push(
        ...(await Promise.all([
          pay(a0, b0, ETH / 1000n),
          pay(b0, a0, ETH / 1000n),
          pay(a1, b1, ETH / 1000n),
          pay(b1, a1, ETH / 1000n),
        ])),
      );
    }
    expect(statuses).to.deep.equal(new Array(4 * rounds).fill("completed"));
    await until(async () => (await paymentStatuses(net.db)).completed === 4 + 4 * rounds, "every payment completed in the database", 20_000);
    expect(await paymentStatuses(net.db)).to.deep.equal({ completed: 4 + 4 * rounds });
    for (const u of users) await sameState(net, u);
    // Both processes signed payers' locks (a lock with its route comes as channel.propose).
    const routedOn = (p: typeof net.a): number => p.logs().filter((l) => l.method === "channel.propose").length;
    expect(routedOn(net.a)).to.be.greaterThan(0);
    expect(routedOn(net.b)).to.be.greaterThan(0);
  });

  it("test_cluster_oneUsersDevicesOnBothProcesses_channelUpdatesSerializedNoneLostNoneDoubled", async () => {
    // One key, two devices with their own stores: device 1 through process A, device 2 through process B, both
    // proposing at once, so the updates of that one channel arrive at both processes together.
    const one = await net.user("dual", "a");
    const wallet = one.wallet;
    const store2 = new MemoryStore(); // empty: device 2 restores the channel from the node
    const device2: ClusterUser = { wallet, store: store2, client: await connectClient({ ...net.net, url: net.balancers.b.url }, wallet, store2) };
    const devices = [one, device2];
    const channel = one.client.channelAddress;
    const before = await nodeChannel(net.db, channel);
    const amounts = [
      [1n, 2n, 3n, 4n, 5n, 6n],
      [10n, 20n, 30n, 40n, 50n, 60n],
    ];
    await Promise.all(
      devices.map(async (d, i) => {
        for (const amount of amounts[i] as bigint[]) await d.client.payNode({ asset: ZeroAddress, amount });
      }),
    );
    for (const d of devices) await d.client.sync();
    // The node's history of the channel: one co-signed update per nonce, without a gap, twelve more than before.
    const rows = await net.db.query<{ nonce: string; cosigned: string }>(
      "SELECT nonce, cosigned FROM switchyard.sy_updates WHERE channel = $1",
      [channel],
    );
    const nonces = rows.rows.map((r) => Number(r.nonce)).sort((x, y) => x - y);
    expect(nonces).to.deep.equal(nonces.map((_, i) => i + 1));
    expect(BigInt(nonces.length)).to.equal(before.nonce + 12n);
    // Both devices hold the node's latest state, and every update either stored is the node's at that nonce.
    const byNonce = new Map(rows.rows.map((r) => [r.nonce, decodeJson<{ update: { state: unknown } }>(r.cosigned)]));
    for (const d of devices) {
      await sameState(net, d);
      for (const u of await d.store.history(channel))
        expect(byNonce.get(u.update.state.nonce.toString())?.update.state).to.deep.equal(u.update.state);
    }
    // None lost, none doubled: the node gained exactly the twelve payments.
    const paid = amounts.flat().reduce((x, y) => x + y, 0n);
    const mine = (d: ClusterUser): bigint | undefined => d.client.balances()[ZeroAddress]?.mine;
    expect(mine(one)).to.equal(2n * ETH - paid);
    expect(mine(device2)).to.equal(2n * ETH - paid);
    await device2.client.disconnect();
  });

  it("test_cluster_processKilledUnderLoad_clientsReconnectToTheOtherNothingLost", async () => {
    const users = [
      await net.user("k a0", "a"),
      await net.user("k a1", "a"),
      await net.user("k b0", "b"),
      await net.user("k b1", "b"),
    ];
    const [a0, a1, b0, b1] = users as [ClusterUser, ClusterUser, ClusterUser, ClusterUser];
    const outcomes: string[] = [];
    let stop = false;
    const loop = async (x: ClusterUser, y: ClusterUser): Promise<void> => {
      for (let k = 0; !stop && k < 40; k++) {
        const [from, to] = k % 2 === 0 ? [x, y] : [y, x];
        try {
          outcomes.push(await pay(from, to, ETH / 1000n));
        } catch (error) {
          outcomes.push(`failed: ${(error as Error).name}`);
        }
      }
    };
    const running = [loop(a0, b0), loop(a1, b1)];
    await until(() => outcomes.length >= 6, "payments under way", 60_000);
    net.a.signal("SIGKILL"); // the leader, holding a0's and a1's sockets
    await net.a.exited;
    const killedAt = outcomes.length;
    await until(() => outcomes.length >= killedAt + 8, "payments after the kill", 120_000);
    stop = true;
    await Promise.all(running);
    expect(outcomes.slice(killedAt + 2).filter((o) => o === "completed").length, outcomes.join(",")).to.be.greaterThan(4);
    // Every payment ended in the database (completed, or refunded on both hops), and every client's channel
    // holds exactly the node's latest state with no lock left.
    await until(async () => {
      const s = await paymentStatuses(net.db);
      return Object.keys(s).every((k) => k === "completed" || k === "refunded");
    }, "every payment ended", 90_000);
    for (const u of users) {
      await u.client.sync();
      await sameState(net, u);
      const b = u.client.balances()[ZeroAddress];
      expect(b?.lockedByMe).to.equal(0n);
      expect(b?.lockedToMe).to.equal(0n);
    }
    expect(net.b.logs().some((l) => l.msg === "cluster: this process is the leader")).to.equal(true);
  });
});
