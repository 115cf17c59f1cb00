/**
 * The web wallet page (served by `npm run demo:web`): connect (a test key or the browser's wallet), deposit,
 * request and pay routed payments, see incoming payments as they arrive (the client's events), withdraw and
 * close. Every failure is shown by its typed cause (src/client errors, the SDK's, the wallet's), never as a
 * stack trace.
 */
import { formatEther, getAddress, isAddress } from "ethers";

import type { ClientEvents } from "../../src/client/types.js";
import { parseConfig, type WalletConfig } from "./config.js";
import { AmountFormatError, NotConnectedError, RecipientError, explain } from "./errors.js";
import { decodeInvoice, encodeInvoice } from "./invoice.js";
import { clearError, el, field, logActivity, setBusy, setText, show, showError } from "./view.js";
import { ETH, connectInjected, connectTestKey, hasInjectedWallet, type Connected } from "./wallet.js";

function parseEth(text: string): bigint {
  const match = /^(\d{1,30})(?:\.(\d{1,18}))?$/.exec(text);
  if (match === null) throw new AmountFormatError(text);
  const wei = BigInt(match[1] ?? "0") * 10n ** 18n + BigInt((match[2] ?? "").padEnd(18, "0"));
  if (wei === 0n) throw new AmountFormatError(text);
  return wei;
}

const eth = (wei: bigint): string => formatEther(wei);
const short = (address: string): string => `${address.slice(0, 8)}…${address.slice(-4)}`;

let wallet: Connected | undefined;

/** Runs one user action: clears the error box, marks the page busy, shows a failure by its cause. */
async function act(what: string, action: () => Promise<void>): Promise<void> {
  clearError();
  setBusy(what);
  try {
    await action();
  } catch (error) {
    showError(explain(error));
  } finally {
    setBusy(undefined);
    await refresh();
  }
}

/** Redraws the balances: the channel's from the client, the account's from the chain. */
async function refresh(): Promise<void> {
  if (wallet === undefined) return;
  const { client, chain } = wallet;
  const balance = client.balances()[ETH] ?? { mine: 0n, node: 0n, lockedByMe: 0n, lockedToMe: 0n };
  setText("balance-mine", eth(balance.mine));
  setText("balance-node", eth(balance.node));
  setText("balance-locked-out", eth(balance.lockedByMe));
  setText("balance-locked-in", eth(balance.lockedToMe));
  setText("connection", client.connected ? "connected" : "disconnected");
  try {
    setText("wallet-eth", eth(await chain.getBalance(client.address)));
  } catch (error) {
    setText("wallet-eth", `unknown (${explain(error).title})`);
  }
}

function subscribe(connected: Connected): void {
  const { client } = connected;
  const on = <E extends keyof ClientEvents>(event: E, handler: (e: ClientEvents[E]) => void): void => {
    client.on(event, (e) => {
      handler(e);
      void refresh();
    });
  };
  on("payment-received", (e) =>
    logActivity(
      "in",
      `received ${eth(e.amount)} ETH ${e.lockHash !== undefined ? `(invoice ${short(e.lockHash)})` : "from the node"}`,
    ),
  );
  on("payment-completed", (e) => logActivity("out", `payment ${short(e.lockHash)} completed (${eth(e.amount)} ETH)`));
  on("payment-failed", (e) => logActivity("failed", `payment ${short(e.lockHash)} failed (${e.status}): ${e.reason}`));
  on("deposit", (e) =>
    logActivity(
      "info",
      `deposit reconciled: ${eth(e.totalDeposited)} ETH by you, ${eth(e.totalDepositedByNode)} ETH by the node in total`,
    ),
  );
  on("dispute", (e) => logActivity(e.kind === "error" ? "failed" : "info", `watcher: ${e.kind}: ${e.detail}`));
  on("connection", (e) => {
    setText("connection", e.status);
    logActivity(e.status === "failed" ? "failed" : "info", `connection ${e.status}`);
  });
  on("error", (e) => logActivity("failed", `${explain(e).title}: ${explain(e).detail}`));
}

