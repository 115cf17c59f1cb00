/**
 * `npm run demo:web`'s parts without a browser: the script refuses bad flags with a clear message (exit 2), the
 * page bundles for the browser, and the web server (scripts/lib/web-server.ts) serves the page and its config,
 * relays standard JSON-RPC to the chain but never a method that signs with the chain's accounts or a test
 * control, relays the node's WebSocket on /v1 only, and funds an address once. The whole run with Chromium is
 * test/ts/browser/webwallet.browser.test.ts.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import { expect } from "chai";
import { Wallet } from "ethers";
import WebSocket, { WebSocketServer } from "ws";

import { bundleWebWallet } from "../../scripts/lib/web-bundle.js";
import { startWebServer, type WebServer } from "../../scripts/lib/web-server.js";
import { ROOT } from "./node/harness.js";

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/demo-web.ts"), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));

const post = async (url: string, body: unknown): Promise<{ status: number; body: unknown }> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};

describe("npm run demo:web: flags, bundle, server", function () {
  this.timeout(120_000);

  it("test_demoWeb_refusesBadFlags_withAClearMessage", async () => {
    const badPort = await runScript(["--port", "nope"]);
    expect(badPort.code, badPort.stderr).to.equal(2);
    expect(badPort.stderr).to.include('--port must be a port number from 0 to 65535 (0: a free one), not "nope"');
    expect(badPort.stderr).to.include("usage: npm run demo:web");
    const tooHigh = await runScript(["--port", "70000"]);
    expect(tooHigh.code).to.equal(2);
    expect(tooHigh.stderr).to.include('not "70000"');
    const unknown = await runScript(["--verbose"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/Unknown option '--verbose'/);
    const help = await runScript(["--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include("--port <n>");
  });

  it("test_webBundle_bundlesThePageForTheBrowser", async () => {
    const bundle = await bundleWebWallet(ROOT);
    expect(bundle.files["/"]?.body).to.include('<script type="module" src="/wallet.js">');
    expect(bundle.files["/wallet.js"]?.body).to.include("SwitchyardClient");
    expect(bundle.files["/wallet.js"]?.body).to.include("sourceMappingURL=wallet.js.map");
    expect(bundle.bytes).to.be.greaterThan(100_000);
  });

  describe("the web server", () => {
    let chain: Server;
    let node: WebSocketServer;
    let web: WebServer;
    const relayed: unknown[] = [];
    const funded: string[] = [];

    before(async () => {
      // A stand-in chain that answers every call with the method's name, and records what reached it.
      chain = createServer((request, response) => {
        let text = "";
        request.on("data", (c: Buffer) => (text += c.toString()));
        request.on("end", () => {
          const body = JSON.parse(text) as { id: number; method: string };
          relayed.push(body);
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ jsonrpc: "2.0", id: body.id, result: `answer of ${body.method}` }));
        });
      });
      const chainPort = await listen(chain);
      // A stand-in node that echoes on /v1.
      node = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v1" });
      node.on("connection", (socket) => socket.on("message", (data) => socket.send(`echo ${String(data)}`)));
      await new Promise((resolve) => node.once("listening", resolve));
      web = await startWebServer({
        port: 0,
        files: { "/": { body: "<!doctype html><p>page</p>", type: "text/html" } },
        config: { chainId: "31337" },
        chainUrl: `http://127.0.0.1:${chainPort}`,
        node: { host: "127.0.0.1", port: (node.address() as AddressInfo).port },
        faucet: async (address) => {
          funded.push(address);
          return `0x${"ab".repeat(32)}`;
        },
      });
    });

    after(async () => {
      await web?.close();
      await new Promise((resolve) => chain?.close(resolve));
      await new Promise((resolve) => node?.close(resolve));
    });

    it("test_webServer_servesThePageAndItsConfig_onLoopback", async () => {
      expect(web.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(web.url);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.include("<p>page</p>");
      expect(await (await fetch(`${web.url}config.json`)).json()).to.deep.equal({ chainId: "31337" });
      expect((await fetch(`${web.url}nothing`)).status).to.equal(404);
    });

    it("test_webServer_relaysStandardRpc_refusesSigningMethodsAndTestControls", async () => {
      relayed.length = 0;
      const ok = await post(`${web.url}rpc`, { jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] });
      expect(ok).to.deep.equal({ status: 200, body: { jsonrpc: "2.0", id: 1, result: "answer of eth_blockNumber" } });
      for (const method of [
        "eth_sendTransaction",
        "eth_accounts",
        "eth_signTypedData_v4",
        "evm_mine",
        "hardhat_setBalance",
      ]) {
        const refused = await post(`${web.url}rpc`, { jsonrpc: "2.0", id: 2, method, params: [] });
        expect(refused.status, method).to.equal(403);
        expect(JSON.stringify(refused.body), method).to.include(`${method} is not relayed`);
      }
      const batch = await post(`${web.url}rpc`, [
        { jsonrpc: "2.0", id: 3, method: "eth_chainId" },
        { jsonrpc: "2.0", id: 4, method: "eth_sendTransaction" },
      ]);
      expect(batch.status).to.equal(403);
      expect((await post(`${web.url}rpc`, "{not json")).status).to.equal(400);
      expect((await post(`${web.url}rpc`, { id: 5 })).status).to.equal(400);
      expect(relayed.map((r) => (r as { method: string }).method)).to.deep.equal(["eth_blockNumber"]);
    });

    it("test_webServer_relaysTheNodeWebSocket_onV1Only", async () => {
      const socket = new WebSocket(`${web.url.replace(/^http/, "ws")}v1`);
      const answer = await new Promise<string>((resolve, reject) => {
        socket.once("open", () => socket.send("hello"));
        socket.once("message", (data) => resolve(String(data)));
        socket.once("error", reject);
      });
      expect(answer).to.equal("echo hello");
      socket.close();
      const other = new WebSocket(`${web.url.replace(/^http/, "ws")}elsewhere`);
      const failure = await new Promise<string>((resolve) => {
        other.once("open", () => resolve("opened"));
        other.once("error", (error) => resolve(error.message));
      });
      expect(failure).to.match(/404/);
    });

    it("test_webServer_onATakenPort_saysSoAndHowToChooseAnother", async () => {
      const error = await startWebServer({
        port: web.port,
        files: {},
        config: {},
        chainUrl: "http://127.0.0.1:1",
        node: { host: "127.0.0.1", port: 1 },
      }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).to.equal(
        `127.0.0.1:${web.port} is in use: choose another port (--port 0 takes a free one)`,
      );
    });

    it("test_webServer_faucetFundsAnAddressOnce_andRefusesGarbage", async () => {
      const address = Wallet.createRandom().address;
      expect(await post(`${web.url}faucet`, { address })).to.deep.equal({
        status: 200,
        body: { address, tx: `0x${"ab".repeat(32)}` },
      });
      const again = await post(`${web.url}faucet`, { address: address.toLowerCase() });
      expect(again.status).to.equal(409);
      expect((await post(`${web.url}faucet`, { address: "0x1234" })).status).to.equal(400);
      expect((await post(`${web.url}faucet`, "garbage")).status).to.equal(400);
      expect(funded).to.deep.equal([address]);
    });
  });
});
