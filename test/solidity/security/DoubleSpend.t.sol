// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {IChannelCore} from "../../../contracts/interfaces/IChannelCore.sol";
import {IWithdrawUnit} from "../../../contracts/interfaces/IWithdrawUnit.sol";
import {BlacklistToken} from "../../../contracts/test/mocks/BlacklistToken.sol";
import {AssetState, ChannelState, FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title Double-spend attacks
/// @notice Every payout happens once: an asset per defund nonce (through defund or close), a transfer's dispute and
///         settlement, a withdraw nonce, an exit.
contract SecurityDoubleSpendTest is SecurityBase {
    uint256 internal constant DEP = 10 ether;
    uint256 internal constant AMOUNT = 3 ether;
    bytes32 internal constant PREIMAGE = keccak256("double preimage");

    function setUp() public override {
        super.setUp();
        _depositAliceEth(DEP);
        _depositBobEth(DEP);
        _depositAliceToken(100e18);
        _depositBobToken(50e18);
    }

    function _s(uint256 nonce, uint256 dn) internal pure returns (ChannelState memory) {
        return _ethState(nonce, 8 ether, 12 ether, DEP, DEP, dn);
    }

    function _expectNotFresh(address asset, uint256 recorded, uint256 given) internal {
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.DefundNonceNotFresh.selector, asset, recorded, given));
    }

    // ─── assets ──────────────────────────────────────────────────────────────────────────────────────────

    function test_double_defundSameAssetTwiceFails() public {
        ChannelState memory s = _s(5, 1);
        _disputeToDefund(s);
        _defund(s, ETH);
        _depositBobEth(1 ether); // new funds a second defund could pay
        Snap memory snap = _snap();
        _expectNotFresh(ETH, 1, 1);
        channel.defundChannel(s, _only(ETH));
        _assertUnchanged(snap);
    }

    function test_double_defundAssetListedTwiceInOneCallFails() public {
        ChannelState memory s = _s(5, 1);
        _disputeToDefund(s);
        Snap memory snap = _snap();
        _expectNotFresh(ETH, 1, 1);
        channel.defundChannel(s, _pair(ETH, ETH));
        _assertUnchanged(snap);
    }

    function test_double_defundUnlistedAssetTwiceFails() public {
        // The state lists ETH only: the token refunds each side's own deposits, once.
        ChannelState memory s = _s(5, 1);
        _disputeToDefund(s);
        _defund(s, address(token));
        assertEq(channel.totalPaidOut(address(token)), 150e18, "own deposits refunded");
        _depositBobToken(10e18);
        Snap memory snap = _snap();
        _expectNotFresh(address(token), 1, 1);
        channel.defundChannel(s, _only(address(token)));
        _assertUnchanged(snap);
    }

    function test_double_defundWithLowerDefundNonceFails() public {
        // A close consumed defund nonce 2; an older dispute state still carrying nonce 1 cannot pay again.
        _close(_final(5, _asset(ETH, 8 ether, 12 ether, DEP, DEP, 2)));
        _depositBobEth(1 ether);
        ChannelState memory s = _s(6, 1);
        _disputeToDefund(s);
        Snap memory snap = _snap();
        _expectNotFresh(ETH, 2, 1);
        channel.defundChannel(s, _only(ETH));
        _assertUnchanged(snap);
    }

    function test_double_redisputeOfSettledStateCannotPayAgain() public {
        ChannelState memory s = _s(5, 1);
        _disputeToDefund(s);
        _defund(s, ETH);
        _warpPastDefundPhase();
        _depositBobEth(1 ether);
        // Disputing the same state again (a party may, once its dispute is over) cannot defund ETH a second time.
        _reopenToDefund(s);
        Snap memory snap = _snap();
        _expectNotFresh(ETH, 1, 1);
        channel.defundChannel(s, _only(ETH));
        _assertUnchanged(snap);
    }

    function test_double_closeAfterDefundSameDefundNonceFails() public {
        ChannelState memory s = _s(5, 1);
        _disputeToDefund(s);
        _defund(s, ETH);
        _warpPastDefundPhase();
        _depositBobEth(1 ether);
        FinalState memory f = _final(6, _asset(ETH, 8 ether, 12 ether, DEP, DEP, 1));
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        Snap memory snap = _snap();
        _expectNotFresh(ETH, 1, 1);
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_double_defundAfterCloseSameDefundNonceFails() public {
        _close(_final(5, _asset(ETH, 8 ether, 12 ether, DEP, DEP, 1)));
        _depositBobEth(1 ether);
        ChannelState memory s = _s(6, 1);
        _disputeToDefund(s);
        Snap memory snap = _snap();
        _expectNotFresh(ETH, 1, 1);
        channel.defundChannel(s, _only(ETH));
        _assertUnchanged(snap);
    }

    function test_double_closeListingAssetTwiceFails() public {
        // Both parties signed a final state listing ETH twice: the second entry cannot pay it again.
        FinalState memory f;
        f.nonce = 5;
        f.assets = new AssetState[](2);
        f.assets[0] = AssetState(ETH, 8 ether, 12 ether, DEP, DEP, 1);
        f.assets[1] = AssetState(ETH, 8 ether, 12 ether, DEP, DEP, 1);
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        Snap memory snap = _snap();
        _expectNotFresh(ETH, 1, 1);
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    // ─── transfers ───────────────────────────────────────────────────────────────────────────────────────

    function _t() internal view returns (Transfer memory) {
        return _hashlockTransfer(AMOUNT, alice, bob, PREIMAGE, START + 30 days, 2 days, bytes32(0));
    }

    function _ts(uint256 nonce) internal view returns (ChannelState memory) {
        return _stateWithRoot(nonce, _leaf(_t()), _asset(ETH, DEP - AMOUNT, DEP, DEP, DEP, 1));
    }

    function test_double_transferDisputeFails() public {
        ChannelState memory s = _ts(5);
        Transfer memory t = _t();
        _disputeToDefund(s);
        channel.disputeTransfer(s, t, _noProof());
        vm.warp(block.timestamp + 1 hours);
        Snap memory snap = _snap();
        uint256 deadline = channel.transferRecord(_id(t)).settleDeadline;
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadyDisputed.selector, _id(t)));
        channel.disputeTransfer(s, t, _noProof());
        _assertUnchanged(snap);
        assertEq(uint256(channel.transferRecord(_id(t)).settleDeadline), deadline, "window moved");
    }

    function test_double_transferSettlementFails() public {
        ChannelState memory s = _ts(5);
        Transfer memory t = _t();
        _disputeToDefund(s);
        _defund(s, ETH);
        channel.disputeTransfer(s, t, _noProof());
        vm.prank(bob);
        channel.defundTransfer(t, abi.encode(PREIMAGE), "");
        _depositBobEth(AMOUNT); // funds a second settlement could take
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadySettled.selector, _id(t)));
        vm.prank(bob);
        channel.defundTransfer(t, abi.encode(PREIMAGE), "");
        _assertUnchanged(snap);
    }

    function test_double_transferRefundAfterSettlementFails() public {
        ChannelState memory s = _ts(5);
        Transfer memory t = _t();
        _disputeToDefund(s);
        channel.disputeTransfer(s, t, _noProof());
        vm.prank(bob);
        channel.defundTransfer(t, abi.encode(PREIMAGE), "");
        vm.warp(channel.transferRecord(_id(t)).settleDeadline);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadySettled.selector, _id(t)));
        vm.prank(alice);
        channel.defundTransfer(t, "", "");
        _assertUnchanged(snap);
    }

    function test_double_transferDisputedAgainInNewerDisputeFails() public {
        ChannelState memory s = _ts(5);
        Transfer memory t = _t();
        _disputeToDefund(s);
        channel.disputeTransfer(s, t, _noProof());
        vm.prank(bob);
        channel.defundTransfer(t, abi.encode(PREIMAGE), "");
        _warpPastDefundPhase();
        // A newer state whose root still holds the settled transfer: it cannot be disputed (and paid) again.
        ChannelState memory newer = _stateWithRoot(6, _leaf(t), _asset(ETH, DEP - AMOUNT, DEP, DEP, DEP, 2));
        _disputeToDefund(newer);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadyDisputed.selector, _id(t)));
        channel.disputeTransfer(newer, t, _noProof());
        _assertUnchanged(snap);
    }

    function test_double_transferAfterRedisputeOfSameStateFails() public {
        ChannelState memory s = _ts(5);
        Transfer memory t = _t();
        _disputeToDefund(s);
        channel.disputeTransfer(s, t, _noProof());
        _warpPastDefundPhase();
        _reopenToDefund(s);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadyDisputed.selector, _id(t)));
        channel.disputeTransfer(s, t, _noProof());
        _assertUnchanged(snap);
    }

    function test_double_transferSettledWithoutDisputeFails() public {
        Transfer memory t = _t();
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferNotDisputed.selector, _id(t)));
        vm.prank(bob);
        channel.defundTransfer(t, abi.encode(PREIMAGE), "");
        _assertUnchanged(snap);
    }

    // ─── withdrawals and exits ───────────────────────────────────────────────────────────────────────────

    function test_double_withdrawNonceReuseFails() public {
        _withdraw(_withdrawCommitment(ETH, bob, 1 ether, 3));
        // A different co-signed commitment reusing nonce 3.
        WithdrawCommitment memory again = _withdrawCommitment(ETH, alice, 2 ether, 3);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(again);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawAlreadyExecuted.selector, 3));
        channel.withdraw(again, sa, sb);
        _assertUnchanged(snap);
    }

    function test_double_withdrawMaxNonceReuseFails() public {
        uint256 n = type(uint256).max;
        _withdraw(_withdrawCommitment(ETH, bob, 1 ether, n));
        WithdrawCommitment memory again = _withdrawCommitment(address(token), bob, 1e18, n);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(again);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawAlreadyExecuted.selector, n));
        channel.withdraw(again, sa, sb);
        _assertUnchanged(snap);
        assertTrue(!channel.isWithdrawExecuted(n - 1), "neighbour spent");
    }

    function test_double_exitWithdrawnTwiceFails() public {
        BlacklistToken t = new BlacklistToken();
        t.mint(bob, 10e18);
        vm.prank(bob);
        assertTrue(t.transfer(address(channel), 10e18), "bob's deposit");
        t.setBlacklisted(bob, true);
        _close(_final(1, _asset(address(t), 0, 10e18, 0, 10e18, 1)));
        t.setBlacklisted(bob, false);
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        assertEq(t.balanceOf(bob), 10e18, "paid");
        Snap memory snap = _snapWith(address(t));
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.NoExit.selector, address(t), bob));
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        _assertUnchanged(snap);
    }
}
