// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAdjudicator} from "../interfaces/IAdjudicator.sol";
import {IResolver} from "../interfaces/IResolver.sol";
import {ChannelHashing} from "../libraries/ChannelHashing.sol";
import {ChannelStorage} from "../libraries/ChannelStorage.sol";
import {TransferHashing} from "../libraries/TransferHashing.sol";
import {AssetState, ChannelState} from "../types/ChannelTypes.sol";
import {Transfer} from "../types/TransferTypes.sol";
import {Settlement} from "./Settlement.sol";

/// @title Adjudicator
/// @notice Disputes of channel states and of the conditional transfers they lock.
abstract contract Adjudicator is Settlement, IAdjudicator {
    /// @notice Gas a resolver gets for `resolve`.
    uint256 public constant RESOLVER_GAS = 150_000;

    /// @inheritdoc IAdjudicator
    function disputeRecord() external view returns (DisputeRecord memory) {
        _requireUnlocked();
        return ChannelStorage.layout().record;
    }

    /// @inheritdoc IAdjudicator
    function disputedStateHash() external view returns (bytes32) {
        _requireUnlocked();
        return ChannelStorage.layout().disputedStateHash;
    }

    /// @inheritdoc IAdjudicator
    function transferRecord(bytes32 transferId) external view returns (TransferRecord memory) {
        _requireUnlocked();
        return ChannelStorage.layout().transfers[transferId];
    }

    /// @inheritdoc IAdjudicator
    function disputeChannel(
        ChannelState calldata state,
        bytes calldata aliceSignature,
        bytes calldata bobSignature
    ) external nonReentrant {
        (address a, address b) = _parties();
        bytes32 structHash = ChannelHashing.hashChannelState(state);
        _verifyBoth(a, b, ChannelHashing.digest(address(this), structHash), aliceSignature, bobSignature);

        ChannelStorage.Layout storage $ = ChannelStorage.layout();
        DisputeRecord memory record = $.record;
        if (state.nonce > type(uint64).max) revert NonceTooLarge(state.nonce);
        uint256 consensusExpiry = record.consensusExpiry;
        uint256 defundExpiry = record.defundExpiry;
        // During the consensus phase a newer state replaces the disputed one without extending the phases
        // (a refute); in the defund phase no state is accepted; otherwise a new dispute opens both phases.
        // Once a dispute is wholly over, its own state may be disputed again (equal nonce) by alice or bob, so that
        // assets and transfers nobody settled in its defund phase are never locked: defund nonces and transfer
        // records still pay each of them at most once. A close's record (no phases) accepts only higher nonces.
        if (state.nonce < record.nonce) revert StaleNonce(state.nonce, record.nonce);
        if (block.timestamp < consensusExpiry) {
            if (state.nonce == record.nonce) revert StaleNonce(state.nonce, record.nonce);
        } else {
            if (block.timestamp < defundExpiry) revert ChannelInDefundPhase(defundExpiry);
            // Equal nonce: only the disputed state itself, to re-open a dispute that is wholly over (never after a
            // close, whose record has no phases), and only by a party: a state executed on chain is public, and a
            // stranger re-opening it would only force both parties to answer a new consensus phase.
            if (state.nonce == record.nonce) {
                if (consensusExpiry == 0) revert StaleNonce(state.nonce, record.nonce);
                if (msg.sender != a && msg.sender != b) revert NotAParty(msg.sender);
                if (structHash != $.disputedStateHash) revert StateMismatch(structHash, $.disputedStateHash);
            }
            uint256 timeout = _clampTimeout(state.timeout);
            consensusExpiry = block.timestamp + timeout;
            defundExpiry = consensusExpiry + timeout;
        }
        // Timestamps fit 40 bits until year 36812; the timeout is clamped below 2^32.
        $.record = DisputeRecord(uint64(state.nonce), uint40(consensusExpiry), uint40(defundExpiry));
        $.disputedStateHash = structHash;
        emit ChannelDisputed(state.nonce, structHash, consensusExpiry, defundExpiry);
    }

    /// @inheritdoc IAdjudicator
    function defundChannel(ChannelState calldata state, address[] calldata assets) external nonReentrant {
        (address a, address b) = _parties();
        DisputeRecord memory record = _requireDisputed(state);
        if (block.timestamp < record.consensusExpiry) revert ConsensusPhaseNotOver(record.consensusExpiry);
        // Only in the defund phase: once it is over the parties may have moved on with newer states, which the
        // disputed state must not undo. Whatever was not defunded in time is settled by disputing again.
        if (block.timestamp >= record.defundExpiry) {
            revert NotInDefundPhase(record.consensusExpiry, record.defundExpiry);
        }

        uint256 count = assets.length;
        for (uint256 i = 0; i < count; ++i) {
            _settleAsset(a, b, _assetStateOf(state, assets[i]));
        }
    }

    /// @inheritdoc IAdjudicator
    function disputeTransfer(
        ChannelState calldata state,
        Transfer calldata transfer,
        bytes32[] calldata proof
    ) external nonReentrant {
        (address a, address b) = _parties();
        DisputeRecord memory record = _requireDisputed(state);
        ChannelStorage.Layout storage $ = ChannelStorage.layout();
        if (block.timestamp < record.consensusExpiry || block.timestamp >= record.defundExpiry) {
            revert NotInDefundPhase(record.consensusExpiry, record.defundExpiry);
        }
        bytes32 id = TransferHashing.transferId(transfer);
        if (
            transfer.channel != address(this) ||
            !((transfer.initiator == a && transfer.responder == b) ||
                (transfer.initiator == b && transfer.responder == a))
        ) revert InvalidTransfer(id);
        if (!MerkleProof.verifyCalldata(proof, state.transfersRoot, TransferHashing.leaf(id))) {
            revert InvalidMerkleProof(id);
        }
        if ($.transfers[id].settleDeadline != 0) revert TransferAlreadyDisputed(id);
        uint256 window = transfer.timeout > _maxTimeout() ? _maxTimeout() : transfer.timeout;
        uint256 deadline = block.timestamp + window;
        $.transfers[id] = TransferRecord(uint40(deadline), false);
        emit TransferDisputed(id, deadline);
    }

    /// @inheritdoc IAdjudicator
    function defundTransfer(
        Transfer calldata transfer,
        bytes calldata resolverData,
        bytes calldata responderSignature
    ) external nonReentrant {
        _refuseMastercopy();
        ChannelStorage.Layout storage $ = ChannelStorage.layout();
        bytes32 id = TransferHashing.transferId(transfer);
        TransferRecord memory record = $.transfers[id];
        if (record.settleDeadline == 0) revert TransferNotDisputed(id);
        if (record.settled) revert TransferAlreadySettled(id);

        uint256 toResponder;
        if (block.timestamp < record.settleDeadline) {
            if (msg.sender != transfer.responder) {
                if (responderSignature.length == 0) revert NotResponder(msg.sender);
                bytes32 digest = ChannelHashing.digest(
                    address(this),
                    ChannelHashing.hashTransferResolution(id, resolverData)
                );
                _verifySignature(transfer.responder, digest, responderSignature);
            }
            toResponder = _resolve(transfer, id, resolverData);
        }
        // After the deadline the whole amount returns to the initiator; the resolver is not consulted, so a
        // reverting or gas-burning resolver cannot block the refund.
        uint256 toInitiator = transfer.amount - toResponder;

        $.transfers[id].settled = true;
        ChannelStorage.Ledger storage ledger = ChannelStorage.ledgerOf(transfer.asset);
        _addPaidOut(ledger, transfer.amount);
        emit TransferSettled(id, toResponder, toInitiator);

        bool hasExits = _pushCounted(ledger, transfer.asset, transfer.responder, toResponder, ledger.hasExits);
        _pushCounted(ledger, transfer.asset, transfer.initiator, toInitiator, hasExits);
    }

    /// @dev Reverts unless `state` is the disputed state (its struct hash is the recorded one).
    /// @return record The dispute record (read once for the caller).
    function _requireDisputed(ChannelState calldata state) private view returns (DisputeRecord memory record) {
        ChannelStorage.Layout storage $ = ChannelStorage.layout();
        record = $.record;
        if (record.consensusExpiry == 0) revert NoDispute();
        bytes32 structHash = ChannelHashing.hashChannelState(state);
        bytes32 recorded = $.disputedStateHash;
        if (structHash != recorded) revert StateMismatch(structHash, recorded);
    }

    /// @dev The state's figures for `asset`; an asset the state does not list refunds each side's own deposits
    ///      (zero balances, nothing processed) and can be paid out that way only before its first defund.
    function _assetStateOf(ChannelState calldata state, address asset) private pure returns (AssetState memory) {
        uint256 count = state.assets.length;
        for (uint256 i = 0; i < count; ++i) {
            if (state.assets[i].asset == asset) return state.assets[i];
        }
        return AssetState(asset, 0, 0, 0, 0, 1);
    }

    /// @dev Asks the transfer's resolver for the responder's share: STATICCALL (no state change, no re-entry),
    ///      a fixed gas allowance, one word of return data read; the share is capped at the locked amount.
    function _resolve(
        Transfer calldata transfer,
        bytes32 id,
        bytes calldata resolverData
    ) private view returns (uint256 toResponder) {
        // Reserve the resolver's whole allowance beyond the 63/64 rule and the call's own cost (cold account,
        // memory), so no gas limit a caller picks can make a good resolver fail.
        uint256 required = (RESOLVER_GAS * 64) / 63 + 10_000;
        if (gasleft() < required) revert InsufficientGas(gasleft(), required);
        bytes memory callData = abi.encodeCall(IResolver.resolve, (id, transfer.data, transfer.amount, resolverData));
        address resolver = transfer.resolver;
        bool ok;
        // Bounded staticcall that copies at most one word of return data (no return-bomb).
        assembly ("memory-safe") {
            ok := staticcall(RESOLVER_GAS, resolver, add(callData, 0x20), mload(callData), 0x00, 0x20)
            ok := and(ok, eq(returndatasize(), 0x20))
            toResponder := mload(0x00)
        }
        if (!ok) revert ResolverFailed(resolver);
        if (toResponder > transfer.amount) toResponder = transfer.amount;
    }
}
