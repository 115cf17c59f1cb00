// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {FinalState} from "../types/ChannelTypes.sol";

/// @title ICloseUnit
/// @notice Cooperative close: a co-signed final state pays every asset it lists to both sides at once.
interface ICloseUnit {
    /// @notice The channel was closed cooperatively with a final state.
    /// @param nonce The final state's nonce, now the channel's recorded nonce.
    event ChannelClosed(uint256 nonce);

    /// @notice Runs a co-signed final state. Anyone may submit it.
    /// @dev Needs a nonce above every nonce the channel recorded, and cannot run while a dispute is in its
    ///      defund phase. A close submitted during a dispute's consensus phase ends the dispute. Each listed asset
    ///      pays like a defund: its balance plus the deposits the state has not processed, once per defund nonce.
    /// @param state The final state both parties signed.
    /// @param aliceSignature Alice's EIP-712 signature of the final state.
    /// @param bobSignature Bob's EIP-712 signature of the final state.
    function closeChannel(
        FinalState calldata state,
        bytes calldata aliceSignature,
        bytes calldata bobSignature
    ) external;
}
