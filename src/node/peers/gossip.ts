/**
 * Gossip between peer nodes (docs/NODE.md "Peering"): the node's graph of signed announcements
 * (src/routing/network: ChannelGraph, signChannelAnnouncement), its own announcements, and relaying.
 *
 * - Own: for each channel with a peer node and each asset of its collateral policy, the node signs what it can
 *   send there now (its balance), its fee and the channel's timeout; a new one (higher `seq`) whenever that changes.
 * - In: each announcement received is checked by the graph (signature of the announcer, the channel of that pair
 *   in this deployment, a capacity no larger than what the channel holds on chain, freshness) and kept.
 * - Out: a new announcement (own or admitted) goes to every connected peer node once (not back to its sender);
 *   an announcement already seen is neither admitted again nor relayed.
 */
import { Contract, ZeroAddress, type Provider } from "ethers";
import type { Logger } from "pino";

import type { Channel } from "../../channel/channel.js";
import { checksum } from "../../protocol/address.js";
import type { ChannelSigner } from "../../protocol/signing.js";
import { announcementDigest, nextAnnouncementSeq, signChannelAnnouncement } from "../../routing/network/announce.js";
import { ChannelGraph } from "../../routing/network/graph.js";
import type { GraphSnapshot, SignedAnnouncement } from "../../routing/network/types.js";
import { CHANNEL_SALT } from "../channels.js";
import type { FeePolicy } from "../options.js";

const ERC20_BALANCE = ["function balanceOf(address) view returns (uint256)"];

export interface GossipOptions {
  self: string;
  chainId: bigint;
  factory: string;
  mastercopy: string;
  signer: ChannelSigner;
  provider: Provider;
  fees: FeePolicy;
  /** The assets the node announces (its collateral policy's). */
  assets: readonly string[];
  /** Unix seconds (the routing clock). */
  now: () => bigint;
  /** Sends announcements to every connected peer node except `except`. */
  send: (announcements: SignedAnnouncement[], except?: string) => void;
  logger: Logger;
}

export class Gossip {
  readonly graph: ChannelGraph;
  private readonly seen = new Set<string>();
  /** Own announcements by `channel/asset`: the last capacity announced and its seq. */
  private readonly own = new Map<string, { capacity: bigint; issuedAt: bigint; signed: SignedAnnouncement }>();
  private lastSeq: bigint | undefined;

  constructor(private readonly options: GossipOptions) {
    this.graph = new ChannelGraph({ chainId: options.chainId, deployment: { factory: options.factory, mastercopy: options.mastercopy } });
  }

  /** Signs (and sends) a new announcement of each of the node's sides of `channels` whose capacity changed. */
  async announce(channels: ReadonlyArray<{ peer: string; channel: Channel }>): Promise<number> {
    const o = this.options;
    const fresh: SignedAnnouncement[] = [];
    for (const { peer, channel } of channels) {
      const me = channel.me;
      for (const asset of o.assets) {
        const a = checksum(asset);
        const held = channel.state.assets.find((x) => checksum(x.asset) === a);
        const capacity = (me === "alice" ? held?.balanceAlice : held?.balanceBob) ?? 0n;
        const key = `${channel.address}/${a}`;
        const last = this.own.get(key);
        const now = o.now();
        // Unchanged and well within its time to live: nothing to announce.
        if (last !== undefined && last.capacity === capacity && now - last.issuedAt < this.graph.ttl / 2n) continue;
        const fee = o.fees.assets.get(a) ?? o.fees.default;
        const seq = nextAnnouncementSeq(this.lastSeq, now); // above the last, at least the clock: a restart announces newer
        this.lastSeq = seq;
        const signed = await signChannelAnnouncement(o.signer, o.chainId, {
          channel: channel.address,
          salt: CHANNEL_SALT,
          nodeA: o.self,
          nodeB: checksum(peer),
          asset: a,
          capacityAtoB: capacity,
          feeFlat: fee.flat,
          feePpm: fee.ppm,
          timeout: channel.channelSetup.timeout,
          seq,
          issuedAt: now,
        });
        if ((await this.admitOne(signed)) === "admitted") {
          this.own.set(key, { capacity, issuedAt: now, signed });
          fresh.push(signed);
        }
      }
    }
    if (fresh.length > 0) o.send(fresh);
    return fresh.length;
  }

  /** The node's own live announcements (sent to a peer node when it connects). */
  ownAnnouncements(): SignedAnnouncement[] {
    return [...this.own.values()].map((x) => x.signed);
  }

  /**
   * Admits announcements from peer node `from` (already parsed by the wire schemas) and relays the new ones to the
   * other peer nodes once. Returns how many were new and admitted; a refused one is logged and dropped.
   */
  async receive(announcements: readonly SignedAnnouncement[], from: string): Promise<number> {
    const fresh: SignedAnnouncement[] = [];
    for (const signed of announcements) {
      const outcome = await this.admitOne(signed);
      if (outcome === "admitted") fresh.push(signed);
      else if (outcome instanceof Error) this.options.logger.warn({ err: outcome, from }, "announcement refused");
    }
    if (fresh.length > 0) this.options.send(fresh, checksum(from));
    return fresh.length;
  }

  /** What `graph.snapshot` answers. */
  snapshot(): GraphSnapshot {
    return this.graph.snapshot(this.options.now());
  }

  private async admitOne(signed: SignedAnnouncement): Promise<"admitted" | "seen" | Error> {
    const digest = announcementDigest(this.options.chainId, signed);
    if (this.seen.has(digest)) return "seen";
    try {
      await this.graph.admit(signed, { now: this.options.now(), channelTotal: (channel, asset) => this.held(channel, asset) });
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    this.seen.add(digest);
    return "admitted";
  }

  /** What `channel` holds of `asset` on chain. */
  private async held(channel: string, asset: string): Promise<bigint> {
    const provider = this.options.provider;
    if (checksum(asset) === ZeroAddress) return provider.getBalance(channel);
    const token = new Contract(asset, ERC20_BALANCE, provider);
    return (await token.getFunction("balanceOf")(channel)) as bigint;
  }
}
