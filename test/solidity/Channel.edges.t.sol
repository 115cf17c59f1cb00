// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ChannelFactory} from "../../contracts/ChannelFactory.sol";
import {IAdjudicator} from "../../contracts/interfaces/IAdjudicator.sol";
import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {IChannelFactory} from "../../contracts/interfaces/IChannelFactory.sol";
import {IDepositUnit} from "../../contracts/interfaces/IDepositUnit.sol";
import {IDeploymentConfig} from "../../contracts/interfaces/IDeploymentConfig.sol";
import {IWithdrawUnit} from "../../contracts/interfaces/IWithdrawUnit.sol";
import {FeeOnTransferToken} from "../../contracts/test/mocks/FeeOnTransferToken.sol";
import {RebasingToken} from "../../contracts/test/mocks/RebasingToken.sol";
import {ChannelState, FinalState, WithdrawCommitment} from "../../contracts/types/ChannelTypes.sol";
import {ChannelFixture} from "./utils/ChannelFixture.sol";

/// @title Edge cases of the ledger, the limits and the claims
/// @notice Boundaries no ordinary flow reaches: four capped assets, counters at their bit widths, tokens that
///         deliver nothing, helpers without code, claims that shrink, payouts limited by kept claims.
contract ChannelEdgesTest is ChannelFixture {
    // ─── four capped assets ──────────────────────────────────────────────────────────────────────────────

    function test_config_holdsFourCappedAssets() public {
        IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](4);
        for (uint256 i = 0; i < 4; ++i) {
            limits[i] = IDeploymentConfig.AssetLimit(address(uint160(0x1000 + i)), 100 * (i + 1), 10 * (i + 1));
        }
        ChannelFactory f = new ChannelFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
        for (uint256 i = 0; i < 4; ++i) {
            (uint256 capacity, uint256 cap) = f.limitsOf(address(uint160(0x1000 + i)));
            assertEq(capacity, 100 * (i + 1), "capacity of each slot");
            assertEq(cap, 10 * (i + 1), "transfer cap of each slot");
        }
        IDeploymentConfig.AssetLimit[] memory read = f.cappedAssets();
        assertEq(read.length, 4, "all four listed");
        assertEq(read[3].asset, address(0x1003), "fourth asset");
        assertEq(read[3].channelCapacity, 400, "fourth capacity");
    }

    function test_config_unusedSlotsNeverMatchAnAsset() public {
        // With 0 to 3 capped tokens, the unused slots hold address(0): ETH (and any other unlisted asset) must
        // stay uncapped rather than match an empty slot and get its zero limits.
        for (uint256 n = 0; n < 4; ++n) {
            IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](n);
            for (uint256 i = 0; i < n; ++i) {
                limits[i] = IDeploymentConfig.AssetLimit(address(uint160(0x1000 + i)), 100 * (i + 1), 10 * (i + 1));
            }
            ChannelFactory f = new ChannelFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
            (uint256 capacity, uint256 cap) = f.limitsOf(ETH);
            assertEq(capacity, type(uint256).max, "ETH capped by an unused slot");
            assertEq(cap, type(uint256).max, "ETH transfer-capped by an unused slot");
            (capacity, cap) = f.limitsOf(address(uint160(0x1000 + n)));
            assertEq(capacity, type(uint256).max, "the next, unlisted token is capped");
            for (uint256 i = 0; i < n; ++i) {
                (capacity, cap) = f.limitsOf(address(uint160(0x1000 + i)));
                assertEq(capacity, 100 * (i + 1), "listed capacity");
                assertEq(cap, 10 * (i + 1), "listed transfer cap");
            }
        }
    }

    function test_cappedAssets_listsExactlyTheDeploymentsAssetsInOrder() public {
        // Every count from none to four: one entry per capped asset, each in its slot, and none past the count (an
        // entry written past it would overrun the returned array).
        for (uint256 n = 0; n <= 4; ++n) {
            IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](n);
            for (uint256 i = 0; i < n; ++i) {
                limits[i] = IDeploymentConfig.AssetLimit(address(uint160(0x1000 + i)), 100 * (i + 1), 10 * (i + 1));
            }
            ChannelFactory f = new ChannelFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
            IDeploymentConfig.AssetLimit[] memory read = f.cappedAssets();
            assertEq(read.length, n, "one entry per capped asset");
            for (uint256 i = 0; i < n; ++i) {
                assertEq(read[i].asset, limits[i].asset, "asset in its slot");
                assertEq(read[i].channelCapacity, limits[i].channelCapacity, "capacity in its slot");
                assertEq(read[i].transferCap, limits[i].transferCap, "transfer cap in its slot");
            }
        }
    }

    // ─── counters at their widths ────────────────────────────────────────────────────────────────────────

    function test_withdraw_revertsWhenPaidOutWouldOverflow() public {
        _depositAliceEth(1 ether);
        uint256 huge = uint256(type(uint112).max) + 1;
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, huge, 0);
        bytes memory sa = _signWithdraw(ALICE_KEY, w);
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.AmountOverflow.selector, huge));
        channel.withdraw(w, sa, sb);
        assertTrue(!channel.isWithdrawExecuted(0), "nothing spent");
    }

    function test_closeChannel_revertsWhenPayoutsWouldOverflowTheLedger() public {
        _depositAliceEth(1 ether);
        uint256 huge = uint256(type(uint112).max);
        FinalState memory f = _final(1, _asset(ETH, huge, 1, 1 ether, 0, 1));
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.AmountOverflow.selector, huge + 1));
        channel.closeChannel(f, sa, sb);
        assertEq(address(channel).balance, 1 ether, "nothing paid");
    }

    function test_closeChannel_acceptsTheLargestNonce() public {
        _depositAliceEth(1 ether);
        uint256 maxNonce = type(uint64).max;
        FinalState memory f = _final(maxNonce, _asset(ETH, 1 ether, 0, 1 ether, 0, 1));
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        uint256 a0 = alice.balance;
        channel.closeChannel(f, sa, sb);
        assertEq(alice.balance, a0 + 1 ether, "alice paid at nonce 2^64 - 1");
        assertEq(channel.disputeRecord().nonce, maxNonce, "the largest nonce recorded");
    }

    function test_closeChannel_revertsOnANonceAboveSixtyFourBits() public {
        uint256 big = uint256(type(uint64).max) + 1;
        FinalState memory f = _final(big, _asset(ETH, 0, 0, 0, 0, 1));
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NonceTooLarge.selector, big));
        channel.closeChannel(f, sa, sb);
    }

    // ─── tokens that deliver nothing ─────────────────────────────────────────────────────────────────────

    function _wholeFeeToken() internal returns (FeeOnTransferToken fee) {
        fee = new FeeOnTransferToken();
        fee.setFeeBps(10_000); // every transfer is burned whole
        fee.mint(alice, 100e18);
        vm.startPrank(alice);
        fee.approve(address(channel), type(uint256).max);
        fee.approve(address(factory), type(uint256).max);
        vm.stopPrank();
    }

    function test_depositAlice_revertsWhenNothingArrives() public {
        FeeOnTransferToken fee = _wholeFeeToken();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDepositUnit.ZeroDeposit.selector, address(fee)));
        channel.depositAlice(address(fee), 10e18);
        assertEq(channel.totalDepositsAlice(address(fee)), 0, "nothing credited");
    }

    function test_createChannelAndDeposit_revertsWhenNothingArrives() public {
        FeeOnTransferToken fee = _wholeFeeToken();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.NothingReceived.selector, address(fee)));
        factory.createChannelAndDeposit(alice, bob, keccak256("nothing"), address(fee), 10e18);
    }

    function test_createChannelAndDeposit_revertsOnAnAssetWithoutBalanceOf() public {
        address notAToken = address(0xBADBAD); // no code: balanceOf answers nothing
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.NothingReceived.selector, notAToken));
        factory.createChannelAndDeposit(alice, bob, keccak256("eoa asset"), notAToken, 1);
    }

    // ─── helpers without code ────────────────────────────────────────────────────────────────────────────

    function test_withdraw_helperWithoutCode_failsTheWholeWithdrawal() public {
        _depositAliceEth(2 ether);
        WithdrawCommitment memory w = WithdrawCommitment(ETH, bob, 1 ether, 0, eve, "");
        bytes memory sa = _signWithdraw(ALICE_KEY, w);
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawHelperFailed.selector, eve));
        channel.withdraw(w, sa, sb);
        assertTrue(!channel.isWithdrawExecuted(0), "commitment unspent");
        assertEq(address(channel).balance, 2 ether, "nothing moved");
    }

    // ─── claims: kept only up to what is held, and guarded from later payouts ────────────────────────────

    /// @dev A channel holding 100 of a rebasing token whose co-signed final state owes bob 150 (balances the SDK
    ///      would never sign): bob's push fails, 100 is kept for him and 50 is a shortfall.
    function _overOwed() internal returns (RebasingToken rbt) {
        rbt = new RebasingToken();
        rbt.mint(alice, 1_000e18);
        vm.prank(alice);
        rbt.approve(address(channel), type(uint256).max);
        vm.prank(alice);
        channel.depositAlice(address(rbt), 100e18);
        FinalState memory f = _final(1, _asset(address(rbt), 0, 150e18, 100e18, 0, 1));
        vm.expectEmit(address(channel));
        emit IChannelCore.ExitRecorded(address(rbt), bob, 100e18);
        vm.expectEmit(address(channel));
        emit IChannelCore.PayoutShortfall(address(rbt), bob, 50e18);
        _close(f);
        assertEq(channel.exitOf(address(rbt), bob), 100e18, "kept what is held");
        assertEq(channel.exitsOutstanding(address(rbt)), 100e18, "outstanding");
        assertEq(channel.totalPaidOut(address(rbt)), 0, "nothing left the channel");
    }

    function test_payout_whileAClaimIsKept_isLimitedToWhatIsFree() public {
        RebasingToken rbt = _overOwed();
        vm.prank(alice);
        channel.depositAlice(address(rbt), 30e18); // 30 free beside bob's kept 100
        WithdrawCommitment memory w = _withdrawCommitment(address(rbt), eve, 50e18, 0);
        vm.expectEmit(address(channel));
        emit IChannelCore.PayoutShortfall(address(rbt), eve, 20e18);
        _withdraw(w);
        assertEq(rbt.balanceOf(eve), 30e18, "paid only what was free");
        assertEq(rbt.balanceOf(address(channel)), 100e18, "bob's claim still backed");
        assertEq(channel.totalPaidOut(address(rbt)), 30e18, "counted what left");
        vm.prank(bob);
        channel.withdrawExit(address(rbt), bob, bob, "");
        assertEq(rbt.balanceOf(bob), 100e18, "bob's claim paid in full");
        assertEq(channel.exitsOutstanding(address(rbt)), 0, "no claims left");
    }

    function test_withdrawExit_afterTheTokenShrank_paysWhatIsHeldAndReportsTheRest() public {
        RebasingToken rbt = _overOwed();
        rbt.rebase(1, 2); // the channel now holds 50 for a claim of 100
        uint256 held = rbt.balanceOf(address(channel));
        vm.expectEmit(address(channel));
        emit IChannelCore.PayoutShortfall(address(rbt), bob, 100e18 - held);
        vm.prank(bob);
        channel.withdrawExit(address(rbt), bob, bob, "");
        assertEq(rbt.balanceOf(address(channel)), 0, "everything held was paid: no claim is locked");
        assertEq(channel.exitOf(address(rbt), bob), 0, "claim cleared");
        assertEq(channel.exitsOutstanding(address(rbt)), 0, "no claims left");
    }

    function test_disputeChannel_afterAClose_isNeverAReopen() public {
        ChannelState memory s = _state(1, _asset(ETH, 0, 0, 0, 0, 1));
        _close(_final(1, _asset(ETH, 0, 0, 0, 0, 1)));
        bytes memory sa = _signState(ALICE_KEY, s);
        bytes memory sb = _signState(BOB_KEY, s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, 1, 1));
        channel.disputeChannel(s, sa, sb);
        assertEq(channel.disputeRecord().nonce, 1, "the close's record stands");
        assertEq(channel.disputeRecord().consensusExpiry, 0, "no dispute opened");
    }
}
