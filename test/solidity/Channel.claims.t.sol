// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {ChannelStorage} from "../../contracts/libraries/ChannelStorage.sol";
import {RevertingReceiver} from "../../contracts/test/mocks/RevertingReceiver.sol";
import {ChannelState} from "../../contracts/types/ChannelTypes.sol";
import {DisputeFixture} from "./utils/DisputeFixture.sol";

/// @title Kept claims and the ledger's claims flag
/// @notice While a claim is kept on an asset, its ledger's `hasExits` flag is set and every payout leaves the
///         claims' backing alone; settlements keep the flag, and paying the last claim clears it.
contract ChannelClaimsTest is DisputeFixture {
    address internal payee = address(0xFEE);

    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
    }

    /// @dev The `hasExits` bit (bit 248) of `asset`'s packed ledger slot, read from storage (ETH's ledger is slot 0).
    function _flag(address asset) internal view returns (bool) {
        bytes32 slot = asset == ETH
            ? ChannelStorage.ETH_LEDGER_SLOT
            : keccak256(abi.encode(asset, ChannelStorage.LAYOUT_SLOT));
        return (uint256(vm.load(address(channel), slot)) >> 248) & 1 == 1;
    }

    /// @dev A close at nonce 1 while bob refuses ETH: alice is paid 6, bob's 9 is kept as his claim.
    function _keepBobsClaim() internal {
        vm.etch(bob, address(new RevertingReceiver()).code);
        _close(_final(1, _asset(ETH, 6 ether, 9 ether, 10 ether, 5 ether, 1)));
        assertEq(channel.exitOf(ETH, bob), 9 ether, "bob's claim");
        assertTrue(_flag(ETH), "flag set with the claim");
    }

    /// @dev After a settlement that kept bob's 9 and paid alice her 4 new ones: a withdrawal of 5 to alice finds
    ///      nothing beyond the claim and must not take the claim's backing.
    function _assertLaterPayoutLeavesTheClaimAlone() internal {
        assertEq(address(channel).balance, 9 ether, "only the claim's backing is held");
        uint256 a0 = alice.balance;
        vm.expectEmit(address(channel));
        emit IChannelCore.PayoutShortfall(ETH, alice, 5 ether);
        _withdraw(_withdrawCommitment(ETH, alice, 5 ether, 1));
        assertEq(alice.balance, a0, "paid out of bob's claim");
        assertEq(address(channel).balance, 9 ether, "the claim's backing moved");
        assertLe(channel.exitsOutstanding(ETH), address(channel).balance, "claims unbacked");
        vm.etch(bob, "");
        vm.prank(bob);
        channel.withdrawExit(ETH, bob, bob, "");
        assertEq(channel.exitOf(ETH, bob), 0, "bob's claim paid");
        assertEq(address(channel).balance, 0, "channel empty");
    }

    function test_closeChannel_keepsTheClaimsFlagWhileClaimsAreKept() public {
        _keepBobsClaim();
        _depositAliceEth(4 ether);
        _close(_final(2, _asset(ETH, 0, 0, 10 ether, 5 ether, 2))); // alice's 4 unprocessed come back to her
        assertTrue(_flag(ETH), "a close cleared the claims flag");
        assertEq(channel.exitOf(ETH, bob), 9 ether, "bob's claim intact");
        _assertLaterPayoutLeavesTheClaimAlone();
    }

    function test_defundChannel_keepsTheClaimsFlagWhileClaimsAreKept() public {
        _keepBobsClaim();
        _depositAliceEth(4 ether);
        ChannelState memory s = _ethState(2, 0, 0, 10 ether, 5 ether, 2);
        _disputeToDefund(s);
        _defund(s, ETH);
        assertTrue(_flag(ETH), "a defund cleared the claims flag");
        assertEq(channel.exitOf(ETH, bob), 9 ether, "bob's claim intact");
        _assertLaterPayoutLeavesTheClaimAlone();
    }

    function test_withdrawExit_clearsTheFlagOnlyWithTheLastClaim() public {
        // Both sides' payouts kept: alice's 6 and bob's 9.
        vm.etch(bob, address(new RevertingReceiver()).code);
        vm.etch(alice, address(new RevertingReceiver()).code);
        _close(_final(1, _asset(ETH, 6 ether, 9 ether, 10 ether, 5 ether, 1)));
        assertEq(channel.exitsOutstanding(ETH), 15 ether, "both kept");
        vm.prank(alice);
        channel.withdrawExit(ETH, alice, payee, "");
        assertTrue(_flag(ETH), "flag cleared while bob's claim is kept");
        assertEq(channel.exitsOutstanding(ETH), 9 ether, "bob's claim outstanding");
        vm.prank(bob);
        channel.withdrawExit(ETH, bob, payee, "");
        assertTrue(!_flag(ETH), "flag kept after the last claim");
        assertEq(channel.exitsOutstanding(ETH), 0, "nothing outstanding");
        assertEq(payee.balance, 15 ether, "both claims paid");
    }

    function test_withdrawExit_lastClaimPaidThenAPayoutAboveTheHoldingsIsKeptAsAClaim() public {
        _keepBobsClaim();
        vm.etch(bob, "");
        vm.prank(bob);
        channel.withdrawExit(ETH, bob, bob, "");
        assertTrue(!_flag(ETH), "flag kept after the last claim");
        // 2 ether arrive; a co-signed withdrawal of 3 (more than is held) to alice: with no claim kept the push is
        // tried in full, fails, and what is held (2) is kept as alice's claim; the missing 1 is a shortfall.
        _depositBobEth(2 ether);
        uint256 a0 = alice.balance;
        vm.expectEmit(address(channel));
        emit IChannelCore.ExitRecorded(ETH, alice, 2 ether);
        vm.expectEmit(address(channel));
        emit IChannelCore.PayoutShortfall(ETH, alice, 1 ether);
        _withdraw(_withdrawCommitment(ETH, alice, 3 ether, 1));
        assertEq(alice.balance, a0, "a partial push was made");
        assertEq(channel.exitOf(ETH, alice), 2 ether, "alice's claim");
        assertTrue(_flag(ETH), "flag set with the new claim");
        assertEq(address(channel).balance, 2 ether, "held");
    }
}
