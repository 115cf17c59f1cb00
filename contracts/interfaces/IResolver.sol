// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title IResolver
/// @notice A conditional-transfer resolver: a stateless contract that decides how much of a locked transfer
///         goes to the responder. Resolvers are permissionless: anyone may deploy one and name it in a transfer;
///         the SDK keeps the list of resolvers it accepts.
/// @dev The channel calls `resolve` with STATICCALL and a gas cap, so a resolver can neither change state nor
///      re-enter, and the channel pays the responder at most the locked amount whatever the resolver returns.
interface IResolver {
    /// @notice Checks the terms of a transfer before anyone signs a state that creates it.
    /// @dev Called off-chain by the SDK (and by tests); reverts with the resolver's own error when invalid.
    /// @param data The resolver-specific terms carried in the transfer.
    /// @param amount The amount the transfer locks.
    function validate(bytes calldata data, uint256 amount) external view;

    /// @notice Decides the outcome of a transfer.
    /// @param transferId The transfer's id (keccak256 of its ABI encoding).
    /// @param data The resolver-specific terms carried in the transfer.
    /// @param amount The amount the transfer locked.
    /// @param resolverData The responder's evidence (for example a preimage or an attester's signature).
    /// @return toResponder How much of `amount` goes to the responder; the rest returns to the initiator.
    function resolve(
        bytes32 transferId,
        bytes calldata data,
        uint256 amount,
        bytes calldata resolverData
    ) external view returns (uint256 toResponder);
}
