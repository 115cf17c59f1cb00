/**
 * How a client's session opens its channel with the node (browser-safe): checks that the node's channel is the
 * CREATE2 address of (node, client), then opens it from the client's store, restores it from the node's co-signed
 * states (`channel.restore`, verified) when the store does not hold it, or creates it at its genesis.
 */
import { ChannelReader } from "../chain/reader.js";
import { Channel } from "../channel/channel.js";
import { checksum } from "../protocol/address.js";
import { computeChannelAddress } from "../protocol/channelAddress.js";
import { MalformedUpdateError } from "../protocol/errors.js";
import { hashlockPolicy, signedTransferPolicy } from "../protocol/policies.js";
import type { ChannelSetup, DeploymentLimits, ResolverPolicy } from "../protocol/types.js";
import type { WireClient } from "./client.js";
import type { NodeInfo } from "./methods.js";
import { restoredRecord } from "./restored.js";
import type { ClientSessionOptions } from "./session.js";

/** Opens the client's channel: from its store, from the node's co-signed states (verified), or at genesis. */
export async function openChannel(wire: WireClient, info: NodeInfo, options: ClientSessionOptions): Promise<Channel> {
  const me = checksum(options.signer.address);
  const got = await wire.request("channel.get");
  const factory = info.deployment.ChannelFactory;
  const mastercopy = info.deployment.ChannelMastercopy;
  if (factory === undefined || mastercopy === undefined)
    throw new MalformedUpdateError("the node names no ChannelFactory / ChannelMastercopy");
  const expected = computeChannelAddress(factory, mastercopy, info.node, me, got.salt);
  if (got.channel !== expected || got.alice !== info.node || got.bob !== me || got.chainId !== info.chainId) {
    throw new MalformedUpdateError(
      `the node's channel ${got.channel} is not the CREATE2 address ${expected} of (${info.node}, ${me})`,
    );
  }
  if (options.channel !== undefined) {
    const own = options.channel;
    if (own.address !== expected || own.me !== "bob" || own.channelSetup.timeout !== got.timeout)
      throw new MalformedUpdateError(`the channel given is not this client's channel ${expected} with the node`);
    return own;
  }
  const setup: ChannelSetup = {
    chainId: info.chainId,
    channel: expected,
    alice: info.node,
    bob: me,
    timeout: got.timeout,
  };
  const limits: DeploymentLimits = {
    minTimeout: info.limits.minTimeout,
    maxTimeout: info.limits.maxTimeout,
    assets: new Map(
      info.limits.assets.map((a) => [a.asset, { channelCapacity: a.channelCapacity, transferCap: a.transferCap }]),
    ),
  };
  const resolvers = options.resolvers ?? defaultResolvers(info);
  const config = {
    setup,
    me: "bob" as const,
    signer: options.signer,
    store: options.store,
    limits,
    resolvers,
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    // The node's deposit claims (its collateral, a client's own deposit intent) are checked on chain.
    ...(options.chain !== undefined
      ? { chain: options.chain, deposits: new ChannelReader(options.chain, expected).deposits() }
      : {}),
  };
  if ((await options.store.load(expected)) !== undefined) return Channel.open(config);
  if (got.latest === undefined) return Channel.create(config);
  await options.store.create(await restoredRecord(await wire.request("channel.restore"), setup, options.chain));
  return Channel.open(config);
}

function defaultResolvers(info: NodeInfo): ResolverPolicy[] {
  const out: ResolverPolicy[] = [];
  const hashlock = info.deployment.HashlockResolver;
  const signed = info.deployment.SignedTransferResolver;
  if (hashlock !== undefined) out.push(hashlockPolicy(hashlock));
  if (signed !== undefined) out.push(signedTransferPolicy(signed, info.chainId));
  return out;
}
