/**
 * The wire messages of one routed payment between two SwitchyardClients, counted on their sockets (every message
 * crosses a client's socket: the node talks to nobody else here). Flow revision 2 (docs/PROTOCOL.md §16, docs/NODE.md
 * "Notifications pushed"): 16 messages, of which the payer's two payment.status notices ("forwarded", "unlocked") are
 * the only notifications besides the node's two pushed updates. Revision 1 sent 21 (5 more payment.status notices,
 * each repeating what the receiver's own channel showed).
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import WebSocket from "ws";

import { ETH, clientSuite } from "./fixture.js";

interface Logged {
  socket: number;
  dir: "->" | "<-";
  text: string;
}

/** The `ws` WebSocket, recording every message it sends and receives while `recording.on`. */
function recordingSocket(log: Logged[], recording: { on: boolean }): typeof WebSocket {
  let sockets = 0;
  return class extends WebSocket {
    private readonly tag = ++sockets;
    constructor(url: string) {
      super(url);
      this.on("message", (data) => {
        if (recording.on) log.push({ socket: this.tag, dir: "<-", text: String(data) });
      });
    }
    override send(data: string): void {
      if (recording.on) log.push({ socket: this.tag, dir: "->", text: data });
      super.send(data);
    }
  } as unknown as typeof WebSocket;
}

/** "payer -> channel.propose", "payee <- payment.status payee:forwarded", "payer <- result"... */
function describeMessage(m: Logged, payer: number): string {
  const who = m.socket === payer ? "payer" : "payee";
  const msg = JSON.parse(m.text) as {
    method?: string;
    params?: { status?: string; role?: string; proposal?: { update: { details: { type: string } } } };
  };
  const what =
    msg.method === undefined
      ? "result"
      : msg.method === "payment.status"
        ? `payment.status ${msg.params?.role}:${msg.params?.status}`
        : msg.method === "channel.update"
          ? `channel.update ${msg.params?.proposal?.update.details.type}`
          : msg.method;
  return `${who} ${m.dir} ${what}`;
}

describe("wire messages of a routed payment (two clients)", function () {
  this.timeout(120_000);
  const suite = clientSuite();

  it("test_routedPayment_crossesSixteenMessages_noNoticeRepeatsAnUpdate", async () => {
    const log: Logged[] = [];
    const recording = { on: false };
    const options = { WebSocket: recordingSocket(log, recording) as never };
    const payer = await suite.funded("msg payer", 2n * ETH, { options });
    const payee = await suite.funded("msg payee", 0n, { options });
    const pay = async (): Promise<void> => {
      const invoice = await payee.client.invoice({ asset: ZeroAddress, amount: 1_000n });
      await payer.client.pay({ to: invoice.to, asset: ZeroAddress, amount: 1_000n, lockHash: invoice.lockHash });
      // The payee's claim completes on its side before the payer's pay() resolves; the last acknowledgement answered.
      await new Promise((r) => setTimeout(r, 300));
    };
    await pay(); // the node's just-in-time collateral for the payee, outside the count
    recording.on = true;
    await pay();
    recording.on = false;
    const payerSocket =
      log.find((m) => m.dir === "->" && (JSON.parse(m.text) as { method?: string }).method === "channel.propose")
        ?.socket ?? 0;
    const seen = log.map((m) => describeMessage(m, payerSocket));
    // The order across the two sockets interleaves; per socket it is fixed.
    const on = (who: string): string[] => seen.filter((s) => s.startsWith(`${who} `));
    expect(on("payer")).to.deep.equal([
      "payer -> channel.propose", // the lock to the node with its route (an intent)
      "payer <- result", // the node's signed proposal
      "payer -> channel.acknowledge",
      "payer <- result",
      "payer <- payment.status payer:forwarded", // the lock reached the payee: nothing in the payer's channel says so
      "payer <- payment.status payer:unlocked", // the payee claimed it
      "payer <- channel.update resolve", // the node's claim upstream
      "payer -> channel.acknowledge",
      "payer <- result",
    ]);
    expect(on("payee")).to.deep.equal([
      "payee <- channel.update create", // the forwarded lock
      "payee -> channel.acknowledge",
      "payee <- result",
      "payee -> channel.propose", // its resolve with the preimage (an intent)
      "payee <- result",
      "payee -> channel.acknowledge",
      "payee <- result",
    ]);
    expect(seen).to.have.length(16);
  });
});
