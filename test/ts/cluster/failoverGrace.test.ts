/**
 * The leader's tick and an "accepted" payment whose forward lived in a process that was killed (docs/NODE.md
 * "Failure behaviour"; src/node/cluster/routing.ts `young`): the tick left such a payment alone for
 * FORWARD_GRACE_MS (30 s) in case another process was still forwarding it, even once the presence heartbeat had
 * removed the dead process (the kill test's ~30 s pauses in 2 of 14 e2e runs of session 7). Now, once a heartbeat
 * finds no other process alive, a payment last changed before that is not young: the tick refunds it at once.
 * On a real PostgreSQL server, in process: the dead process is a presence row whose heartbeat stopped.
 */
import { expect } from "chai";
import { getAddress, id } from "ethers";
import { pino } from "pino";

import { Cluster } from "../../../src/node/cluster/index.js";
import { ClusterPayments } from "../../../src/node/cluster/routing.js";
import { clusterTables } from "../../../src/node/cluster/schema.js";
import { PostgresStore } from "../../../src/stores/postgres/index.js";
import type { PaymentRecord } from "../../../src/stores/store.js";
import { useRealPostgres } from "../stores/pgCluster.js";

const logger = pino({ level: "silent" });
const PEER = getAddress("0x00000000000000000000000000000000000000a1");
const accepted = (tag: string, updatedAt: number): Omit<PaymentRecord, "version"> => ({
  lockHash: id(tag),
  status: "accepted",
  upstreamPeer: PEER,
  upstreamTransferId: id(`up ${tag}`),
  body: {},
  updatedAt,
});

describe("cluster: an accepted payment of a dead process (ClusterPayments.young)", function () {
  this.timeout(60_000);
  const pg = useRealPostgres(this);

  it("test_young_everyOtherProcessDead_paymentChangedBeforeThatIsNotYoung_oneChangedSinceStillIs", async () => {
    const url = await pg.server.createDatabase("failovergrace");
    const store = await PostgresStore.open({ url, shared: true });
    const x = await Cluster.start({ url, id: "x", logger, leaseMs: 600_000 }); // its own beats run in the test only
    const processes = clusterTables("switchyard").processes;
    try {
      const payments = new ClusterPayments(x.locks, x.pool, x.schema, () => x.presence.aloneSince());
      // Process "y" is alive (its heartbeat fresh) and has just accepted a payment: its forward may be under way.
      await x.pool.query(`INSERT INTO ${processes} (id) VALUES ('y')`);
      await store.write({ payments: [{ payment: accepted("from y", Date.now()), expectedVersion: 0 }] });
      await x.presence.beat();
      await payments.open();
      expect(payments.young(id("from y"))).to.equal(true);

      // "y" is killed: its heartbeat stops, and x's next heartbeat past the lease removes it. No other process is
      // alive, so nobody forwards y's payment: the tick may refund it now, well within FORWARD_GRACE_MS.
      await x.pool.query(`UPDATE ${processes} SET heartbeat_at = now() - interval '1 hour' WHERE id = 'y'`);
      await new Promise((r) => setTimeout(r, 5));
      await x.presence.beat();
      expect((await x.pool.query(`SELECT id FROM ${processes}`)).rows.map((r: { id: string }) => r.id)).to.deep.equal(["x"]);
      expect(payments.young(id("from y"))).to.equal(false);

      // A payment changed after that heartbeat may be a process's that joined since: still young.
      await store.write({ payments: [{ payment: accepted("later", Date.now() + 1), expectedVersion: 0 }] });
      await payments.open();
      expect(payments.young(id("later"))).to.equal(true);
      // And while another process is alive, every recent "accepted" payment is young again.
      await x.pool.query(`INSERT INTO ${processes} (id) VALUES ('z')`);
      await x.presence.beat();
      expect(payments.young(id("from y"))).to.equal(true);
    } finally {
      await x.stop();
      await store.close();
    }
  });
});
