/**
 * The chaos run's client processes (scripts/chaos/clients.ts): a request sent while the process dies (its IPC
 * channel closed under a client SIGKILL) fails with ClientGoneError; before, Node emitted the send's failure as an
 * 'error' event nobody handled, and the whole run died of an uncaught ERR_IPC_CHANNEL_CLOSED (the default seed).
 */
import { expect } from "chai";

import { ClientGoneError, ClientProcess } from "../../../scripts/chaos/clients.js";

describe("chaos ClientProcess.request (scripts/chaos/clients.ts)", () => {
  it("test_request_ipcChannelClosed_failsWithClientGoneError", async () => {
    const proc = new ClientProcess({ name: "client 0", node: "ws://127.0.0.1:1/v1", rpc: "http://127.0.0.1:1", privateKey: "0x" + "11".repeat(32), storeFile: "/nonexistent" }, 1_000);
    const closed = Object.assign(new Error("Channel closed"), { code: "ERR_IPC_CHANNEL_CLOSED" });
    // A child process whose channel is closed: Node calls the send's callback with the error, else emits it.
    const child = {
      send(_message: unknown, callback?: (error: Error | null) => void): boolean {
        if (callback === undefined) throw closed; // stands for the unhandled 'error' event
        queueMicrotask(() => callback(closed));
        return false;
      },
    };
    (proc as unknown as { child: unknown }).child = child;
    const outcome = await proc.request({ op: "status" }).then(
      () => "answered",
      (error: unknown) => error,
    );
    expect(outcome).to.be.instanceOf(ClientGoneError);
  });
});
