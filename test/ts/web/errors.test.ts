/**
 * What the web wallet shows for a failure (web/src/errors.ts `explain`): the typed cause (an SDK error's class
 * and code, a wallet's refusal, an ethers code) and the message, never a stack trace.
 */
import { expect } from "chai";
import { makeError } from "ethers";

import { InsufficientBalanceError, NodeMisbehaviourError } from "../../../src/client/errors.js";
import { StoreLockedError } from "../../../src/protocol/errors.js";
import { WalletError } from "../../../src/signers/eip1193.js";
import { AmountFormatError, RecipientError, explain } from "../../../web/src/errors.js";

describe("web wallet error display (web/src/errors.ts)", () => {
  it("test_explain_namesTheSdkErrorsClassAndCode_andItsCause", () => {
    const balance = new InsufficientBalanceError("0x0000000000000000000000000000000000000000", 5n, 2n);
    expect(explain(balance)).to.deep.equal({
      title: "InsufficientBalanceError (INSUFFICIENT_BALANCE)",
      detail: balance.message,
    });
    const inner = new Error("bad signature");
    const misbehaving = new NodeMisbehaviourError("0xnode", "a forged signature", inner);
    expect(explain(misbehaving).title).to.equal("NodeMisbehaviourError (NODE_MISBEHAVIOUR)");
    expect(explain(misbehaving).detail).to.equal(`${misbehaving.message} (because: bad signature)`);
  });

  it("test_explain_saysWhyTheWalletRefused", () => {
    const rejected = new WalletError("rejected", "eth_signTypedData_v4", "User rejected the request.", 4001);
    expect(explain(rejected)).to.deep.equal({
      title: "WalletError (rejected)",
      detail: `you declined the request in your wallet: ${rejected.message}`,
    });
    expect(explain(new WalletError("wrong-chain", "eth_chainId", "on 1")).title).to.equal("WalletError (wrong-chain)");
  });

  it("test_explain_ethersAndPlainErrors_withoutAStack", () => {
    const declined = makeError("user rejected action", "ACTION_REJECTED", {
      action: "sendTransaction",
      reason: "rejected",
    });
    expect(explain(declined)).to.deep.equal({
      title: "wallet refused (ACTION_REJECTED)",
      detail: "user rejected action",
    });
    const funds = makeError("insufficient funds for intrinsic transaction cost", "INSUFFICIENT_FUNDS", {
      transaction: {},
    });
    expect(explain(funds).title).to.equal("ethers INSUFFICIENT_FUNDS");
    const plain = explain(new TypeError("x is undefined"));
    expect(plain).to.deep.equal({ title: "unexpected TypeError", detail: "x is undefined" });
    expect(explain("boom")).to.deep.equal({ title: "unexpected failure", detail: "boom" });
    const locked = new StoreLockedError("switchyard-web-wallet-0xabc", "another tab has it open");
    expect(explain(locked)).to.deep.equal({ title: "StoreLockedError (STORE_LOCKED)", detail: locked.message });
  });

  it("test_pageInputErrors_areTyped", () => {
    expect(explain(new AmountFormatError("1.2.3"))).to.deep.include({ title: "AmountFormatError (AMOUNT_FORMAT)" });
    expect(explain(new RecipientError("bob"))).to.deep.include({ title: "RecipientError (RECIPIENT)" });
  });
});
