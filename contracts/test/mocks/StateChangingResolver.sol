// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title StateChangingResolver
/// @notice Test-only: simulates a resolver that tries to write state while resolving (to keep a count, or to
///         re-enter). It has IResolver's ABI (same selectors) but its `resolve` is not `view`, which Solidity
///         cannot express as an IResolver implementation: its SSTORE succeeds on a plain CALL and must make a
///         STATICCALL (the way the channel calls a resolver) fail.
contract StateChangingResolver {
    /// @notice How many times `resolve` completed with a CALL (a STATICCALL can never increment it).
    uint256 public resolveCount;

    /// @notice Same shape as IResolver.validate; always passes.
    /// @param data Ignored.
    /// @param amount Ignored.
    function validate(bytes calldata data, uint256 amount) external pure {
        (data, amount);
    }

    /// @notice Same selector as IResolver.resolve; increments `resolveCount` (an SSTORE) and returns `amount`.
    /// @param amount The locked amount, returned as the payout.
    /// @return The locked amount.
    function resolve(bytes32, bytes calldata, uint256 amount, bytes calldata) external returns (uint256) {
        ++resolveCount;
        return amount;
    }
}
