/**
 * `Cluster.acknowledge` (src/node/cluster/index.ts) while this process itself holds the channel's lock for another
 * exchange (and does not wait for this acknowledgement), on a real PostgreSQL server: no other process can hold or
 * take the channel then, so the acknowledgement waits for this process's exchange and is stored right after it.
 * Before, it published a relay that nobody answers (a process ignores its own messages) and waited out the round's
 * 1 s: the ~1 s acknowledgements on the survivor after a failover (e2e runs f-6, f-7).
 */
import { expect } from "chai";
import { getAddress } from "ethers";
import { pino } from "pino";

import { Cluster } from "../../../src/node/cluster/index.js";
import { PostgresStore } from "../../../src/stores/postgres/index.js";
import { useRealPostgres } from "../stores/pgCluster.js";

const CHANNEL = getAddress(`0x${"0".repeat(36)}0d01`);
const CLIENT = getAddress(`0x${"0".repeat(36)}0d02`);

describe("cluster: an acknowledgement while this process holds the channel", function () {
  this.timeout(60_000);
  const pg = useRealPostgres(this);

  it("test_clusterAcknowledge_channelHeldHere_storedRightAfterThatExchangeNotAfterARelayRound", async () => {
    const url = await pg.server.createDatabase("relayack");
    const store = await PostgresStore.open({ url, shared: true }); // the node's tables, which the cluster's indexes name
    const cluster = await Cluster.start({ url, id: "solo", logger: pino({ level: "silent" }) });
    try {
      cluster.serve({ push: () => undefined, ack: async () => false });
      let release!: () => void;
      const exchange = cluster.locks.hold(CHANNEL, () => new Promise<void>((resolve) => (release = resolve)));
      for (let i = 0; i < 200 && !cluster.locks.holds(CHANNEL); i++) await new Promise((r) => setTimeout(r, 10));
      expect(cluster.locks.holds(CHANNEL)).to.equal(true);
      setTimeout(() => release(), 200); // this process's exchange ends after 200 ms
      const started = Date.now();
      let stored = 0;
      await cluster.acknowledge(CLIENT, CHANNEL, { nonce: 1n }, async () => void stored++);
      const elapsed = Date.now() - started;
      await exchange;
      expect(stored).to.equal(1);
      expect(elapsed, "stored once this process's exchange ended, not after a 1 s relay round").to.be.lessThan(800);
      expect(cluster.locks.holds(CHANNEL)).to.equal(false);
    } finally {
      await cluster.stop();
      await store.close();
    }
  });
});
