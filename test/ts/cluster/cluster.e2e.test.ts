/**
 * Two node processes with one key on one PostgreSQL database (issue 15 item 4, docs/NODE.md "Running N
 * processes"): clients on either process pay each other both ways; one user's two devices, one on each process,
 * pay at once (their channel's updates serialized across the processes); every end state checked against the
 * node's database.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { decodeJson } from "../../../src/protocol/record.js";
import type { SignedState } from "../../../src/protocol/record.js";
import { useRealPostgres } from "../stores/pgCluster.js";
import { until } from "../node/harness.js";
import { ETH } from "../client/fixture.js";
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
    if (this.currentTest?.state !== "failed" || net === undefined) return;
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
    // Both processes did routing work.
    const routedOn = (p: typeof net.a) => p.logs().filter((l) => l.method === "payment.send").length;
    expect(routedOn(net.a)).to.be.greaterThan(0);
    expect(routedOn(net.b)).to.be.greaterThan(0);
  });
});
