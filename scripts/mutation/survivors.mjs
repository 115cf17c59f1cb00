// Survivors that are not equivalent but are explained (why no test kills them yet, or why none can), matched like
// EQUIVALENT in config.mjs. Shown beside each survivor in reports/mutation.md.
export const SURVIVOR_NOTES = [
  {
    file: "contracts/ChannelFactory.sol",
    original: "if (arrived <= balanceBefore + trackedMeanwhile) revert NothingReceived(asset);",
    mutated: "if (arrived <= balanceBefore - trackedMeanwhile) revert NothingReceived(asset);",
    reason:
      "differs only when a token hook made a tracked deposit during the factory's pull (trackedMeanwhile > 0) " +
      "and the pull itself delivered nothing: the original reverts NothingReceived, the mutant credits 0 and " +
      "emits AliceDepositedOnCreation(…, 0). No funds move either way (the nested deposit is credited once by " +
      "the channel in both); killing it needs a mock token that delivers nothing yet calls a hook, not written yet.",
  },
];
