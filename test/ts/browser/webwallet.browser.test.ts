/**
 * The web wallet (`npm run demo:web`: scripts/demo-web.ts, the page in web/) driven in headless Chromium by two
 * users in two browser contexts (separate storage, as two people's browsers):
 * - "payer" connects with the page's generated test key (funded by the demo's faucet);
 * - "payee" connects with an injected EIP-1193 wallet (`window.ethereum`, answered by a key held in this test,
 *   as an extension answers from its background page): every signature it is asked for is readable EIP-712
 *   typed data of the Switchyard domain.
 * The payee first declines the login in its wallet (shown as `WalletError (rejected)`), then connects. Both
 * deposit; the payee makes an invoice, the payer pays it through the node, and the payee's page shows the
 * incoming payment live; both pages' balances agree with the node's co-signed state (read by logging in to
 * the node as each user); a bad invoice and an overpayment are shown by their typed cause; the payer
 * withdraws to a fresh address and the chain shows it; a second tab of the payer is refused its store
 * (StoreLockedError) and a reload restores the channel from IndexedDB; the payee closes and is paid on chain.
 * Screenshots of both pages go to test-output/webwallet/. The demo then stops on SIGTERM and its port closes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { JsonRpcProvider, Wallet, ZeroAddress, formatEther, parseEther, toQuantity, type TypedDataField } from "ethers";
import type { BrowserContext, Page } from "playwright-core";
import WebSocket from "ws";

import { walletSigner } from "../../../src/protocol/signing.js";
import type { AssetState } from "../../../src/protocol/typedData.js";
import { WireClient } from "../../../src/wire/client.js";
import { ROOT, echoPageErrors, useChromium } from "./chromium.js";

const OUTPUT = path.join(ROOT, "test-output/webwallet");
const WATCHDOG = path.join(ROOT, "scripts/lib/node-watchdog.mjs");

/**
 * Starts `npm run demo:web`'s script under the watchdog (it stops when this process goes away, even killed,
 * or after 4 minutes) and waits for the URL it prints.
 */
