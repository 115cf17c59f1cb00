// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ChannelHashing} from "../libraries/ChannelHashing.sol";
import {ChannelState, FinalState, WithdrawCommitment} from "../types/ChannelTypes.sol";

/// @title ChannelHashingHarness
/// @notice Test-only contract exposing ChannelHashing, so TypeScript tests can prove parity with `src/`.
contract ChannelHashingHarness {
    /// @notice The EIP-712 domain separator for `channel` on this chain.
    function domainSeparator(address channel) external view returns (bytes32) {
        return ChannelHashing.domainSeparator(channel);
    }

    /// @notice The struct hash of a channel state.
    function hashChannelState(ChannelState calldata state) external pure returns (bytes32) {
        return ChannelHashing.hashChannelState(state);
    }

    /// @notice The digest a party signs for `state` in `channel`.
    function channelStateDigest(address channel, ChannelState calldata state) external view returns (bytes32) {
        return ChannelHashing.digest(channel, ChannelHashing.hashChannelState(state));
    }

    /// @notice The digest a party signs for a final state in `channel`.
    function finalStateDigest(address channel, FinalState calldata state) external view returns (bytes32) {
        return ChannelHashing.digest(channel, ChannelHashing.hashFinalState(state));
    }

    /// @notice The digest a party signs for a withdraw commitment in `channel`.
    function withdrawDigest(address channel, WithdrawCommitment calldata w) external view returns (bytes32) {
        return ChannelHashing.digest(channel, ChannelHashing.hashWithdraw(w));
    }

    /// @notice Recovers the signer of `state` in `channel` (reverts on malformed or high-s signatures).
    function recoverChannelStateSigner(
        address channel,
        ChannelState calldata state,
        bytes calldata signature
    ) external view returns (address) {
        return ECDSA.recover(ChannelHashing.digest(channel, ChannelHashing.hashChannelState(state)), signature);
    }
}
