/**
 * The client's side of the flow revision check (FLOW_REVISION, src/wire/methods.ts): a node whose `node.info`
 * names another revision, or none (a node older than revision 2), is refused with a message saying so, before
 * the session relies on any notification. Browser-safe.
 */
import { TransportError, WireError } from "./codes.js";
import type { WireClient } from "./client.js";
import { validateWire } from "../channel/fastWire.js";
import { FLOW_REVISION, nodeInfo, type NodeInfo } from "./methods.js";

/** The node's `node.info`, refused (TransportError PROTOCOL) when the node runs another flow revision. */
export async function nodeInfoOf(wire: Pick<WireClient, "call">): Promise<NodeInfo> {
  return checkedInfo(await wire.call("node.info"));
}

/** `raw` (a `node.info` result) checked: first its flow revision, then the whole schema. */
export function checkedInfo(raw: unknown): NodeInfo {
  const revision = typeof raw === "object" && raw !== null ? (raw as { revision?: unknown }).revision : undefined;
  if (revision !== FLOW_REVISION) {
    const theirs = revision === undefined ? "no flow revision (revision 1)" : `flow revision ${String(revision)}`;
    throw new TransportError(
      "PROTOCOL",
      `the node runs ${theirs} of /v1, this client revision ${FLOW_REVISION}: upgrade the older side (docs/SDK.md "Versions")`,
    );
  }
  try {
    return validateWire(nodeInfo, raw, "node.info result");
  } catch (error) {
    if (error instanceof WireError)
      throw new TransportError("PROTOCOL", `malformed answer from the node: ${error.message}`);
    throw error;
  }
}
