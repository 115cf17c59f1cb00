/**
 * The channel graph a node routes over (docs/PROTOCOL.md §17): the verified announcements it holds, one per
 * (channel, asset, announcing side), each the newest by `seq` and counted until `issuedAt + ttl`. Pure (the one
 * outside read, a channel's on-chain total, is a callback) and browser-safe.
 *
 * What `admit` refuses, with typed errors, leaving the graph unchanged: a signature that is not the announcer's
 * (AnnouncementSignatureError), a channel the announcer is not a party of or that holds nothing of the asset on
 * chain (AnnouncementChannelError), a `seq` not
 * above the one held, an expired or future-dated announcement (StaleAnnouncementError), a capacity above what
 * the channel holds on chain (ForgedCapacityError).
 */
import { checksum } from "../../protocol/address.js";

import {
  checkAnnouncedCapacity,
  checkAnnouncedChannel,
  verifyAnnouncementSignature,
  type ChannelDeployment,
} from "./announce.js";
import { AnnouncementChannelError, StaleAnnouncementError } from "./errors.js";
import type {
  ChannelAnnouncement,
  FeeSchedule,
  GraphEdge,
  GraphSnapshot,
  NodeAnnouncement,
  RouteExclusions,
  SignedAnnouncement,
  SignedChannelAnnouncement,
  SignedNodeAnnouncement,
} from "./types.js";

/** Seconds an announcement counts after it was issued, by default (nodes re-announce well within it). */
export const DEFAULT_ANNOUNCEMENT_TTL = 3_600n;
/** Seconds an announcement's `issuedAt` may be ahead of the receiver's clock (clock skew), by default. */
export const DEFAULT_MAX_CLOCK_SKEW = 300n;

export interface GraphOptions {
  /** The chain the announcements are signed for (the network domain's chainId). */
  chainId: bigint;
  /** The deployment channel addresses are checked against. */
  deployment: ChannelDeployment;
  /** Seconds an announcement counts after its `issuedAt` (default DEFAULT_ANNOUNCEMENT_TTL). */
  ttl?: bigint;
  /** Seconds an announcement may be dated ahead of `now` (default DEFAULT_MAX_CLOCK_SKEW). */
  maxClockSkew?: bigint;
}

/** What `admit` reads besides the announcement. */
export interface AdmitContext {
  /** Unix time in seconds, as the receiver sees it. */
  now: bigint;
  /** What `channel` holds of `asset` on chain (its deposits not yet paid out): the most either side can send. */
  channelTotal(channel: string, asset: string): Promise<bigint> | bigint;
}

interface ChannelEntry {
  signed: SignedChannelAnnouncement;
  edge: GraphEdge;
}

interface NodeEntry {
  signed: SignedNodeAnnouncement;
  expiresAt: bigint;
}

/** The graph of verified announcements. */
export class ChannelGraph {
  readonly chainId: bigint;
  readonly ttl: bigint;
  readonly maxClockSkew: bigint;
  private readonly deployment: ChannelDeployment;
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly nodeEntries = new Map<string, NodeEntry>();

  constructor(options: GraphOptions) {
    this.chainId = options.chainId;
    this.deployment = options.deployment;
    this.ttl = options.ttl ?? DEFAULT_ANNOUNCEMENT_TTL;
    this.maxClockSkew = options.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW;
  }

  /**
   * Checks `signed` (already parsed: schemas.ts) and adds it, replacing the announcer's older announcement of the
   * same channel and asset (or of itself). Returns the edge (or the node announcement) now held. Throws the typed
   * errors of the module comment; nothing changes then.
   */
  async admit(signed: SignedAnnouncement, ctx: AdmitContext): Promise<GraphEdge | NodeAnnouncement> {
    if (signed.kind === "node") return this.admitNode(signed, ctx.now);
    const a = signed.announcement;
    this.checkFresh(a.seq, a.issuedAt, ctx.now, this.channels.get(channelKey(a))?.edge.seq);
    checkAnnouncedChannel(a, this.deployment);
    verifyAnnouncementSignature(this.chainId, signed);
    const total = await ctx.channelTotal(checksum(a.channel), checksum(a.asset));
    // A channel that holds nothing of the asset carries no payment; refusing it keeps a peer from filling the graph
    // with channels that exist only as addresses (any pair and salt has one).
    if (total <= 0n) {
      throw new AnnouncementChannelError(checksum(a.channel), `it holds none of ${checksum(a.asset)} on chain`);
    }
    checkAnnouncedCapacity(a, total);
    // Another admit may have stored a newer one while the total was read: check again before replacing.
    const key = channelKey(a);
    this.checkFresh(a.seq, a.issuedAt, ctx.now, this.channels.get(key)?.edge.seq);
    const edge: GraphEdge = {
      channel: checksum(a.channel),
      from: checksum(a.nodeA),
      to: checksum(a.nodeB),
      asset: checksum(a.asset),
      capacity: a.capacityAtoB,
      fee: { flat: a.feeFlat, ppm: a.feePpm },
      timeout: a.timeout,
      seq: a.seq,
      issuedAt: a.issuedAt,
      expiresAt: a.issuedAt + this.ttl,
    };
    this.channels.set(key, { signed, edge });
    return { ...edge };
  }