async function start(connect: () => Promise<Connected>): Promise<void> {
  await act("connecting", async () => {
    const connected = await connect();
    wallet = connected;
    subscribe(connected);
    setText("address", connected.client.address);
    setText("signer-kind", connected.kind);
    setText("channel", connected.client.channelAddress);
    el<HTMLInputElement>("withdraw-to").placeholder = `recipient (default: you, ${short(connected.client.address)})`;
    show("connect", false);
    for (const section of ["account", "actions", "log"]) show(section);
    logActivity("info", `connected as ${connected.client.address} (${connected.kind})`);
  });
}

function onSubmit(form: string, handler: () => Promise<void>): void {
  el<HTMLFormElement>(form).addEventListener("submit", (event) => {
    event.preventDefault();
    void handler();
  });
}

function wire(config: WalletConfig): void {
  const injected = el<HTMLButtonElement>("connect-injected");
  if (!hasInjectedWallet()) {
    injected.disabled = true;
    injected.dataset.unavailable = "true";
    injected.title = "no window.ethereum in this browser";
  }
  el("connect-test-key").addEventListener("click", () => void start(() => connectTestKey(config)));
  injected.addEventListener("click", () => void start(() => connectInjected(config)));

  onSubmit("deposit-form", () =>
    act("depositing", async () => {
      const amount = parseEth(field("deposit-amount"));
      const result = await current().deposit({ asset: ETH, amount });
      logActivity("info", `deposited ${eth(result.amount)} ETH (tx ${short(result.tx)})`, result.tx);
    }),
  );
  onSubmit("invoice-form", () =>
    act("making an invoice", async () => {
      const invoice = await current().invoice({ asset: ETH, amount: parseEth(field("invoice-amount")) });
      setText("invoice-text", encodeInvoice(invoice));
      el("invoice-box").hidden = false;
      logActivity("info", `invoice for ${eth(invoice.amount)} ETH (lock ${short(invoice.lockHash)})`);
    }),
  );
  onSubmit("pay-form", () =>
    act("paying", async () => {
      const invoice = decodeInvoice(field("pay-invoice"));
      const paid = await current().pay(invoice);
      logActivity("out", `paid ${eth(paid.amount)} ETH to ${short(paid.to)} (fee ${eth(paid.fee)} ETH)`);
    }),
  );
  onSubmit("withdraw-form", () =>
    act("withdrawing", async () => {
      const client = current();
      const amount = parseEth(field("withdraw-amount"));
      const to = field("withdraw-to");
      if (to !== "" && !isAddress(to)) throw new RecipientError(to);
      const recipient = to === "" ? client.address : getAddress(to);
      const result = await client.withdraw({ asset: ETH, amount, recipient });
      logActivity(
        "info",
        `withdrew ${eth(result.amount)} ETH to ${short(result.recipient)} (tx ${short(result.tx)})`,
        result.tx,
      );
    }),
  );
  el("close").addEventListener(
    "click",
    () =>
      void act("closing the channel", async () => {
        const result = await current().close();
        const paid = result.payouts.find((p) => p.asset === ETH);
        setText("channel-state", `closed at nonce ${result.nonce} (paid out on chain)`);
        logActivity(
          "info",
          `channel closed at nonce ${result.nonce}: ${eth(paid?.mine ?? 0n)} ETH to you, ` +
            `${eth(paid?.node ?? 0n)} ETH to the node (tx ${short(result.tx)})`,
          result.tx,
        );
      }),
  );
}

function current(): Connected["client"] {
  if (wallet === undefined) throw new NotConnectedError();
  return wallet.client;
}

async function main(): Promise<void> {
  try {
    const response = await fetch("/config.json");
    const config = parseConfig(await response.json());
    setText("network", `chain ${config.chainId} · node ${config.node} · served from ${globalThis.location.host}`);
    wire(config);
    document.body.dataset.ready = "true";
  } catch (error) {
    showError(explain(error));
  }
}

void main();
