/**
 * The node's channels with its clients: the node is `alice` (it deposits through tracked calls), the client
 * `bob`; the address is the CREATE2 address the factory will deploy (src/protocol/channelAddress.ts) with the
 * salt CHANNEL_SALT, so a client can fund it before it exists. Kept in a MemoryChannelStore until the durable
 * stores (SQLite, PostgreSQL) land: a restart forgets the genesis records, which hold nothing signed yet.
 */
import type { BaseWallet } from "ethers";

import { Channel } from "../channel/channel.js";
import { computeChannelAddress } from "../protocol/channelAddress.js";
import { walletSigner } from "../protocol/signing.js";
import type { DeploymentLimits, ResolverPolicy } from "../protocol/types.js";
import { MemoryChannelStore, type ChannelStore } from "../stores/store.js";
import type { ChannelInfo } from "../wire/methods.js";

/** The salt of a client's first channel with the node (32 zero bytes: one channel per node and client). */
export const CHANNEL_SALT = "0x" + "00".repeat(32);

export interface NodeChannelsOptions {
  chainId: bigint;
  wallet: BaseWallet;
  factory: string;
  mastercopy: string;
  limits: DeploymentLimits;
  resolvers: readonly ResolverPolicy[];
  /** The dispute timeout of the channels the node opens. */
  timeout: bigint;
}

export class NodeChannels {
  private readonly store: ChannelStore = new MemoryChannelStore();
  private readonly open = new Map<string, Promise<Channel>>();
  readonly storeKind = "memory";

  constructor(private readonly options: NodeChannelsOptions) {}

  /** The channel address of `client` (checksummed) with this node. */
  addressOf(client: string): string {
    const o = this.options;
    return computeChannelAddress(o.factory, o.mastercopy, o.wallet.address, client, CHANNEL_SALT);
  }

  /** The client's channel, created at its genesis state on first use (one creation even under concurrency). */
  channelOf(client: string): Promise<Channel> {
    let channel = this.open.get(client);
    if (channel === undefined) {
      channel = this.openOrCreate(client);
      this.open.set(client, channel);
      channel.catch(() => this.open.delete(client));
    }
    return channel;
  }

  async info(client: string): Promise<ChannelInfo> {
    const channel = await this.channelOf(client);
    const setup = channel.channelSetup;
    const latest = channel.latest;
    return {
      channel: setup.channel,
      alice: setup.alice,
      bob: setup.bob,
      salt: CHANNEL_SALT,
      chainId: setup.chainId,
      timeout: setup.timeout,
      nonce: channel.state.nonce,
      ...(latest !== undefined ? { latest } : {}),
      store: this.storeKind,
    };
  }

  private async openOrCreate(client: string): Promise<Channel> {
    const o = this.options;
    const address = this.addressOf(client);
    const config = {
      setup: { chainId: o.chainId, channel: address, alice: o.wallet.address, bob: client, timeout: o.timeout },
      me: "alice" as const,
      signer: walletSigner(o.wallet),
      store: this.store,
      limits: o.limits,
      resolvers: o.resolvers,
    };
    return (await this.store.load(address)) === undefined ? Channel.create(config) : Channel.open(config);
  }
}