  /** Drops every entry expired at `now`; returns how many were dropped. */
  expire(now: bigint): number {
    let dropped = 0;
    for (const [key, entry] of this.channels) {
      if (entry.edge.expiresAt <= now) {
        this.channels.delete(key);
        dropped++;
      }
    }
    for (const [key, entry] of this.nodeEntries) {
      if (entry.expiresAt <= now) {
        this.nodeEntries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** The live edges of `asset` at `now`, without excluded nodes and channels, in a stable order. */
  edges(asset: string, now: bigint, exclude: RouteExclusions = {}): GraphEdge[] {
    const a = checksum(asset);
    const out: GraphEdge[] = [];
    for (const { edge } of this.channels.values()) {
      if (edge.asset !== a || edge.expiresAt <= now || excluded(edge, exclude)) continue;
      out.push({ ...edge });
    }
    return out.sort(compareEdges);
  }

  /** The live edges of `asset` into `node` (what other nodes can send it), in a stable order. */
  incoming(node: string, asset: string, now: bigint, exclude: RouteExclusions = {}): GraphEdge[] {
    const to = checksum(node);
    return this.edges(asset, now, exclude).filter((e) => e.to === to);
  }

  /** The live edges of `asset` out of `node`, in a stable order. */
  outgoing(node: string, asset: string, now: bigint, exclude: RouteExclusions = {}): GraphEdge[] {
    const from = checksum(node);
    return this.edges(asset, now, exclude).filter((e) => e.from === from);
  }

  /** The live edge of `channel` from `from` in `asset`, if held. */
  edge(channel: string, from: string, asset: string, now: bigint): GraphEdge | undefined {
    const entry = this.channels.get(`${checksum(channel)}/${checksum(asset)}/${checksum(from)}`);
    return entry === undefined || entry.edge.expiresAt <= now ? undefined : { ...entry.edge };
  }

  /**
   * `node`'s fee for `asset`: the schedule of its newest live announcement in that asset (a node announces its one
   * `fees` schedule per asset on all its channels; the newest wins if they differ). Undefined when none is held.
   */
  feeOf(node: string, asset: string, now: bigint): FeeSchedule | undefined {
    const from = checksum(node);
    let best: GraphEdge | undefined;
    for (const e of this.edges(asset, now)) {
      if (e.from !== from) continue;
      if (best === undefined || e.issuedAt > best.issuedAt || (e.issuedAt === best.issuedAt && e.seq > best.seq))
        best = e;
    }
    return best === undefined ? undefined : { ...best.fee };
  }

  /** The live node announcements at `now`, by node. */
  nodes(now: bigint): Map<string, NodeAnnouncement> {
    const out = new Map<string, NodeAnnouncement>();
    for (const [node, entry] of [...this.nodeEntries].sort(([x], [y]) => compareText(x, y))) {
      if (entry.expiresAt > now) out.set(node, { ...entry.signed.announcement });
    }
    return out;
  }

  /** How many live entries (channel sides and nodes) the graph holds at `now`. */
  size(now: bigint): number {
    let n = 0;
    for (const { edge } of this.channels.values()) if (edge.expiresAt > now) n++;
    for (const entry of this.nodeEntries.values()) if (entry.expiresAt > now) n++;
    return n;
  }

  /**
   * Every live signed announcement at `now` (the `graph.snapshot` reply), node announcements first, each group in
   * a stable order. A receiver admits each one itself: a snapshot is gossip, not trusted.
   */
  snapshot(now: bigint): GraphSnapshot {
    const announcements: SignedAnnouncement[] = [];
    for (const [, entry] of [...this.nodeEntries].sort(([x], [y]) => compareText(x, y))) {
      if (entry.expiresAt > now) announcements.push(entry.signed);
    }
    const live = [...this.channels.values()]
      .filter((c) => c.edge.expiresAt > now)
      .sort((x, y) => compareEdges(x.edge, y.edge));
    for (const c of live) announcements.push(c.signed);
    return { takenAt: now, announcements };
  }

  private admitNode(signed: SignedNodeAnnouncement, now: bigint): NodeAnnouncement {
    const n = signed.announcement;
    const node = checksum(n.node);
    this.checkFresh(n.seq, n.issuedAt, now, this.nodeEntries.get(node)?.signed.announcement.seq);
    verifyAnnouncementSignature(this.chainId, signed);
    const announcement = { ...n, node };
    this.nodeEntries.set(node, { signed: { ...signed, announcement }, expiresAt: n.issuedAt + this.ttl });
    return { ...announcement };
  }

  private checkFresh(seq: bigint, issuedAt: bigint, now: bigint, held: bigint | undefined): void {
    if (held !== undefined && seq <= held) throw new StaleAnnouncementError(seq, `the graph holds seq ${held} already`);
    if (issuedAt + this.ttl <= now) {
      throw new StaleAnnouncementError(seq, `issued at ${issuedAt}, expired at ${issuedAt + this.ttl} (now ${now})`);
    }
    if (issuedAt > now + this.maxClockSkew) {
      throw new StaleAnnouncementError(
        seq,
        `issued at ${issuedAt}, more than ${this.maxClockSkew}s after now (${now})`,
      );
    }
  }
}

function channelKey(a: ChannelAnnouncement): string {
  return `${checksum(a.channel)}/${checksum(a.asset)}/${checksum(a.nodeA)}`;
}

function excluded(edge: GraphEdge, exclude: RouteExclusions): boolean {
  return (
    exclude.channels?.has(edge.channel) === true ||
    exclude.nodes?.has(edge.from) === true ||
    exclude.nodes?.has(edge.to) === true
  );
}

function compareText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** By channel, then sender, then asset: the order every listing of the graph uses. */
export function compareEdges(x: GraphEdge, y: GraphEdge): number {
  return compareText(x.channel, y.channel) || compareText(x.from, y.from) || compareText(x.asset, y.asset);
}
