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
    tests: T("Channel.close.t.sol", "security/StaleState.t.sol", "security/Griefing.t.sol"),
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
    tests: T("ChannelFactory.t.sol", "security/Capacity.t.sol", "security/Reentrancy.t.sol"),
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
];
