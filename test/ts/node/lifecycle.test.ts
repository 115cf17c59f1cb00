/**
 * The node process's life cycle: a keystore-keyed node drained by SIGTERM while an exchange is in flight (an
 * ERC-1271 login whose eth_call a proxy in front of anvil holds back), SIGKILL and a restart on the same port,
 * login challenges expiring, and bad configs stopping the node before it listens, with the field named.
 */
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";

import { expect } from "chai";
import { ContractFactory, JsonRpcProvider, Wallet, encryptKeystoreJson, type InterfaceAbi } from "ethers";

import { freePort, isPortFree, sleep, type LocalNode } from "../../../scripts/lib/local-node.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { RemoteError } from "../../../src/wire/codes.js";
import { loginSignRequest } from "../../../src/wire/login.js";
import { NOTIFICATIONS } from "../../../src/wire/methods.js";
import {
  ROOT,
  clientWallet,
  connect,
  get,
  nodeEnv,
  runCli,
  startChain,
  startNodeProcess,
  writeConfig,
} from "./harness.js";

/** An HTTP JSON-RPC proxy to `target` that holds every eth_call for `delayMs`, and says when one arrives. */
async function slowCallProxy(
  target: string,
  delayMs: number,
): Promise<{ url: string; sawCall: Promise<void>; close(): Promise<void> }> {
  let saw: () => void = () => undefined;
  const sawCall = new Promise<void>((resolve) => (saw = resolve));
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      void (async () => {
        const method = (JSON.parse(body) as { method?: string }).method;
        if (method === "eth_call") {
          saw();
          await sleep(delayMs);
        }
        const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(await answer.text());
      })().catch(() => res.destroy());
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    sawCall,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function deployErc1271(chainUrl: string, owner: string): Promise<string> {
  const file = path.join(ROOT, "artifacts/contracts/test/mocks/MockERC1271Wallet.sol/MockERC1271Wallet.json");
  const artifact = JSON.parse(await readFile(file, "utf8")) as { abi: InterfaceAbi; bytecode: string };
  const provider = new JsonRpcProvider(chainUrl, 31337, { staticNetwork: true });
  const contract = await new ContractFactory(artifact.abi, artifact.bytecode, await provider.getSigner(0)).deploy(
    owner,
  );
  await contract.waitForDeployment();
  const address = await contract.getAddress();
  provider.destroy();
  return address;
}

describe("node life cycle (own process)", function () {
  this.timeout(180_000);
  let chain: LocalNode;

  before(async () => {
    chain = await startChain();
  });
  after(async () => {
    await chain?.stop();
  });

  it("test_sigterm_drainsAnInFlightExchangeThenExits0", async () => {
    const proxy = await slowCallProxy(chain.url, 2_000);
    const keyWallet = Wallet.createRandom();
    const keystore = await encryptKeystoreJson(
      { address: keyWallet.address, privateKey: keyWallet.privateKey },
      "test password",
      {
        scrypt: { N: 1 << 10 },
      },
    );
    const config = await writeConfig(proxy.url, {
      key: { keystore: "node.keystore.json", passwordEnv: "SWITCHYARD_TEST_KEY_PASSWORD" },
    });
    await writeFile(path.join(path.dirname(config), "node.keystore.json"), keystore);
    const node = await startNodeProcess(config, { ...nodeEnv(), SWITCHYARD_TEST_KEY_PASSWORD: "test password" });
    try {
      const info = JSON.parse((await get(`${node.http}/v1/info`)).text) as { node: string };
      expect(info.node).to.equal(keyWallet.address);
      const account = await deployErc1271(chain.url, clientWallet.address);
      const client = await connect(node.ws);
      const pushed: unknown[] = [];
      client.on(NOTIFICATIONS.draining, (params) => pushed.push(params));
      const challenge = await client.request("auth.challenge", { address: account });
      const signature = clientWallet.signingKey.sign(loginSignRequest(challenge).digest).serialized;
      const login = client.request("auth.login", { nonce: challenge.message.nonce, signature });
      await proxy.sawCall; // the node is verifying through the chain: the exchange is in flight
      node.signal("SIGTERM");
      await node.waitForLog((l) => l.msg === "draining");
      // no new requests, no new connections while draining
      const late = await client.request("auth.challenge", { address: clientWallet.address }).catch((e: unknown) => e);
      expect(late).to.be.instanceOf(RemoteError);
      expect((late as RemoteError).code).to.equal("SHUTTING_DOWN");
      expect((late as RemoteError).rpcCode).to.equal(-32004);
      const refusedConnection = await connect(node.ws).then(
        (c) => c.close().then(() => "connected"),
        () => "refused",
      );
      expect(refusedConnection).to.equal("refused");
      // the exchange in flight is answered, then the socket closes (1001) and the process exits 0
      expect((await login).address).to.equal(account);
      expect(pushed).to.deep.equal([{ reason: "shutdown" }]);
      expect((await client.whenClosed()).code).to.equal(1001);
      expect(await node.exited).to.equal(0);
      expect(node.logs().some((l) => l.msg === "drained")).to.equal(true);
    } finally {
      await node.stop();
      await proxy.close();
    }
  });

  it("test_sigkill_thenRestartOnTheSamePortServesAgain", async () => {
    const port = await freePort();
    const config = await writeConfig(chain.url, {
      listen: { host: "127.0.0.1", port },
      wire: { challengeTtlSeconds: 2 },
    });
    const first = await startNodeProcess(config);
    try {
      const client = await connect(first.ws);
      await client.login(walletSigner(clientWallet));
      expect((await client.request("channel.get")).bob).to.equal(clientWallet.address);
      first.signal("SIGKILL");
      expect((await client.whenClosed()).code).to.equal(1006);
      expect(await first.exited).to.not.equal(0);
    } finally {
      await first.stop();
    }
    const second = await startNodeProcess(config);
    try {
      expect(second.port).to.equal(port);
      expect((await get(`${second.http}/health`)).status).to.equal(200);
      const client = await connect(second.ws);
      await client.login(walletSigner(clientWallet));
      expect((await client.request("channel.get")).nonce).to.equal(0n);

      // a challenge answered after its expiry is refused (ttl 2 s)
      const other = await connect(second.ws);
      const challenge = await other.request("auth.challenge", { address: clientWallet.address });
      const signature = await walletSigner(clientWallet).sign(loginSignRequest(challenge));
      const wait = Number(challenge.message.expiry + 1n) * 1000 - Date.now() + 50;
      await sleep(Math.max(0, wait));
      const expired = await other
        .request("auth.login", { nonce: challenge.message.nonce, signature })
        .catch((e: unknown) => e);
      expect((expired as RemoteError).code).to.equal("CHALLENGE_EXPIRED");
      expect((expired as RemoteError).rpcCode).to.equal(4002);
      await Promise.all([client.close(), other.close()]);
    } finally {
      await second.stop();
    }
    expect(await second.exited).to.equal(0);
  });

  it("test_badConfig_stopsBeforeListeningAndNamesTheField", async () => {
    const port = await freePort();
    const secretInFile = await writeConfig(chain.url, {
      listen: { host: "127.0.0.1", port },
      key: { privateKey: "0x" + "11".repeat(32) },
    });
    const a = await runCli(["node", "--config", secretInFile]);
    expect(a.code).to.equal(3);
    expect(a.stderr).to.contain("config error: key.privateKey:");
    const wrongChain = await writeConfig(chain.url, {
      listen: { host: "127.0.0.1", port },
      chain: { rpcUrl: chain.url, chainId: 1 },
    });
    const b = await runCli(["node", "--config", wrongChain]);
    expect(b.code).to.equal(3);
    expect(b.stderr).to.contain("config error: chain.chainId:");
    expect(await isPortFree(port)).to.equal(true);
  });

  it("test_help_printsUsage", async () => {
    const main = await runCli(["--help"]);
    expect(main.code).to.equal(0);
    expect(main.stdout).to.contain("Usage: switchyard <command>");
    const node = await runCli(["node", "--help"]);
    expect(node.code).to.equal(0);
    expect(node.stdout).to.contain("Usage: switchyard node --config <file>");
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).to.equal(2);
  });
});
