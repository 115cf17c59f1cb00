// What `npm run mutation` mutates and which tests judge each file. Reviewed by hand: change it with care.

/** Solidity test files, relative to the repo root. */
const T = (...names) => names.map((n) => `test/solidity/${n}`);

/**
 * Each production contract file (contracts/, never contracts/test) with the test files that cover it. A mutant is
 * first run against these; only if it survives them is it run against the whole Solidity suite, so a "survived"
 * verdict always means the whole suite (plus the parity test where `parity` is set) let it through.
 */
export const TARGETS = [
  {
    file: "contracts/channel/ChannelCore.sol",
    tests: T(
      "Channel.claims.t.sol",
      "Channel.withdraw.t.sol",
      "Adjudicator.defund.t.sol",
      "security/Tokens.t.sol",
      "security/Replay.t.sol",
      "security/Reentrancy.t.sol",
    ),
  },
  {
    file: "contracts/channel/Settlement.sol",
    tests: T(
      "Channel.claims.t.sol",
      "Channel.close.t.sol",
      "Adjudicator.defund.t.sol",
      "security/Tokens.t.sol",
      "security/DoubleSpend.t.sol",
    ),
  },
  {
    file: "contracts/channel/WithdrawUnit.sol",
    tests: T("Channel.withdraw.t.sol", "Channel.claims.t.sol", "security/Replay.t.sol", "security/Reentrancy.t.sol"),
  },
  {
    file: "contracts/channel/CloseUnit.sol",
    tests: T("Channel.close.t.sol", "security/StaleState.t.sol", "security/Griefing.t.sol", "Channel.edges.t.sol"),
  },
  {
    file: "contracts/channel/DepositUnit.sol",
    tests: T("Channel.deposit.t.sol", "ChannelProxy.t.sol", "security/Capacity.t.sol", "security/Reentrancy.t.sol"),
  },
  {
    file: "contracts/channel/Adjudicator.sol",
    tests: T(
      "Adjudicator.dispute.t.sol",
      "Adjudicator.defund.t.sol",
      "Adjudicator.transfers.t.sol",
      "security/StaleState.t.sol",
      "security/Merkle.t.sol",
      "security/Reentrancy.t.sol",
    ),
  },
  {
    file: "contracts/ChannelFactory.sol",
    tests: T("ChannelFactory.t.sol", "security/Capacity.t.sol", "security/Reentrancy.t.sol", "Channel.edges.t.sol"),
  },
  {
    file: "contracts/config/DeploymentConfig.sol",
    tests: T("Channel.edges.t.sol", "ChannelFactory.t.sol", "security/Capacity.t.sol"),
  },
  {
    file: "contracts/libraries/AssetTransfer.sol",
    tests: T("Adjudicator.defund.t.sol", "security/Tokens.t.sol", "security/Griefing.t.sol"),
  },
  {
    file: "contracts/libraries/ChannelHashing.sol",
    hashing: true,
    parity: true,
    tests: T(
      "ChannelHashing.t.sol",
      "Adjudicator.dispute.t.sol",
      "Channel.close.t.sol",
      "Channel.withdraw.t.sol",
      "Adjudicator.transfers.t.sol",
      "security/Replay.t.sol",
    ),
  },
  {
    file: "contracts/libraries/TransferHashing.sol",
    hashing: true,
    parity: true,
    tests: T("Adjudicator.transfers.t.sol", "security/Merkle.t.sol"),
  },
  {
    file: "contracts/libraries/ChannelProxy.sol",
    tests: T("ChannelProxy.t.sol", "ChannelFactory.t.sol", "Channel.deposit.t.sol"),
  },
  {
    file: "contracts/libraries/ChannelStorage.sol",
    tests: T("Channel.edges.t.sol", "Channel.close.t.sol", "ChannelFactory.t.sol", "ChannelProxy.t.sol"),
  },
  { file: "contracts/resolvers/HashlockResolver.sol", tests: T("HashlockResolver.t.sol", "security/Resolvers.t.sol") },
  {
    file: "contracts/resolvers/SignedTransferResolver.sol",
    tests: T("SignedTransferResolver.t.sol", "security/Resolvers.t.sol"),
  },
];

/** The TypeScript test that pins the Solidity hashing to the SDK's EIP-712 encoding (run for `parity` files). */
export const PARITY_TEST = "test/ts/typedData.parity.test.ts";

/**
 * Equivalent mutants: a change no test can observe because the program means the same. Each is matched on file,
 * operator and the exact original and mutated line (trimmed), so that line numbers may move. Every entry gives
 * the reason; they count neither as killed nor as survived.
 */
