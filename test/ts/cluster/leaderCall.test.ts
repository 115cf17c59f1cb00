/**
 * A follower's call to the leader (`Cluster.call`, src/node/cluster/index.ts: just-in-time collateral for a payment a
 * follower routes) across a failover, on a real PostgreSQL server: two cluster members of one schema. Found in the
 * e2e's kill test: payments routed on the survivor right after the leader was SIGKILLed stalled for the client's
 * 20 s request timeout, their calls published to the dead leader and waited out (30 s) although the survivor had
 * become the leader within its poll.
 */
import { expect } from "chai";
import { pino } from "pino";

import { Cluster, ClusterError } from "../../../src/node/cluster/index.js";
import { PostgresStore } from "../../../src/stores/postgres/index.js";
import { rejects } from "../stores/conformance.js";
import { useRealPostgres } from "../stores/pgCluster.js";

const logger = pino({ level: "silent" });
const handlers = (answer: () => Promise<unknown>): Parameters<Cluster["serve"]>[0] => ({
  push: () => undefined,
  ack: async () => false,
  call: (name) => (name === "collateral" ? answer() : undefined),
});
const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe("cluster: a call to the leader across a failover", function () {
  this.timeout(60_000);
  const pg = useRealPostgres(this);

  it("test_clusterCall_leaderDiesWithTheCallUnanswered_theFollowerThatTakesOverRunsItAtOnce", async () => {
    const url = await pg.server.createDatabase("leadercall");
    const store = await PostgresStore.open({ url, shared: true }); // the node's tables, which the cluster's indexes name
    const x = await Cluster.start({ url, id: "x", logger, leaderPollMs: 50 });
    const y = await Cluster.start({ url, id: "y", logger, leaderPollMs: 50 });
    try {
      let xCalls = 0;
      let unanswered = false;
      x.serve(handlers(() => (xCalls++, unanswered ? new Promise<never>(() => undefined) : Promise.resolve("from x"))));
      y.serve(handlers(async () => "from y"));
      x.leader.start(async () => undefined, () => undefined);
      await until(() => x.leader.isReady, "x to lead");
      y.leader.start(async () => undefined, () => undefined);

      // While the leader lives, the follower's call is served there.
      expect(await y.call("collateral", {}, 10_000)).to.equal("from x");
      expect(xCalls).to.equal(1);

      // The leader takes the next call and dies before it answers; the follower becomes the leader meanwhile.
      unanswered = true;
      const started = Date.now();
      const calling = y.call("collateral", {}, 10_000);
      await until(() => xCalls === 2, "x to take the call");
      await x.stop();
      expect(await calling).to.equal("from y");
      expect(Date.now() - started, "answered within the takeover, not after the call's 10 s").to.be.lessThan(5_000);
      expect(y.leader.isReady).to.equal(true);

      // A follower with no leader at all still gets ClusterError once the call's time is out.
      await y.leader.stop();
      await rejects(y.call("collateral", {}, 300), ClusterError);
    } finally {
      await y.stop();
      await x.stop().catch(() => undefined);
      await store.close();
    }
  });
});
