// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IWithdrawHelper} from "../interfaces/IWithdrawHelper.sol";
import {IWithdrawUnit} from "../interfaces/IWithdrawUnit.sol";
import {AssetTransfer} from "../libraries/AssetTransfer.sol";
import {ChannelHashing} from "../libraries/ChannelHashing.sol";
import {ChannelStorage} from "../libraries/ChannelStorage.sol";
import {WithdrawCommitment} from "../types/ChannelTypes.sol";
import {ChannelCore} from "./ChannelCore.sol";

/// @title WithdrawUnit
/// @notice Cooperative withdrawals through co-signed, replay-protected withdraw commitments.
abstract contract WithdrawUnit is ChannelCore, IWithdrawUnit {
    /// @inheritdoc IWithdrawUnit
    function withdraw(
        WithdrawCommitment calldata commitment,
        bytes calldata aliceSignature,
        bytes calldata bobSignature
    ) external nonReentrant {
        (address a, address b) = _parties();
        if (commitment.amount == 0) revert ZeroWithdraw();
        bytes32 digest = ChannelHashing.digest(address(this), ChannelHashing.hashWithdraw(commitment));
        _verifyBoth(a, b, digest, aliceSignature, bobSignature);

        _spendWithdrawNonce(commitment.nonce);
        _payWithdrawal(commitment);
    }

    /// @dev Marks withdraw nonce `nonce` spent, reverting if it already was.
    function _spendWithdrawNonce(uint256 nonce) private {
        ChannelStorage.Layout storage $ = ChannelStorage.layout();
        uint256 word = nonce >> 8;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = $.withdrawBitmap[word];
        if (bits & bit != 0) revert WithdrawAlreadyExecuted(nonce);
        $.withdrawBitmap[word] = bits | bit;
    }

    /// @dev Counts and pays a withdrawal, then runs its helper if it names one.
    function _payWithdrawal(WithdrawCommitment calldata commitment) private {
        address asset = commitment.asset;
        address recipient = commitment.recipient;
        uint256 amount = commitment.amount;
        ChannelStorage.Ledger storage ledger = ChannelStorage.ledgerOf(asset);
        _addPaidOut(ledger, amount);
        emit Withdrawn(asset, recipient, amount, commitment.nonce);

        if (commitment.callTo == address(0)) {
            _pushCounted(ledger, asset, recipient, amount, ledger.hasExits);
            return;
        }
        // The helper expects the funds at the recipient, so this payment must succeed.
        AssetTransfer.strictSend(asset, recipient, amount);
        // The channel's transient lock is held: the helper cannot re-enter any fund-moving function. A helper
        // without code, or one that reverts, fails the whole withdrawal (the commitment stays unspent).
        address helper = commitment.callTo;
        if (helper.code.length == 0) revert WithdrawHelperFailed(helper);
        // Low-level call so that a reverting helper maps to WithdrawHelperFailed; its return data is ignored
        // (Solidity copies it, at the caller's expense, inside the remaining gas).
        (bool ok, ) = helper.call(
            abi.encodeCall(IWithdrawHelper.execute, (asset, recipient, amount, commitment.callData))
        );
        if (!ok) revert WithdrawHelperFailed(helper);
    }

    /// @inheritdoc IWithdrawUnit
    function isWithdrawExecuted(uint256 nonce) external view returns (bool) {
        _requireUnlocked();
        return ChannelStorage.layout().withdrawBitmap[nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }
}