export const EQUIVALENT = [
  {
    file: "contracts/channel/ChannelCore.sol",
    operator: "rel-boundary",
    original: "return held > outstanding ? held - outstanding : 0;",
    mutated: "return held >= outstanding ? held - outstanding : 0;",
    reason: "equivalent: at held == outstanding both branches give 0",
  },
  {
    file: "contracts/channel/ChannelCore.sol",
    operator: "rel-boundary",
    original: "uint256 amount = claim < held ? claim : held;",
    mutated: "uint256 amount = claim <= held ? claim : held;",
    reason: "equivalent: a minimum; at claim == held both branches give the same amount",
  },
  {
    file: "contracts/channel/ChannelCore.sol",
    operator: "rel-boundary",
    original: "return seen > aliceDeposits ? seen - aliceDeposits : 0;",
    mutated: "return seen >= aliceDeposits ? seen - aliceDeposits : 0;",
    reason: "equivalent: at seen == aliceDeposits the subtraction gives 0, the other branch's value",
  },
  {
    file: "contracts/channel/ChannelCore.sol",
    operator: "rel-boundary",
    original: "if (pushable > free) pushable = free;",
    mutated: "if (pushable >= free) pushable = free;",
    reason: "equivalent: a clamp; at pushable == free the assignment writes the value it already has",
  },
  {
    file: "contracts/channel/ChannelCore.sol",
    operator: "rel-boundary",
    original: "if (kept > free2) kept = free2;",
    mutated: "if (kept >= free2) kept = free2;",
    reason: "equivalent: a clamp; at kept == free2 the assignment writes the value it already has",
  },
  {
    file: "contracts/channel/Settlement.sol",
    operator: "rel-boundary",
    original: "uint256 toAlice = s.balanceAlice + (aliceTotal > s.processedAlice ? aliceTotal - s.processedAlice : 0);",
    mutated: "uint256 toAlice = s.balanceAlice + (aliceTotal >= s.processedAlice ? aliceTotal - s.processedAlice : 0);",
    reason: "equivalent: at aliceTotal == processedAlice the subtraction gives 0, the other branch's value",
  },
  {
    file: "contracts/channel/Settlement.sol",
    operator: "rel-boundary",
    original: "uint256 toBob = s.balanceBob + (bobTotal > s.processedBob ? bobTotal - s.processedBob : 0);",
    mutated: "uint256 toBob = s.balanceBob + (bobTotal >= s.processedBob ? bobTotal - s.processedBob : 0);",
    reason: "equivalent: at bobTotal == processedBob the subtraction gives 0, the other branch's value",
  },
  {
    file: "contracts/channel/Adjudicator.sol",
    operator: "rel-boundary",
    original: "uint256 window = transfer.timeout > _maxTimeout() ? _maxTimeout() : transfer.timeout;",
    mutated: "uint256 window = transfer.timeout >= _maxTimeout() ? _maxTimeout() : transfer.timeout;",
    reason:
      "equivalent: a minimum; at timeout == maxTimeout both branches give the same window (_maxTimeout is a pure read of an immutable)",
  },
  {
    file: "contracts/channel/Adjudicator.sol",
    operator: "rel-boundary",
    original: "if (toResponder > transfer.amount) toResponder = transfer.amount;",
    mutated: "if (toResponder >= transfer.amount) toResponder = transfer.amount;",
    reason: "equivalent: a clamp; at toResponder == amount the assignment writes the value it already has",
  },
  {
    file: "contracts/config/DeploymentConfig.sol",
    operator: "rel-boundary",
    original: "if (timeout < MIN_TIMEOUT) return MIN_TIMEOUT;",
    mutated: "if (timeout <= MIN_TIMEOUT) return MIN_TIMEOUT;",
    reason:
      "equivalent: at timeout == MIN_TIMEOUT it returns MIN_TIMEOUT, the timeout the fall-through returns (the constructor keeps MIN_TIMEOUT <= MAX_TIMEOUT)",
  },
  {
    file: "contracts/config/DeploymentConfig.sol",
    operator: "rel-boundary",
    original: "if (timeout > MAX_TIMEOUT) return MAX_TIMEOUT;",
    mutated: "if (timeout >= MAX_TIMEOUT) return MAX_TIMEOUT;",
    reason: "equivalent: at timeout == MAX_TIMEOUT it returns MAX_TIMEOUT, the timeout the fall-through returns",
  },
];