async function startDemo(): Promise<{
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}> {
  const child = spawn(
    process.execPath,
    [WATCHDOG, process.execPath, "--import", "tsx", path.join(ROOT, "scripts/demo-web.ts")],
    { cwd: ROOT, env: { ...process.env, SWITCHYARD_NODE_LIFETIME_MS: "240000" }, stdio: ["pipe", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const url = /web wallet: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
    if (url !== undefined) return { url, child, output: () => out, exited };
    if (code !== undefined) throw new Error(`demo:web exited (${code}) before serving:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGTERM"); // the watchdog stops the demo
      throw new Error(`demo:web printed no URL within 120 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the element's text is `expected`; fails at once with the page's error box when it shows. */
async function waitText(page: Page, id: string, expected: string, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const text = (await page.getByTestId(id).textContent())?.trim();
    if (text === expected) return;
    if (await page.getByTestId("error").isVisible()) {
      const title = await page.getByTestId("error-title").textContent();
      const detail = await page.getByTestId("error-detail").textContent();
      throw new Error(`waiting for ${id} = ${expected}, the page shows an error: ${title}: ${detail}`);
    }
    if (Date.now() > end) throw new Error(`${id} is "${text}", not "${expected}", after ${ms} ms`);
    await page.waitForTimeout(100);
  }
}

/** Waits for an activity line of `kind` whose text matches; returns the line's transaction hash if it has one. */
async function waitActivity(page: Page, kind: string, match: RegExp, ms = 45_000): Promise<string | undefined> {
  const line = page.locator(`[data-testid="activity"] li[data-kind="${kind}"]`, { hasText: match }).first();
  await line.waitFor({ state: "attached", timeout: ms }).catch(async (error: unknown) => {
    const errorText = (await page.getByTestId("error").isVisible())
      ? ` (the page shows: ${await page.getByTestId("error").textContent()})`
      : "";
    throw new Error(`no ${kind} activity matching ${match}${errorText}: ${(error as Error).message}`);
  });
  return (await line.getAttribute("data-tx")) ?? undefined;
}

async function shownError(page: Page): Promise<{ title: string; detail: string }> {
  await page.getByTestId("error").waitFor({ state: "visible", timeout: 30_000 });
  return {
    title: ((await page.getByTestId("error-title").textContent()) ?? "").trim(),
    detail: ((await page.getByTestId("error-detail").textContent()) ?? "").trim(),
  };
}

/** A test wallet behind `window.ethereum`: signs typed data and sends transactions with `wallet`. */
async function injectWallet(
  context: BrowserContext,
  wallet: Wallet,
  chainId: bigint,
  signed: Array<{ primaryType: string; domain: Record<string, unknown>; message: Record<string, unknown> }>,
  control: { refuseNextSignature: boolean },
): Promise<void> {
  const provider = wallet.provider as JsonRpcProvider;
  await context.exposeFunction("__testWallet", async (method: string, paramsJson: string): Promise<string> => {
    const params = JSON.parse(paramsJson) as unknown[];
    try {
      let result: unknown;
      if (method === "eth_requestAccounts" || method === "eth_accounts") result = [wallet.address.toLowerCase()];
      else if (method === "eth_chainId") result = toQuantity(chainId);
      else if (method === "eth_signTypedData_v4") {
        if (control.refuseNextSignature) {
          control.refuseNextSignature = false;
          return JSON.stringify({ error: { code: 4001, message: "User rejected the request." } });
        }
        if (String(params[0]).toLowerCase() !== wallet.address.toLowerCase()) throw new Error("not this account");
        const data = JSON.parse(String(params[1])) as {
          types: Record<string, TypedDataField[]>;
          domain: Record<string, unknown>;
          primaryType: string;
          message: Record<string, unknown>;
        };
        signed.push({ primaryType: data.primaryType, domain: data.domain, message: data.message });
        const { EIP712Domain: _domain, ...types } = data.types;
        result = await wallet.signTypedData(data.domain, types, data.message);
      } else if (method === "eth_sendTransaction") {
        const tx = params[0] as { to?: string; data?: string; value?: string; gas?: string };
        const sent = await wallet.sendTransaction({
          ...(tx.to !== undefined ? { to: tx.to } : {}),
          ...(tx.data !== undefined ? { data: tx.data } : {}),
          ...(tx.value !== undefined ? { value: BigInt(tx.value) } : {}),
          ...(tx.gas !== undefined ? { gasLimit: BigInt(tx.gas) } : {}),
        });
        result = sent.hash;
      } else result = await provider.send(method, params);
      return JSON.stringify({ result });
    } catch (error) {
      const e = error as { code?: unknown; message?: string };
      return JSON.stringify({ error: { code: typeof e.code === "number" ? e.code : -32603, message: e.message } });
    }
  });
  await context.addInitScript({
    content: `window.ethereum = {
      async request({ method, params }) {
        const answer = JSON.parse(await window.__testWallet(method, JSON.stringify(params ?? [])));
        if (answer.error !== undefined) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
        return answer.result;
      },
    };`,
  });
}

/** The node's latest co-signed ETH balances of `key`'s channel, read by logging in to the node as that user. */
async function nodeView(wsUrl: string, key: string): Promise<{ mine: bigint; node: bigint; channel: string }> {
  const wire = await WireClient.connect(wsUrl, { WebSocket: WebSocket as never, timeoutMs: 20_000 });
  try {
    await wire.login(walletSigner(new Wallet(key)));
    const info = await wire.request("channel.get");
    const eth = info.latest?.state.assets.find((a: AssetState) => a.asset === ZeroAddress);
    if (eth === undefined) throw new Error(`the node has no ETH state for ${info.bob}`);
    return { mine: eth.balanceBob, node: eth.balanceAlice, channel: info.channel };
  } finally {
    await wire.close();
  }
}

const shownEth = async (page: Page, id: string): Promise<bigint> =>
  parseEther(((await page.getByTestId(id).textContent()) ?? "").trim());

describe("the web wallet (npm run demo:web) in two browser contexts", function () {
  const chrome = useChromium(this, "web wallet run in Chromium");
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  const contexts: BrowserContext[] = [];

  after(async function () {
    this.timeout(60_000);
    for (const c of contexts) await c.close();
    if (demo !== undefined && demo.child.exitCode === null) {
      // SIGTERM to the watchdog: it stops the demo (a SIGKILL would orphan it); SIGKILL only if that hangs.
      demo.child.kill("SIGTERM");
      const timer = setTimeout(() => demo?.child.kill("SIGKILL"), 20_000);
      await demo.exited;
      clearTimeout(timer);
    }
  });

  it("test_webWallet_twoUsers_depositPayLiveWithdrawClose_agreeWithTheNodeAndTheChain", async function () {
    this.timeout(240_000);
    const started = Date.now();
    demo = await startDemo();
    const { url } = demo;
    console.log(`      demo:web serving after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const chain = new JsonRpcProvider(`${url}rpc`, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const chainId = (await chain.getNetwork()).chainId;
    const wsUrl = `${url.replace(/^http/, "ws")}v1`;

    const payerContext = await chrome.browser.newContext({ viewport: { width: 900, height: 1100 } });
    const payeeContext = await chrome.browser.newContext({ viewport: { width: 900, height: 1100 } });
    contexts.push(payerContext, payeeContext);
    const payeeKey = Wallet.createRandom().connect(chain);
    const signed: Array<{ primaryType: string; domain: Record<string, unknown>; message: Record<string, unknown> }> =
      [];
    const control = { refuseNextSignature: false };
    await injectWallet(payeeContext, new Wallet(payeeKey.privateKey, chain), chainId, signed, control);

    const payer = await payerContext.newPage();
    const payee = await payeeContext.newPage();
    echoPageErrors(payer, "payer");
    echoPageErrors(payee, "payee");
    for (const page of [payer, payee]) {
      await page.goto(url);
      await page.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
    }
    // The payer's context has no wallet: the page says so and offers the test key.
    expect(await payer.getByTestId("connect-injected").isDisabled()).to.equal(true);

    // The user declines the wallet's first request (the node login): shown by its cause, then connected.
    control.refuseNextSignature = true;
    await payee.getByTestId("connect-injected").click();
    expect(await shownError(payee)).to.deep.include({ title: "WalletError (rejected)" });
    await payer.getByTestId("connect-test-key").click();
    await payee.getByTestId("connect-injected").click();
    await waitText(payer, "signer-kind", "test key");
    await waitText(payee, "signer-kind", "browser wallet");
    expect(await payee.getByTestId("address").textContent()).to.equal(payeeKey.address);
    const payerKey = await payer.evaluate(() => localStorage.getItem("switchyard-web-wallet:test-key"));
    expect(payerKey, "the payer's test key").to.be.a("string");
    const payerAddress = new Wallet(payerKey as string).address;
    expect(await payer.getByTestId("address").textContent()).to.equal(payerAddress);

    await payer.getByTestId("deposit-amount").fill("1.2.3");
    await payer.getByTestId("deposit").click();
    expect((await shownError(payer)).title).to.equal("AmountFormatError (AMOUNT_FORMAT)");
    for (const page of [payer, payee]) {
      await page.getByTestId("deposit-amount").fill("1");
      await page.getByTestId("deposit").click();
    }
    await waitText(payer, "balance-mine", "1.0");
    await waitText(payee, "balance-mine", "1.0");

    // Bad input is shown by its typed cause.
    await payer.getByTestId("pay-invoice").fill("switchyard:0x1234?amount=1");
    await payer.getByTestId("pay").click();
    expect((await shownError(payer)).title).to.equal("InvoiceFormatError (INVOICE_FORMAT)");

    await payee.getByTestId("invoice-amount").fill("0.25");
    await payee.getByTestId("invoice").click();
    await payee.getByTestId("invoice-box").waitFor({ state: "visible" });
    const invoice = ((await payee.getByTestId("invoice-text").textContent()) ?? "").trim();
    expect(invoice).to.match(new RegExp(`^switchyard:${payeeKey.address}\\?`));

    await payer.getByTestId("pay-invoice").fill(invoice);
    await payer.getByTestId("pay").click();
    // Live on the payee's page: the client's payment-received event, no reload.
    await waitActivity(payee, "in", /received 0\.25 ETH/);
    await waitActivity(payer, "out", /paid 0\.25 ETH to/);
    expect(await payer.getByTestId("error").isVisible()).to.equal(false);
    await waitText(payee, "balance-mine", "1.25");
    await waitText(payer, "balance-mine", "0.75");

    // Both pages agree with the node's latest co-signed state.
    for (const [page, key] of [
      [payer, payerKey as string],
      [payee, payeeKey.privateKey],
    ] as const) {
      const view = await nodeView(wsUrl, key);
      expect(await shownEth(page, "balance-mine"), "the user's balance").to.equal(view.mine);
      expect(await shownEth(page, "balance-node"), "the node's balance").to.equal(view.node);
      expect(await page.getByTestId("channel").textContent()).to.equal(view.channel);
    }

    // Paying more than the channel holds: refused by its cause, nothing moves.
    await payee.getByTestId("invoice-amount").fill("5");
    await payee.getByTestId("invoice").click();
    await waitActivity(payee, "info", /invoice for 5\.0 ETH/);
    const big = ((await payee.getByTestId("invoice-text").textContent()) ?? "").trim();
    await payer.getByTestId("pay-invoice").fill(big);
    await payer.getByTestId("pay").click();
    expect((await shownError(payer)).title).to.equal("InsufficientBalanceError (INSUFFICIENT_BALANCE)");
    expect(await shownEth(payer, "balance-mine")).to.equal(parseEther("0.75"));

    // The payer withdraws to a fresh address: the chain shows it.
    const recipient = Wallet.createRandom().address;
    await payer.getByTestId("withdraw-amount").fill("0.5");
    await payer.getByTestId("withdraw-to").fill(recipient);
    await payer.getByTestId("withdraw").click();
    const withdrawTx = await waitActivity(payer, "info", /withdrew 0\.5 ETH/);
    expect(withdrawTx, "the withdraw transaction").to.be.a("string");
    expect((await chain.getTransactionReceipt(withdrawTx as string))?.status).to.equal(1);
    expect(await chain.getBalance(recipient)).to.equal(parseEther("0.5"));
    await waitText(payer, "balance-mine", "0.25");

    // A second tab of the payer's account cannot open its store; a reload restores the channel from IndexedDB.
    const secondTab = await payerContext.newPage();
    echoPageErrors(secondTab, "payer tab 2");
    await secondTab.goto(url);
    await secondTab.getByTestId("connect-test-key").click();
    expect((await shownError(secondTab)).title).to.equal("StoreLockedError (STORE_LOCKED)");
    await secondTab.close();
    await payer.reload();
    await payer.getByTestId("connect-test-key").click();
    await waitText(payer, "address", payerAddress);
    await waitText(payer, "balance-mine", "0.25");
    const databases = await payer.evaluate(async () => {
      const idb = (globalThis as unknown as { indexedDB: { databases(): Promise<Array<{ name?: string }>> } })
        .indexedDB;
      return (await idb.databases()).map((d) => d.name);
    });
    expect(databases).to.include(`switchyard-web-wallet-${payerAddress.toLowerCase()}`);

    // Every signature the payee's wallet was asked for was readable typed data of the Switchyard domain.
    expect(signed.length, "signatures asked of the injected wallet").to.be.greaterThan(2);
    for (const s of signed)
      expect(s.domain.name, s.primaryType)
        .to.be.a("string")
        .and.match(/Switchyard/);
    const states = signed.filter((s) => s.primaryType === "ChannelState");
    expect(states.length, "channel states shown to the wallet").to.be.greaterThan(0);
    expect(JSON.stringify(states.at(-1)?.message)).to.include(`"balanceBob":"${parseEther("1.25")}"`);

    // The payee closes: a co-signed final state pays both sides on chain, the payee's share to its account.
    const before = await chain.getBalance(payeeKey.address);
    await payee.getByTestId("close").click();
    const closeTx = await waitActivity(payee, "info", /channel closed/);
    expect(await payee.getByTestId("channel-state").textContent()).to.match(/^closed at nonce \d+/);
    const receipt = await chain.getTransactionReceipt(closeTx as string);
    expect(receipt?.status).to.equal(1);
    const gas = (receipt?.gasUsed ?? 0n) * (receipt?.gasPrice ?? 0n);
    const paidByGas = receipt?.from.toLowerCase() === payeeKey.address.toLowerCase() ? gas : 0n;
    expect(formatEther((await chain.getBalance(payeeKey.address)) - before + paidByGas)).to.equal("1.25");

    await mkdir(OUTPUT, { recursive: true });
    await payer.screenshot({ path: path.join(OUTPUT, "payer.png"), fullPage: true });
    await payee.screenshot({ path: path.join(OUTPUT, "payee.png"), fullPage: true });
    console.log(`      screenshots: ${path.relative(ROOT, OUTPUT)}/payer.png, payee.png`);

    // The demo stops on SIGTERM: exit code 0, its port closed.
    for (const c of contexts.splice(0)) await c.close();
    demo.child.kill("SIGTERM");
    expect(await demo.exited, demo.output()).to.equal(0);
    const refused = await fetch(`${url}config.json`).then(
      () => false,
      () => true,
    );
    expect(refused, "the server's port is closed").to.equal(true);
  });
});
