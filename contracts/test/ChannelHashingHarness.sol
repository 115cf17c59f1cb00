// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ChannelHashing} from "../libraries/ChannelHashing.sol";
import {TransferHashing} from "../libraries/TransferHashing.sol";
import {ChannelState, FinalState, WithdrawCommitment} from "../types/ChannelTypes.sol";
import {Transfer} from "../types/TransferTypes.sol";

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

    /// @notice The digest a responder signs to let anyone settle a transfer with `resolverData`.
    function transferResolutionDigest(
        address channel,
        bytes32 id,
        bytes calldata resolverData
    ) external view returns (bytes32) {
        return ChannelHashing.digest(channel, ChannelHashing.hashTransferResolution(id, resolverData));
    }

    /// @notice The digest an exit owner signs to have its claim paid to `recipient`.
    function exitDigest(
        address channel,
        address asset,
        address recipient,
        uint256 nonce
    ) external view returns (bytes32) {
        return ChannelHashing.digest(channel, ChannelHashing.hashExitAuthorization(asset, recipient, nonce));
    }

    /// @notice The id of a transfer.
    function transferId(Transfer calldata transfer) external pure returns (bytes32) {
        return TransferHashing.transferId(transfer);
    }

    /// @notice The merkle leaf of a transfer id.
    function leaf(bytes32 id) external pure returns (bytes32) {
        return TransferHashing.leaf(id);
    }

    /// @notice The EIP-712 hash of an asset array (for the parity test of the assembly hashing).
    function hashAssets(ChannelState calldata state) external pure returns (bytes32) {
        return ChannelHashing.hashAssets(state.assets);
    }
}
