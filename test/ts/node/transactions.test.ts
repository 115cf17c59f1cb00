/**
 * The node's TransactionService on the embedded Hardhat network, with a SQLite store: an attempt is stored
 * before it is broadcast and its receipt after; one record per intent; nonces in order without gaps; a stuck
 * transaction is replaced at its nonce with higher fees (and not above the cap); a restart resumes a sent
 * transaction and signs again one that was stored but never broadcast (still one transaction at that nonce); a
 * revert is reported with the channel's error.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Wallet, ZeroAddress, parseEther } from "ethers";

import { withdrawExitCall } from "../../../src/chain/commitments.js";
import {
  IntentConflictError,
  TransactionService,
  TxFailedError,
  TxRevertedError,
  type TransactionServiceOptions,
} from "../../../src/node/transactions.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import type { ChainTxRecord } from "../../../src/stores/store.js";
import { deployEnv, openPair, wallet, type Env } from "../sdk/onchain.js";

const env: Env = await deployEnv();
const rpc = env.net.provider;

let dir: string;
let seq = 0;

async function setAutomine(on: boolean): Promise<void> {
  await rpc.request({ method: "evm_setAutomine", params: [on] });
}

async function mine(): Promise<void> {
  await rpc.request({ method: "evm_mine", params: [] });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Fixture {
  file: string;
  store: SqliteStore;
  key: Wallet;
  options: (extra?: Partial<TransactionServiceOptions>) => TransactionServiceOptions;
}

async function fixture(name: string): Promise<Fixture> {
  const file = path.join(dir, `${name}-${++seq}.sqlite`);
  const store = await SqliteStore.open(file);
  const funded = await wallet(env, `tx ${name} ${seq}`);
  const key = new Wallet(funded.privateKey); // signs offline: the service broadcasts
  return {
    file,
    store,
    key,
    options: (extra = {}) => ({
      store,
      signer: key,
      provider: env.provider,
      chainId: env.chainId,
      pollIntervalMs: 20,
      ...extra,
    }),
  };
}

const payment = (n: number, to = "0x000000000000000000000000000000000000dEaD") => ({
  id: `pay:${n}`,
  to,
  data: "0x",
  value: BigInt(n) * 1_000n,
  purpose: "test payment",
});

describe("TransactionService", () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "switchyard-tx-"));
  });
  after(async () => {
    await setAutomine(true);
    await rm(dir, { recursive: true, force: true });
  });

  it("test_submit_storesTheAttemptBeforeBroadcastAndTheReceiptAfter", async () => {
    const f = await fixture("persist");
    const seen: Array<{ stored: ChainTxRecord | undefined; onChain: unknown }> = [];
    const service = await TransactionService.start(
      f.options({
        beforeBroadcast: async (tx) => {
          const hash = tx.attempts[0]?.hash as string;
          seen.push({ stored: await f.store.chainTx(tx.id), onChain: await env.provider.getTransaction(hash) });
        },
      }),
    );
    const outcome = await service.submit(payment(1));
    expect(seen).to.have.length(1);
    expect(seen[0]?.stored?.status).to.equal("sent");
    expect(seen[0]?.stored?.nonce).to.equal(0n);
    expect(seen[0]?.stored?.attempts.map((a) => a.hash)).to.deep.equal([outcome.hash]);
    expect(seen[0]?.onChain).to.equal(null);
    const record = (await f.store.chainTx("pay:1")) as ChainTxRecord;
    expect(record.status).to.equal("mined");
    expect(record.receipt?.status).to.equal(1);
    expect(record.receipt?.hash).to.equal(outcome.hash);
    expect(outcome.nonce).to.equal(0n);
    expect(outcome.attempts).to.equal(1);
    const mined = await env.provider.getTransactionReceipt(outcome.hash);
    expect(mined?.blockNumber).to.equal(Number(record.receipt?.blockNumber));
    await service.stop();
    await f.store.close();
  });

  it("test_submit_joinsTheStoredIntentAndRefusesOtherCalldataUnderItsId", async () => {
    const f = await fixture("idempotent");
    const service = await TransactionService.start(f.options());
    const first = await service.submit(payment(2));
    const again = await service.submit(payment(2));
    expect(again).to.deep.equal(first);
    expect(await env.provider.getTransactionCount(f.key.address)).to.equal(1);
    let refused: unknown;
    try {
      await service.send({ ...payment(2), value: 1n });
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(IntentConflictError);
    expect(await env.provider.getTransactionCount(f.key.address)).to.equal(1);
    await service.stop();
    await f.store.close();
  });

  it("test_submit_assignsConsecutiveNoncesToConcurrentIntents", async () => {
    const f = await fixture("nonces");
    const service = await TransactionService.start(f.options());
    const outcomes = await Promise.all([3, 4, 5, 6, 7].map((n) => service.submit(payment(n))));
    expect(outcomes.map((o) => o.nonce).sort()).to.deep.equal([0n, 1n, 2n, 3n, 4n]);
    expect(await f.store.nextNonce(f.key.address)).to.equal(5n);
    expect(await env.provider.getTransactionCount(f.key.address)).to.equal(5);
    await service.stop();
    await f.store.close();
  });

  it("test_stuckTransaction_isReplacedAtItsNonceWithBumpedFees", async () => {
    const f = await fixture("stuck");
    const service = await TransactionService.start(f.options({ stuckAfterMs: 150, fees: { bumpPercent: 20n } }));
    await setAutomine(false);
    try {
      const done = service.submit(payment(8));
      const bumped = await until("a second attempt", async () => {
        const r = await f.store.chainTx("pay:8");
        return r !== undefined && r.attempts.length >= 2 ? r : undefined;
      });
      const [a, b] = bumped.attempts;
      if (a === undefined || b === undefined) throw new Error("two attempts expected");
      expect(b.maxFeePerGas >= (a.maxFeePerGas * 120n) / 100n).to.equal(true);
      expect(b.maxPriorityFeePerGas >= (a.maxPriorityFeePerGas * 120n) / 100n).to.equal(true);
      expect(b.hash).to.not.equal(a.hash);
      await mine();
      const outcome = await done;
      expect(outcome.nonce).to.equal(0n);
      expect(bumped.attempts.map((x) => x.hash)).to.include(outcome.hash);
      expect(outcome.hash).to.not.equal(a.hash);
      expect(await env.provider.getTransactionCount(f.key.address)).to.equal(1);
    } finally {
      await setAutomine(true);
    }
    await service.stop();
    await f.store.close();
  });

  it("test_stuckTransaction_isNotBumpedAboveTheFeeCap", async () => {
    const f = await fixture("cap");
    const fees = await env.provider.getFeeData();
    const cap = fees.maxFeePerGas as bigint;
    const service = await TransactionService.start(f.options({ stuckAfterMs: 50, fees: { maxFeePerGas: cap } }));
    await setAutomine(false);
    try {
      const done = service.submit(payment(9));
      const sent = await until("the first attempt", async () => {
        const r = await f.store.chainTx("pay:9");
        return r?.status === "sent" ? r : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 400)); // several stuck periods
      const later = (await f.store.chainTx("pay:9")) as ChainTxRecord;
      expect(later.attempts).to.have.length(1);
      expect(later.attempts[0]?.maxFeePerGas).to.equal(cap);
      expect(later.attempts[0]?.hash).to.equal(sent.attempts[0]?.hash);
      await mine();
      expect((await done).attempts).to.equal(1);
    } finally {
      await setAutomine(true);
    }
    await service.stop();
    await f.store.close();
  });

  it("test_restart_awaitsASentTransactionFromTheStore", async () => {
    const f = await fixture("resume-sent");
    const first = await TransactionService.start(f.options());
    await setAutomine(false);
    let hash: string;
    try {
      const pending = first.submit(payment(10)).catch((error: unknown) => error);
      const sent = await until("the attempt", async () => {
        const r = await f.store.chainTx("pay:10");
        return r?.status === "sent" ? r : undefined;
      });
      hash = sent.attempts[0]?.hash as string;
      await first.stop();
      expect(await pending).to.have.property("code", "TX_SERVICE_STOPPED");
      await f.store.close();
      const store = await SqliteStore.open(f.file);
      const second = await TransactionService.start({ ...f.options(), store });
      const outcome = second.wait("pay:10");
      await mine();
      const done = await outcome;
      expect(done.hash).to.equal(hash);
      expect(done.attempts).to.equal(1);
      expect((await store.chainTx("pay:10"))?.status).to.equal("mined");
      await second.stop();
      await store.close();
    } finally {
      await setAutomine(true);
    }
    expect(await env.provider.getTransactionCount(f.key.address)).to.equal(1);
  });

  it("test_restart_signsAgainAnAttemptStoredButNeverBroadcast", async () => {
    const f = await fixture("resume-unsent");
    let crashed: () => void = () => undefined;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    const first = await TransactionService.start(
      f.options({
        pollIntervalMs: 60_000,
        beforeBroadcast: () => {
          crashed();
          throw new Error("killed between the store and the broadcast");
        },
      }),
    );
    const lost = first.submit(payment(11)).catch((error: unknown) => error);
    await crash;
    await first.stop();
    expect(await lost).to.have.property("code", "TX_SERVICE_STOPPED");
    const stored = (await f.store.chainTx("pay:11")) as ChainTxRecord;
    expect(stored.status).to.equal("sent");
    expect(await env.provider.getTransaction(stored.attempts[0]?.hash as string)).to.equal(null);
    await f.store.close();

    const store = await SqliteStore.open(f.file);
    const second = await TransactionService.start({ ...f.options(), store });
    const again = await second.submit(payment(11)); // the same intent: joins the record
    expect(again.nonce).to.equal(stored.nonce);
    expect(again.attempts).to.equal(2);
    expect(await env.provider.getTransactionCount(f.key.address)).to.equal(1);
    expect(await env.provider.getBalance("0x000000000000000000000000000000000000dEaD")).to.be.greaterThan(0n);
    await second.stop();
    await store.close();
  });

  it("test_revert_isReportedWithTheChannelsErrorAndASimulationFailureReleasesItsNonce", async () => {
    const f = await fixture("revert");
    const a = await wallet(env, "tx revert alice");
    const b = await wallet(env, "tx revert bob");
    const pair = await openPair(env, a, b, { salt: "tx revert", aliceEth: parseEther("1") });
    const call = withdrawExitCall(pair.address, ZeroAddress, a.address, a.address);
    const counts: Array<{ pending: number; failed: number }> = [];
    const service = await TransactionService.start(f.options({ onCounts: (c) => counts.push(c) }));

    let simulated: unknown;
    try {
      await service.submit({
        id: "exit:estimated",
        to: call.to,
        data: call.data,
        purpose: "exit without authorization",
      });
    } catch (error) {
      simulated = error;
    }
    expect(simulated).to.be.instanceOf(TxFailedError);
    expect((simulated as TxFailedError).reason).to.contain("InvalidSignature");
    const failed = (await f.store.chainTx("exit:estimated")) as ChainTxRecord;
    expect(failed.status).to.equal("failed");
    expect(failed.nonce).to.equal(undefined);

    let reverted: unknown;
    try {
      await service.submit({
        id: "exit:forced",
        to: call.to,
        data: call.data,
        gasLimit: 200_000n,
        purpose: "exit without authorization",
      });
    } catch (error) {
      reverted = error;
    }
    expect(reverted).to.be.instanceOf(TxRevertedError);
    expect((reverted as TxRevertedError).reason).to.contain("InvalidSignature");
    const mined = (await f.store.chainTx("exit:forced")) as ChainTxRecord;
    expect(mined.status).to.equal("mined");
    expect(mined.receipt?.status).to.equal(0);
    expect(mined.nonce).to.equal(0n); // the failed simulation left no gap
    expect(await service.intentId("exit:forced")).to.equal("exit:forced#2");
    expect(counts.at(-1)).to.deep.equal({ pending: 0, failed: 2 }); // what the metrics gauges show
    await service.stop();
    await f.store.close();
  });
});
