/**
 * SwitchyardClient: a wallet's or dApp's whole view of its channel with one node, one awaited call per action
 * (docs/SDK.md "API reference"). Built on ClientSession (src/wire/session.ts): the node signs every update first,
 * the client checks it is exactly its intent before it signs. Browser-safe: no Node.js built-ins; in Node.js pass
 * `WebSocket` from "ws".
 */
import type { Signer } from "ethers";

import { ethersSigner, type ChannelSigner } from "../protocol/signing.js";
import type { Update } from "../protocol/types.js";
import type { WebSocketConstructor } from "../wire/client.js";
import type { NodeInfo } from "../wire/methods.js";
import type { ClientSession, ClientSessionOptions, PaymentNotice } from "../wire/session.js";
import { balancesOf } from "./balances.js";
import { Connection } from "./connection.js";
import { Emitter } from "./emitter.js";
import { NodeUnavailableError } from "./errors.js";
import type { Balances, ClientEventName, ClientEvents, ClientOptions } from "./types.js";

const PPM = 1_000_000n;

function isChannelSigner(s: ChannelSigner | Signer): s is ChannelSigner {
  return typeof (s as Partial<Signer>).signTypedData !== "function" && typeof (s as ChannelSigner).sign === "function";
}

export class SwitchyardClient {
  protected readonly events = new Emitter<ClientEvents>();
  protected connection!: Connection;
  protected session!: ClientSession;

  protected constructor(
    readonly options: ClientOptions,
    protected readonly signer: ChannelSigner,
  ) {}

  /** Logs in to the node, opens or restores the channel (verified) and syncs it. */
  static async connect(options: ClientOptions): Promise<SwitchyardClient> {
    const signer = isChannelSigner(options.signer) ? options.signer : await ethersSigner(options.signer);
    const client = new SwitchyardClient(options, signer);
    await client.start();
    return client;
  }

  protected async start(): Promise<void> {
    const WebSocketCtor =
      this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketCtor === undefined)
      throw new NodeUnavailableError(this.options.node, "no WebSocket constructor: pass `WebSocket` (from \"ws\" in Node.js)");
    const sessionOptions: ClientSessionOptions = {
      url: this.options.node,
      WebSocket: WebSocketCtor,
      signer: this.signer,
      store: this.options.store,
      ...(this.options.resolvers !== undefined ? { resolvers: this.options.resolvers } : {}),
      ...(this.options.clock !== undefined ? { clock: this.options.clock } : {}),
      ...(this.options.chain !== undefined ? { chain: this.options.chain } : {}),
      ...(this.options.requestTimeoutMs !== undefined ? { timeoutMs: this.options.requestTimeoutMs } : {}),
    };
    this.connection = new Connection(sessionOptions, this.options.reconnect, this.events, {
      payment: (n) => this.onPaymentNotice(n),
      update: (u) => this.onNodeUpdate(u),
      opened: async (s) => {
        this.session = s;
      },
    });
    try {
      await this.connection.start();
    } catch (error) {
      if (error instanceof Error && "code" in error && (error as { code: unknown }).code === "NOT_CONNECTED")
        throw new NodeUnavailableError(this.options.node, error.message);
      throw error;
    }
  }

  /** The user's address (protocol `bob`). */
  get address(): string {
    return this.signer.address;
  }

  get channelAddress(): string {
    return this.session.channel.address;
  }

  get nodeInfo(): NodeInfo {
    return this.session.info;
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  balances(): Balances {
    return balancesOf(this.session.channel);
  }

  /** The node's advertised fee for a routed payment of `amount`: flat + ceil(amount · ppm / 10^6). */
  feeFor(asset: string, amount: bigint): bigint {
    const fees = this.nodeInfo.fees;
    const f = fees.assets.find((a) => a.asset.toLowerCase() === asset.toLowerCase()) ?? fees.default;
    return f.flat + (amount * f.ppm + PPM - 1n) / PPM;
  }

  on<E extends ClientEventName>(event: E, handler: (event: ClientEvents[E]) => void): () => void {
    return this.events.on(event, handler);
  }

  /** Closes the socket and stops reconnecting and watching (the store stays as it is). */
  async disconnect(): Promise<void> {
    await this.connection.stop();
  }

  protected onPaymentNotice(_notice: PaymentNotice): void {
    // routed payments: see pay()
  }

  protected onNodeUpdate(_update: Update): void {
    // events of the node's updates
  }
}
