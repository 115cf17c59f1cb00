/**
 * The node's peering as the service runs it: the gossip (its graph and own announcements), the peer manager
 * (dialing, funding, relaying) and the wire methods over them (`route.find`, `graph.announce`, `graph.snapshot`).
 */
import type { SwitchyardStore } from "../../stores/store.js";
import { walletSigner } from "../../protocol/signing.js";
import type { ResolverPolicy } from "../../protocol/types.js";
import type { NodeConfig } from "../../routing/config.js";
import { WireError } from "../../wire/codes.js";
import type { ChainServices } from "../chainServices.js";
import type { NodeChannels } from "../channels.js";
import type { ProposeToPeer } from "../collateral.js";
import type { NodeServiceOptions } from "../options.js";
import type { NodeRouter } from "../payments.js";
import type { RpcContext } from "../rpc.js";
import { Gossip } from "./gossip.js";
import { PeerManager } from "./manager.js";
import { networkReroute } from "./retry.js";
import { findNetworkRoute } from "./routeFind.js";

export interface PeeringDeps {
  options: NodeServiceOptions;
  router: NodeRouter;
  store: SwitchyardStore;
  resolvers: readonly ResolverPolicy[];
  channels: NodeChannels;
  isNode: (address: string) => boolean;
  services: () => ChainServices | undefined;
  proposerOf: (client: string) => ProposeToPeer;
  online: (client: string) => boolean;
  notify: (client: string, method: string, params: unknown) => void;
}

export interface Peering {
  gossip: Gossip;
  manager: PeerManager;
  network: NonNullable<RpcContext["network"]>;
  /** The payer's node's retry across nodes (the routing Node's `reroute`). */
  reroute: NonNullable<NodeConfig["reroute"]>;
}

/** The peering of a node with `options.peers`; undefined without a chain (no funding, no capacity checks). */
export function createPeering(d: PeeringDeps): Peering | undefined {
  const o = d.options;
  const chain = o.chain;
  const provider = o.provider;
  const factory = o.deployment.addresses.ChannelFactory;
  const mastercopy = o.deployment.addresses.ChannelMastercopy;
  if (chain === undefined || provider === undefined || factory === undefined || mastercopy === undefined) return undefined;
  const now = o.routingClock ?? ((): bigint => BigInt(Math.floor(Date.now() / 1000)));
  const signer = o.signer ?? walletSigner(o.wallet);
  let manager: PeerManager | undefined;
  const gossip = new Gossip({
    self: o.wallet.address,
    chainId: o.chainId,
    factory,
    mastercopy,
    signer,
    provider,
    fees: o.fees,
    assets: o.collateral.map((c) => c.asset),
    now,
    send: (announcements, except) => manager?.broadcast(announcements, except),
    logger: o.logger,
  });
  manager = new PeerManager({
    self: o.wallet.address,
    peers: o.peers ?? [],
    router: d.router,
    store: d.store,
    signer,
    chainId: o.chainId,
    factory,
    mastercopy,
    limits: o.deployment.limits,
    resolvers: d.resolvers,
    chain,
    collateral: o.collateral,
    logger: o.logger,
    services: d.services,
    proposerOf: d.proposerOf,
    channelOf: (client) => d.channels.channelOf(client),
    online: d.online,
    gossip,
    notify: d.notify,
    ...(o.peerTimeoutMs !== undefined ? { timeoutMs: 3 * o.peerTimeoutMs } : {}),
  });
  const network: Peering["network"] = {
    find: (payer, params) =>
      findNetworkRoute(payer, params, {
        self: o.wallet.address,
        graph: gossip.graph,
        fees: o.fees,
        now: now(),
        payerChannel: d.channels.addressOf(payer),
        payerTimeout: o.channelTimeout,
      }),
    announce: async (from, announcements) => {
      if (!d.isNode(from)) throw new WireError("UNAUTHORIZED", `${from} is not a peer node of this node`);
      return gossip.receive(announcements, from);
    },
    snapshot: () => gossip.snapshot(),
  };
  const reroute = networkReroute({
    self: o.wallet.address,
    graph: gossip.graph,
    fees: o.fees,
    ...(o.routeRetry !== undefined ? { policy: o.routeRetry } : {}),
  });
  return { gossip, manager, network, reroute };
}
