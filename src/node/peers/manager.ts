/**
 * The node's peer nodes (config `peers`, docs/NODE.md "Peering"). For each peer with a lower address this node
 * dials the peer's `/v1` and logs in as bob with the ordinary client login (ClientSession), keeping one Channel
 * for the node's lifetime (opened from the store at start when it exists, so the routing Node can reload the
 * payments that cross it); it reconnects with exponential backoff. The peer's pushed proposals go to the
 * routing Node (`NodeRouter.fromNode`, with the onward route of a forwarded lock); the node's own updates there
 * run as intents (SessionLink). Peers with a higher address dial this node: they are ordinary logged-in clients
 * whose channel this node (alice) funds with its collateral manager. Both sides keep their own balance at the
 * collateral policy (`keepFunded`: alice's deposits through the collateral manager, bob's plain transfer to the
 * channel and the deposit reconcile intent through the transaction service).
 */
import { Interface, ZeroAddress } from "ethers";
import type { Logger } from "pino";
import WebSocket from "ws";

import { Channel } from "../../channel/channel.js";
import { ChannelReader } from "../../chain/reader.js";
import { checksum } from "../../protocol/address.js";
import { computeChannelAddress } from "../../protocol/channelAddress.js";
import type { CallProvider, ChannelSigner } from "../../protocol/signing.js";
import type { DeploymentLimits, ResolverPolicy } from "../../protocol/types.js";
import type { SwitchyardStore } from "../../stores/store.js";
import { ClientSession } from "../../wire/session.js";
import type { ChainServices } from "../chainServices.js";
import { CHANNEL_SALT } from "../channels.js";
import { nodeBalance, type ProposeToPeer } from "../collateral.js";
import type { CollateralPolicy } from "../options.js";
import type { NodeRouter } from "../payments.js";
import { validate } from "../../wire/schemas.js";
import { NOTIFICATIONS, MAX_ANNOUNCE_BATCH, announcementBatch } from "../../wire/methods.js";
import type { SignedAnnouncement } from "../../routing/network/types.js";
import type { Gossip } from "./gossip.js";
import { FundingRuns } from "./funding.js";
import { SessionLink } from "./link.js";
import { dials, type PeerConfig } from "./roles.js";

const ERC20 = new Interface(["function transfer(address to, uint256 amount) returns (bool)"]);

export interface PeerManagerOptions {
  /** This node's address. */
  self: string;
  peers: readonly PeerConfig[];
  router: NodeRouter;
  store: SwitchyardStore;
  signer: ChannelSigner;
  chainId: bigint;
  factory: string;
  mastercopy: string;
  limits: DeploymentLimits;
  resolvers: readonly ResolverPolicy[];
  chain: CallProvider;
  collateral: readonly CollateralPolicy[];
  logger: Logger;
  /** The chain services (transactions, collateral), once attached. */
  services: () => ChainServices | undefined;
  /** How `client`'s channel gets the node's own (alice) updates: the service's proposer. */
  proposerOf: (client: string) => ProposeToPeer;
  /** The node's (alice's) channel with `client`. */
  channelOf: (client: string) => Promise<Channel>;
  /** Whether `client` is logged in now (a peer that dials this node is funded while it can acknowledge). */
  online: (client: string) => boolean;
  /** First and largest wait between two dials (default 500 ms, 15 s). */
  backoffMs?: { initial: number; max: number };
  /** Milliseconds between two collateral checks of each peer channel (default 3000). */
  fundEveryMs?: number;
  /** Per request over a peer session (default 15 s). */
  timeoutMs?: number;
  /** Gossip: the node's graph and announcements (src/node/peers/gossip.ts). */
  gossip: Gossip;
  /** Pushes a notification to `client`'s sockets (a peer node that dials this node). */
  notify: (client: string, method: string, params: unknown) => void;
}

interface Dialed {
  peer: PeerConfig & { url: string };
  channel?: Channel;
  link?: SessionLink;
  session?: ClientSession;
}

