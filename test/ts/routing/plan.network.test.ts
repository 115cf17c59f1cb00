/**
 * A forwarding node's check of its hop of a route across nodes (src/routing/plan.ts planRoute), before it signs
 * anything: the fee left to it, a path that goes on after a recipient that is no node, expiries that do not
 * decrease by the upstream channel's timeout + margin, a lock hash routed already (a loop back through it); and the
 * onward route it sends with the downstream lock.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, id, keccak256 } from "ethers";

import type { Channel } from "../../../src/channel/channel.js";
import { RouteError, TimeoutError } from "../../../src/protocol/errors.js";
import { planRoute } from "../../../src/routing/plan.js";
import { hashlockTransfer } from "../../../src/routing/payer.js";

const [self, upstream, next, payee] = [0, 1, 2, 3].map((i) => new Wallet(keccak256(id(`plan network ${i}`))).address) as [string, string, string, string];
const HASHLOCK = "0x" + "11".repeat(20);
const NOW = 1_800_000_000n;
const MARGIN = 600n;
const T_UP = 7_200n;
const T_DOWN = 1_800n;
const channelOf = (address: string, timeout: bigint): Channel => ({ address, channelSetup: { timeout } }) as unknown as Channel;
const UP = channelOf("0x" + "aa".repeat(20), T_UP);
const DOWN = channelOf("0x" + "bb".repeat(20), T_DOWN);

function context(routed = new Set<string>()) {
  return {
    address: self,
    hashlock: HASHLOCK,
    margin: MARGIN,
    now: NOW,
    routed: (h: string) => routed.has(h),
    fee: (_asset: string, amountOut: bigint) => 1_000n + (amountOut * 100n) / 1_000_000n,
    isNode: (a: string) => a === upstream || a === next,
  };
}

function lock(amount: bigint, expiry: bigint) {
  return {
    type: "create" as const,
    transfer: hashlockTransfer({
      channel: UP.address,
      hashlock: HASHLOCK,
      asset: ZeroAddress,
      amount,
      initiator: upstream,
      responder: self,
      timeout: T_UP,
      lockHash: "0x" + "cd".repeat(32),
      expiry,
    }),
  };
}

const down = NOW + T_DOWN + MARGIN + 300n;
const up = down + T_UP + MARGIN;
const out = 10n ** 18n;
const fee = 1_000n + out / 10_000n;
const path = [{ recipient: payee, expiry: down - T_DOWN - MARGIN, amount: out - 2_000n }];
const plan = (details: ReturnType<typeof lock>, route: Parameters<typeof planRoute>[3], routed?: Set<string>) =>
  planRoute(context(routed), { address: upstream, channel: UP }, details, route, (r) => (r === next || r === payee ? DOWN : undefined));

describe("routing: a forwarding node's hop of a route across nodes", () => {
  it("test_planRoute_forwardsWithTheOnwardRoute", () => {
    const p = plan(lock(out + fee, up), { recipient: next, expiry: down, amount: out, path });
    expect(p.status).to.equal("accepted");
    expect(p.downstream?.peer).to.equal(next);
    expect(p.downstream?.transfer.amount).to.equal(out);
    expect(p.onward).to.deep.equal(path[0]);
  });

  it("test_planRoute_refusesAFeeBelowTheNodesOwn", () => {
    expect(() => plan(lock(out + fee - 1n, up), { recipient: next, expiry: down, amount: out, path })).to.throw(RouteError, /below its fee/);
  });

  it("test_planRoute_refusesAPathAfterARecipientThatIsNoNode", () => {
    expect(() => plan(lock(out + fee, up), { recipient: payee, expiry: down, amount: out, path })).to.throw(RouteError, /not a node/);
  });

  it("test_planRoute_refusesExpiriesThatDoNotDecreaseEnough", () => {
    expect(() => plan(lock(out + fee, up - 1n), { recipient: next, expiry: down, amount: out, path })).to.throw(TimeoutError);
  });

  it("test_planRoute_refusesALockHashItRoutesAlready", () => {
    const routed = new Set(["0x" + "cd".repeat(32)]);
    expect(() => plan(lock(out + fee, up), { recipient: next, expiry: down, amount: out, path }, routed)).to.throw(RouteError, /already routed/);
  });
});
