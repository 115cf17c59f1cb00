/** The messages between the chaos controller and a client process (node:child_process IPC, structured clone). */

/** A request of the controller; the child answers each with a Reply of the same id. */
export type Request =
  | { id: number; op: "deposit"; amount: string }
  | { id: number; op: "invoice"; amount: string }
  | { id: number; op: "pay"; invoice: WireInvoice; timeoutMs: number }
  | { id: number; op: "status" }
  | { id: number; op: "close" }
  | { id: number; op: "stop" };

export interface WireInvoice {
  to: string;
  asset: string;
  amount: string;
  lockHash: string;
}

export interface ClientStatus {
  connected: boolean;
  channel: string;
  nonce: string;
  mine: string;
  lockedByMe: string;
  lockedToMe: string;
  /** The client's payments the store holds locked (co-signed, not yet settled). */
  open: number;
}

export interface CloseOutcome {
  tx: string;
  blockNumber: number;
  payouts: Array<{ asset: string; mine: string; node: string }>;
}

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; code?: string; message: string } };

/** What the child sends on its own. */
export type Notice =
  | { kind: "ready"; address: string; channel: string; connectMs: number; attempts: number }
  | { kind: "paying"; lockHash: string }
  | { kind: "event"; event: string; status?: string }
  | { kind: "fatal"; message: string };

export type FromChild = Reply | Notice;

export function isReply(m: FromChild): m is Reply {
  return "id" in m;
}

/** The child's start parameters (in its environment, JSON). */
export interface ChildConfig {
  name: string;
  node: string;
  rpc: string;
  privateKey: string;
  storeFile: string;
}
