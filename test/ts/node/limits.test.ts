/** Per-connection limits and login state, in process with a fake clock. */
import { expect } from "chai";
import { Wallet, id, keccak256 } from "ethers";

import { ConnectionAuth } from "../../../src/node/auth.js";
import { MisbehaviourScore, TokenBucket } from "../../../src/node/rateLimit.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { WireError } from "../../../src/wire/codes.js";
import { loginDomain, loginSignRequest } from "../../../src/wire/login.js";

const node = new Wallet(keccak256(id("limits node")));
const client = new Wallet(keccak256(id("limits client")));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(WireError);
    return (error as WireError).code;
  }
  return "ok";
}

describe("node limits", () => {
  it("test_tokenBucket_allowsTheBurstThenTheRate", () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    for (let i = 0; i < 5; i++) expect(bucket.take().ok).to.equal(true);
    const refused = bucket.take();
    expect(refused).to.deep.equal({ ok: false, retryAfterMs: 100 });
    now += 100;
    expect(bucket.take().ok).to.equal(true);
    expect(bucket.take().ok).to.equal(false);
    now += 10_000; // refills to the burst, not beyond
    for (let i = 0; i < 5; i++) expect(bucket.take().ok).to.equal(true);
    expect(bucket.take().ok).to.equal(false);
  });

  it("test_misbehaviourScore_reachesItsLimitAndDecays", () => {
    let now = 0;
    const score = new MisbehaviourScore(3, 1_000, () => now);
    expect(score.add()).to.equal(false);
    expect(score.add()).to.equal(false);
    now += 1_500; // one point decays
    expect(score.value).to.equal(1);
    expect(score.add()).to.equal(false);
    expect(score.add()).to.equal(true);
  });

  describe("ConnectionAuth", () => {
    let now = 1_800_000_000_000;
    const auth = (): ConnectionAuth =>
      new ConnectionAuth({
        domain: loginDomain("n", 31337n, node.address),
        ttlSeconds: 60,
        maxOutstanding: 2,
        clock: () => now,
      });

    it("test_login_bindsTheFirstValidAnswerOnly", async () => {
      const a = auth();
      const first = a.issue(client.address);
      const second = a.issue(client.address);
      const sign = walletSigner(client);
      const [s1, s2] = await Promise.all([sign.sign(loginSignRequest(first)), sign.sign(loginSignRequest(second))]);
      // two logins at once: one binds, the other is refused
      const codes = await Promise.all([
        codeOf(a.login(first.message.nonce, s1)),
        codeOf(a.login(second.message.nonce, s2)),
      ]);
      expect(codes.sort()).to.deep.equal(["ALREADY_AUTHENTICATED", "ok"]);
      expect(a.address).to.equal(client.address);
    });

    it("test_issue_dropsTheOldestBeyondTheLimit", async () => {
      const a = auth();
      const oldest = a.issue(client.address);
      a.issue(client.address);
      a.issue(client.address);
      const signature = await walletSigner(client).sign(loginSignRequest(oldest));
      expect(await codeOf(a.login(oldest.message.nonce, signature))).to.equal("CHALLENGE_UNKNOWN");
    });

    it("test_login_refusesAfterExpiry", async () => {
      const a = auth();
      const challenge = a.issue(client.address);
      const signature = await walletSigner(client).sign(loginSignRequest(challenge));
      now += 61_000;
      expect(await codeOf(a.login(challenge.message.nonce, signature))).to.equal("CHALLENGE_EXPIRED");
      expect(a.address).to.equal(undefined);
    });

    it("test_login_refusesAHighSSignature", async () => {
      const a = auth();
      const challenge = a.issue(client.address);
      const signature = await walletSigner(client).sign(loginSignRequest(challenge));
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const s = BigInt("0x" + signature.slice(66, 130));
      const v = signature.slice(130) === "1b" ? "1c" : "1b";
      const malleable = signature.slice(0, 66) + (n - s).toString(16).padStart(64, "0") + v;
      expect(await codeOf(a.login(challenge.message.nonce, malleable))).to.equal("LOGIN_SIGNATURE");
    });
  });
});
