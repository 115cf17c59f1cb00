// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../interfaces/IAdjudicator.sol";
import {ICloseUnit} from "../interfaces/ICloseUnit.sol";
import {ChannelHashing} from "../libraries/ChannelHashing.sol";
import {ChannelStorage} from "../libraries/ChannelStorage.sol";
import {FinalState} from "../types/ChannelTypes.sol";
import {Settlement} from "./Settlement.sol";

/// @title CloseUnit
/// @notice Cooperative close: one co-signed final state pays both sides of every asset it lists.
abstract contract CloseUnit is Settlement, ICloseUnit {
    /// @inheritdoc ICloseUnit
    function closeChannel(
        FinalState calldata state,
        bytes calldata aliceSignature,
        bytes calldata bobSignature
    ) external nonReentrant {
        (address a, address b) = _parties();
        bytes32 digest = ChannelHashing.digest(address(this), ChannelHashing.hashFinalState(state));
        _verifyBoth(a, b, digest, aliceSignature, bobSignature);

        ChannelStorage.Layout storage $ = ChannelStorage.layout();
        IAdjudicator.DisputeRecord memory record = $.record;
        if (state.nonce <= record.nonce) revert IAdjudicator.StaleNonce(state.nonce, record.nonce);
        if (state.nonce > type(uint64).max) revert IAdjudicator.NonceTooLarge(state.nonce);
        if (block.timestamp >= record.consensusExpiry && block.timestamp < record.defundExpiry) {
            revert IAdjudicator.ChannelInDefundPhase(record.defundExpiry);
        }
        // Records the final nonce and ends any dispute in its consensus phase: no older state is accepted again.
        $.record = IAdjudicator.DisputeRecord(uint64(state.nonce), 0, 0);
        emit ChannelClosed(state.nonce);

        uint256 count = state.assets.length;
        for (uint256 i = 0; i < count; ++i) {
            _settleAsset(a, b, state.assets[i]);
        }
    }
}
