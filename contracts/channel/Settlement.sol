// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../interfaces/IAdjudicator.sol";
import {ChannelStorage} from "../libraries/ChannelStorage.sol";
import {AssetState} from "../types/ChannelTypes.sol";
import {ChannelCore} from "./ChannelCore.sol";

/// @title Settlement
/// @notice The one rule that pays an asset out of a channel from a state, shared by the adjudicator (defund after
///         a dispute) and the cooperative close: each side gets its balance plus the deposits the state has not
///         processed, once per defund nonce.
abstract contract Settlement is ChannelCore {
    /// @dev Pays out one asset from a state's figures for it.
    function _settleAsset(address a, address b, AssetState memory s) internal {
        ChannelStorage.Ledger storage ledger = ChannelStorage.layout().ledgers[s.asset];
        ChannelStorage.Ledger memory current = ledger;
        if (s.defundNonce > type(uint32).max) revert IAdjudicator.DefundNonceTooLarge(s.defundNonce);
        if (current.defundNonce >= s.defundNonce) {
            revert IAdjudicator.DefundNonceNotFresh(s.asset, current.defundNonce, s.defundNonce);
        }
        uint256 aliceTotal = current.aliceDeposits;
        uint256 bobTotal = _bobDeposits(s.asset, current);
        uint256 toAlice = s.balanceAlice + (aliceTotal > s.processedAlice ? aliceTotal - s.processedAlice : 0);
        uint256 toBob = s.balanceBob + (bobTotal > s.processedBob ? bobTotal - s.processedBob : 0);

        // Effects first: record the defund nonce and count both payouts as paid; a push that fails is moved
        // from paid-out into its owner's exit by _pushCounted.
        uint256 paid = uint256(current.paidOut) + toAlice + toBob;
        if (paid > type(uint112).max) revert AmountOverflow(paid);
        ledger.paidOut = uint112(paid);
        ledger.defundNonce = uint32(s.defundNonce); // same slot as paidOut: one cold write, then a warm one
        emit IAdjudicator.AssetDefunded(s.asset, toAlice, toBob, s.defundNonce);

        _pushCounted(ledger, s.asset, a, toAlice);
        _pushCounted(ledger, s.asset, b, toBob);
    }
}
