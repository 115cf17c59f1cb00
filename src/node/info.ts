/** The node's public description (GET /v1/info and `node.info`): what a client needs to know before it logs in. */
import type { ResolverPolicy } from "../protocol/types.js";
import { SERVED_METHODS, NETWORK_METHODS } from "./rpc.js";
import { FLOW_REVISION, WIRE_VERSION, type NodeInfo } from "../wire/methods.js";
import type { NodeServiceOptions } from "./options.js";

/** `o`'s description; `peered`: the node peers with other nodes (it serves the network methods then). */
export function describeNode(o: NodeServiceOptions, resolvers: readonly ResolverPolicy[], peered: boolean): NodeInfo {
  return {
    version: WIRE_VERSION,
    revision: FLOW_REVISION,
    name: o.name,
    node: o.wallet.address,
    chainId: o.chainId,
    deployment: { ...o.deployment.addresses },
    limits: {
      minTimeout: o.deployment.limits.minTimeout,
      maxTimeout: o.deployment.limits.maxTimeout,
      assets: [...o.deployment.limits.assets].map(([asset, l]) => ({
        asset,
        channelCapacity: l.channelCapacity,
        transferCap: l.transferCap,
      })),
    },
    wire: {
      maxMessageBytes: o.wire.maxMessageBytes,
      ratePerSecond: o.wire.ratePerSecond,
      burst: o.wire.burst,
      maxInFlight: o.wire.maxInFlight,
      challengeTtlSeconds: o.wire.challengeTtlSeconds,
    },
    fees: { default: o.fees.default, assets: [...o.fees.assets].map(([asset, f]) => ({ asset, ...f })) },
    resolvers: resolvers.map((r) => ({ name: r.name, address: r.address })),
    methods: SERVED_METHODS.filter((m) => peered || !NETWORK_METHODS.has(m)), // served now
  };
}