export class PeerManager {
  private readonly dialed = new Map<string, Dialed>();
  private readonly listening = new Set<string>();
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];
  private wake: Array<() => void> = [];
  private funding: NodeJS.Timeout | undefined;
  private readonly fundingRuns: FundingRuns;

  constructor(private readonly options: PeerManagerOptions) {
    this.fundingRuns = new FundingRuns((error: unknown) => this.options.logger.warn({ err: error }, "peer funding failed"));
    for (const p of options.peers) {
      const address = checksum(p.address);
      if (dials(options.self, address)) {
        if (p.url === undefined) throw new TypeError(`peer ${address}: this node dials it, so it needs a url`);
        this.dialed.set(address, { peer: { address, url: p.url } });
      } else this.listening.add(address);
    }
  }

  /** Whether `address` is a configured peer node. */
  isNode(address: string): boolean {
    const a = checksum(address);
    return this.dialed.has(a) || this.listening.has(a);
  }

  /** Whether this node dials `address` (it is bob in their channel). */
  dials(address: string): boolean {
    return this.dialed.has(checksum(address));
  }

  /** Opens the channels with dialed peers the store holds (so their payments reload), then starts dialing. */
  async start(): Promise<void> {
    for (const [address, d] of this.dialed) {
      const channel = await this.openStored(address);
      if (channel !== undefined) this.register(d, channel);
    }
    for (const d of this.dialed.values()) this.loops.push(this.dialLoop(d));
    // One pass at a time; a failed pass is logged and the next one tries again.
    this.funding = setInterval(() => this.fundingRuns.passOnce(() => this.keepFunded()), this.options.fundEveryMs ?? 3_000);
    this.funding.unref();
  }

  /**
   * Starts no more top-ups and waits for those in flight (the periodic pass and a connected peer's, each with its
   * deposit and reconcile update), so a drain does not stop the node between a top-up's proposal and its
   * acknowledgement.
   */
  async pauseFunding(): Promise<void> {
    if (this.funding !== undefined) clearInterval(this.funding);
    this.funding = undefined;
    await this.fundingRuns.pause();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.pauseFunding();
    for (const w of this.wake) w();
    for (const d of this.dialed.values()) await d.session?.close().catch(() => undefined);
    await Promise.allSettled(this.loops);
  }

  /** The peers connected now (dialed sessions open). */
  connected(): string[] {
    return [...this.dialed.entries()].filter(([, d]) => d.link?.connected === true).map(([a]) => a);
  }

  private async dialLoop(d: Dialed): Promise<void> {
    const backoff = this.options.backoffMs ?? { initial: 500, max: 15_000 };
    let wait = backoff.initial;
    const log = this.options.logger.child({ peer: d.peer.address });
    while (!this.stopped) {
      try {
        const session = await ClientSession.connect({
          url: d.peer.url,
          WebSocket: WebSocket as never,
          signer: this.options.signer,
          store: this.options.store,
          chain: this.options.chain,
          resolvers: this.options.resolvers,
          timeoutMs: this.options.timeoutMs ?? 15_000,
          ...(d.channel !== undefined ? { channel: d.channel } : {}),
          receive: (proposal, route) => this.options.router.fromNode(d.peer.address, proposal, route),
        });
        if (session.info.node !== d.peer.address) {
          await session.close();
          throw new Error(`the node at ${d.peer.url} is ${session.info.node}, not the configured ${d.peer.address}`);
        }
        if (d.channel === undefined) this.register(d, session.channel);
        d.session = session;
        d.link?.attach(session);
        session.onError((error) => log.warn({ err: error }, "a peer proposal was refused"));
        log.info({ url: d.peer.url, channel: session.channel.address }, "peer connected");
        wait = backoff.initial;
        await this.joinGossip(d, session);
        this.fundingRuns.start(() => this.fundDialed(d)); // awaited by a drain (pauseFunding)
        await session.wire.whenClosed();
        log.warn("peer connection closed");
      } catch (error) {
        log.warn({ err: error, retryInMs: wait }, "cannot connect to the peer");
      } finally {
        d.link?.attach(undefined);
        d.session = undefined;
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      wait = Math.min(wait * 2, backoff.max);
    }
  }

  private register(d: Dialed, channel: Channel): void {
    d.channel = channel;
    d.link = new SessionLink(d.peer.address, channel, this.options.store);
    this.options.router.addNodePeer(d.peer.address, channel, d.link);
  }

  private async openStored(peer: string): Promise<Channel | undefined> {
    const o = this.options;
    const address = computeChannelAddress(o.factory, o.mastercopy, peer, o.self, CHANNEL_SALT);
    const record = await o.store.load(address);
    if (record === undefined) return undefined;
    return Channel.open({
      setup: record.setup,
      me: "bob",
      signer: o.signer,
      store: o.store,
      limits: o.limits,
      resolvers: o.resolvers,
      chain: o.chain,
      deposits: new ChannelReader(o.chain, address).deposits(),
    });
  }

  // ───────────────────────────── collateral both ways ─────────────────────────────

  /**
   * One pass: every connected peer channel gets this node's balance back to its policy (below min: to target),
   * then the node announces its side of each peer channel whose capacity changed.
   */
  private async keepFunded(): Promise<void> {
    for (const d of this.dialed.values()) if (d.link?.connected === true) await this.fundDialed(d);
    for (const peer of this.listening) await this.fundListening(peer);
    await this.announce();
  }

  /** Signs and sends the node's announcements of its peer channels that changed. */
  async announce(): Promise<void> {
    const channels: Array<{ peer: string; channel: Channel }> = [];
    for (const [peer, d] of this.dialed) if (d.channel !== undefined) channels.push({ peer, channel: d.channel });
    for (const peer of this.listening) {
      if (this.options.router.node.hasPeer(peer)) channels.push({ peer, channel: this.options.router.node.channel(peer) });
    }
    await this.options.gossip
      .announce(channels)
      .catch((error: unknown) => this.options.logger.warn({ err: error }, "cannot announce the node's channels"));
  }

  /**
   * Sends `announcements` to every connected peer node except `except`: as `graph.announce` requests to the nodes
   * this node dials, as `graph.announcement` pushes to the nodes that dial it.
   */
  broadcast(announcements: readonly SignedAnnouncement[], except?: string): void {
    for (let i = 0; i < announcements.length; i += MAX_ANNOUNCE_BATCH) {
      const batch = { announcements: announcements.slice(i, i + MAX_ANNOUNCE_BATCH) };
      for (const [peer, d] of this.dialed) {
        if (peer === except || d.session === undefined) continue;
        void d.session.wire
          .request("graph.announce", batch)
          .catch((error: unknown) => this.options.logger.debug({ err: error, peer }, "announcements not delivered"));
      }
      for (const peer of this.listening) {
        if (peer !== except && this.options.online(peer)) this.options.notify(peer, NOTIFICATIONS.announcement, batch);
      }
    }
  }

  /** A peer node that dials this node logged in: it gets the node's own announcements (it asks for the snapshot). */
  loggedIn(peer: string): void {
    const address = checksum(peer);
    if (!this.listening.has(address)) return;
    const own = this.options.gossip.ownAnnouncements();
    if (own.length > 0) this.options.notify(address, NOTIFICATIONS.announcement, { announcements: own });
  }

  /** On a new session with a dialed peer: its snapshot into the graph, its pushes handled, the node's own sent. */
  private async joinGossip(d: Dialed, session: ClientSession): Promise<void> {
    const gossip = this.options.gossip;
    const from = d.peer.address;
    session.wire.on(NOTIFICATIONS.announcement, (params) => {
      try {
        const batch = validate(announcementBatch, params, "graph.announcement");
        void gossip.receive(batch.announcements, from);
      } catch (error) {
        this.options.logger.warn({ err: error, peer: from }, "malformed announcements pushed");
      }
    });
    try {
      const snapshot = await session.wire.request("graph.snapshot");
      await gossip.receive(snapshot.announcements, from);
      const own = gossip.ownAnnouncements();
      for (let i = 0; i < own.length; i += MAX_ANNOUNCE_BATCH) {
        await session.wire.request("graph.announce", { announcements: own.slice(i, i + MAX_ANNOUNCE_BATCH) });
      }
    } catch (error) {
      this.options.logger.warn({ err: error, peer: from }, "gossip with the peer failed");
    }
  }

  /** As alice: the collateral manager deposits (and deploys the channel) up to target when below min. */
  private async fundListening(peer: string): Promise<void> {
    const services = this.options.services();
    if (services === undefined) return;
    if (!this.options.online(peer)) return;
    const channel = await this.options.channelOf(peer).catch(() => undefined);
    if (channel === undefined) return;
    for (const policy of this.options.collateral) {
      if (nodeBalance(channel, policy.asset) >= policy.min) continue;
      await services.collateral
        .ensure(channel, policy.asset, policy.target, this.options.proposerOf(peer))
        .catch((error: unknown) => this.options.logger.warn({ err: error, peer }, "cannot fund the peer channel"));
    }
  }

  /**
   * As bob: a plain transfer to the channel (through the transaction service; the intent id is the on-chain
   * total before it, so a retry or a restart joins it), then the deposit reconcile intent. Waits until the
   * channel is deployed (alice's first deposit creates it): bob's deposits are read from the contract.
   */
  private async fundDialed(d: Dialed): Promise<void> {
    const services = this.options.services();
    const channel = d.channel;
    if (services === undefined || channel === undefined) return;
    const reader = new ChannelReader(this.options.chain, channel.address);
    for (const policy of this.options.collateral) {
      try {
        const bobBalance = balanceBob(channel, policy.asset);
        if (bobBalance >= policy.min && !(await this.unreconciled(reader, channel, policy.asset))) continue;
        const totals = await reader.deposits()(policy.asset); // throws until the channel is deployed
        if (bobBalance < policy.min) {
          const amount = policy.target - bobBalance;
          const id = `peer-deposit:${channel.address}:${policy.asset}:${totals.bob}`;
          const tx =
            policy.asset === ZeroAddress
              ? { id, to: channel.address, data: "0x", value: amount, purpose: "peer channel deposit (bob)" }
              : { id, to: policy.asset, data: ERC20.encodeFunctionData("transfer", [channel.address, amount]), purpose: "peer channel deposit (bob)" };
          await services.transactions.send(tx);
          await services.transactions.wait(id);
        }
        const after = await reader.deposits()(policy.asset);
        await this.options.router.node.update(d.peer.address, {
          type: "deposit",
          asset: policy.asset,
          totalDepositsAlice: after.alice,
          totalDepositsBob: after.bob,
        });
        this.options.logger.info({ peer: d.peer.address, asset: policy.asset }, "peer channel funded (bob)");
      } catch (error) {
        this.options.logger.debug({ err: error, peer: d.peer.address }, "peer channel not funded yet");
      }
    }
  }

  /** Whether the chain holds deposits of this node (bob) in `asset` that the channel's latest state has not reconciled. */
  private async unreconciled(reader: ChannelReader, channel: Channel, asset: string): Promise<boolean> {
    const a = checksum(asset);
    const own = channel.state.assets.find((x) => checksum(x.asset) === a);
    const onChain = await reader.deposits()(asset).catch(() => undefined);
    if (onChain === undefined) return false;
    return onChain.bob !== (own?.processedBob ?? 0n); // alice reconciles her own deposits
  }
}

/** This node's (bob's) balance of `asset` in the channel's latest state. */
function balanceBob(channel: Channel, asset: string): bigint {
  const a = checksum(asset);
  return channel.state.assets.find((x) => checksum(x.asset) === a)?.balanceBob ?? 0n;
}
