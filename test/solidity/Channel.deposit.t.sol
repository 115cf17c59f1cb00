// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IChannel} from "../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {IDepositUnit} from "../../contracts/interfaces/IDepositUnit.sol";
import {BlacklistToken} from "../../contracts/test/mocks/BlacklistToken.sol";
import {FalseReturnToken} from "../../contracts/test/mocks/FalseReturnToken.sol";
import {FeeOnTransferToken} from "../../contracts/test/mocks/FeeOnTransferToken.sol";
import {HookToken} from "../../contracts/test/mocks/HookToken.sol";
import {IHookReceiver} from "../../contracts/test/mocks/IHookReceiver.sol";
import {NoReturnToken} from "../../contracts/test/mocks/NoReturnToken.sol";
import {RebasingToken} from "../../contracts/test/mocks/RebasingToken.sol";
import {ReentrantReceiver} from "../../contracts/test/mocks/ReentrantReceiver.sol";
import {ChannelFixture} from "./utils/ChannelFixture.sol";

/// @dev A token that cannot answer balanceOf (frozen for reads) but would accept a pull.
contract UnreadableToken {
    /// @dev balanceOf refuses while the token is frozen.
    error Frozen();

    /// @dev Always refuses.
    function balanceOf(address) external pure returns (uint256) {
        revert Frozen();
    }

    /// @dev Accepts any pull (never reached: the deposit asks the balance first).
    function transferFrom(address, address, uint256) external pure returns (bool) {
        return true;
    }
}

contract ChannelDepositTest is ChannelFixture {
    // ─── ETH ─────────────────────────────────────────────────────────────────────────────────────────────

    function test_depositAlice_eth_creditsAliceAndEmits() public {
        vm.expectEmit(address(channel));
        emit IDepositUnit.AliceDeposited(ETH, 2 ether, 2 ether);
        _depositAliceEth(2 ether);
        vm.expectEmit(address(channel));
        emit IDepositUnit.AliceDeposited(ETH, 1 ether, 3 ether);
        _depositAliceEth(1 ether);
        assertEq(channel.totalDepositsAlice(ETH), 3 ether, "alice total");
        assertEq(channel.totalDepositsBob(ETH), 0, "bob total");
        assertEq(address(channel).balance, 3 ether, "held");
        _assertLedger(ETH);
    }

    function test_depositAlice_anyoneMayDepositForAlice() public {
        vm.prank(eve);
        channel.depositAlice{value: 1 ether}(ETH, 1 ether);
        assertEq(channel.totalDepositsAlice(ETH), 1 ether, "credited to alice");
    }

    function test_depositBob_plainEthTransfer_isBobsDeposit() public {
        _depositAliceEth(2 ether);
        _depositBobEth(5 ether);
        assertEq(channel.totalDepositsAlice(ETH), 2 ether, "alice");
        assertEq(channel.totalDepositsBob(ETH), 5 ether, "bob");
        _assertLedger(ETH);
    }

    function test_depositBob_beforeTheChannelExists_isCountedOnceDeployed() public {
        address predicted = factory.channelAddress(alice, bob, keccak256("later"));
        vm.prank(bob);
        (bool ok, ) = predicted.call{value: 4 ether}("");
        assertTrue(ok, "counterfactual transfer");
        vm.prank(bob);
        assertTrue(token.transfer(predicted, 7e18), "counterfactual token transfer");
        IChannel later = IChannel(factory.createChannel(alice, bob, keccak256("later")));
        assertEq(later.totalDepositsBob(ETH), 4 ether, "bob's ETH");
        assertEq(later.totalDepositsBob(address(token)), 7e18, "bob's tokens");
    }

    function test_depositAlice_revertsOnZero() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDepositUnit.ZeroDeposit.selector, ETH));
        channel.depositAlice(ETH, 0);
    }

    function test_depositAlice_eth_revertsOnValueMismatch() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDepositUnit.DepositValueMismatch.selector, 2 ether, 1 ether));
        channel.depositAlice{value: 1 ether}(ETH, 2 ether);
    }

    function test_depositAlice_token_revertsWhenEthIsSent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDepositUnit.DepositValueMismatch.selector, 0, 1 ether));
        channel.depositAlice{value: 1 ether}(address(token), 1e18);
    }

    function test_depositAlice_eth_revertsOverCapacity() public {
        _depositAliceEth(ETH_CAPACITY);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IDepositUnit.ChannelCapacityExceeded.selector, ETH, ETH_CAPACITY + 1, ETH_CAPACITY)
        );
        channel.depositAlice{value: 1}(ETH, 1);
        assertEq(channel.totalDepositsAlice(ETH), ETH_CAPACITY, "unchanged");
    }

    function test_depositAlice_revertsOverCapacityWhenBobsPlainDepositsFilledIt() public {
        // Bob's plain transfers cannot be refused, but they count toward the capacity of every tracked deposit.
        _depositBobEth(ETH_CAPACITY);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IDepositUnit.ChannelCapacityExceeded.selector, ETH, ETH_CAPACITY + 1, ETH_CAPACITY)
        );
        channel.depositAlice{value: 1}(ETH, 1);
    }

    function testFuzz_deposits_keepTheLedgerExact(uint96 a1, uint96 b1, uint96 a2, uint96 b2) public {
        uint256 limit = ETH_CAPACITY / 4;
        uint256 x1 = bound(a1, 1, limit);
        uint256 y1 = bound(b1, 0, limit);
        uint256 x2 = bound(a2, 1, limit);
        uint256 y2 = bound(b2, 0, limit);
        _depositAliceEth(x1);
        if (y1 > 0) _depositBobEth(y1);
        _depositAliceEth(x2);
        if (y2 > 0) _depositBobEth(y2);
        assertEq(channel.totalDepositsAlice(ETH), x1 + x2, "alice");
        assertEq(channel.totalDepositsBob(ETH), y1 + y2, "bob");
        assertEq(address(channel).balance, x1 + x2 + y1 + y2, "held");
        _assertLedger(ETH);
    }

    // ─── ERC20 ───────────────────────────────────────────────────────────────────────────────────────────

    function test_depositAlice_token_pullsAndCredits() public {
        uint256 before = token.balanceOf(alice);
        _depositAliceToken(300e18);
        _depositBobToken(200e18);
        assertEq(token.balanceOf(alice), before - 300e18, "pulled from alice");
        assertEq(channel.totalDepositsAlice(address(token)), 300e18, "alice");
        assertEq(channel.totalDepositsBob(address(token)), 200e18, "bob");
        _assertLedger(address(token));
    }

    function test_depositAlice_token_revertsOverCapacity() public {
        _depositBobToken(TOKEN_CAPACITY - 10);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDepositUnit.ChannelCapacityExceeded.selector,
                address(token),
                TOKEN_CAPACITY + 1,
                TOKEN_CAPACITY
            )
        );
        channel.depositAlice(address(token), 11);
    }

    function test_depositAlice_noReturnToken_works() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(alice, 1_000e6);
        vm.startPrank(alice);
        usdt.approve(address(channel), type(uint256).max);
        channel.depositAlice(address(usdt), 250e6);
        vm.stopPrank();
        assertEq(channel.totalDepositsAlice(address(usdt)), 250e6, "credited");
        assertEq(usdt.balanceOf(address(channel)), 250e6, "held");
    }

    function test_depositAlice_falseReturnToken_revertsAndCreditsNothing() public {
        FalseReturnToken bad = new FalseReturnToken();
        bad.mint(alice, 100e18);
        vm.prank(alice);
        bad.approve(address(channel), type(uint256).max);
        bad.setFailTransfers(true);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SafeERC20.SafeERC20FailedOperation.selector, address(bad)));
        channel.depositAlice(address(bad), 10e18);
        assertEq(channel.totalDepositsAlice(address(bad)), 0, "nothing credited");
        assertEq(bad.balanceOf(alice), 100e18, "nothing moved");
    }

    function test_depositAlice_feeOnTransferToken_creditsWhatArrived() public {
        FeeOnTransferToken fee = new FeeOnTransferToken();
        fee.mint(alice, 1_000e18);
        fee.mint(bob, 1_000e18);
        vm.prank(alice);
        fee.approve(address(channel), type(uint256).max);
        vm.prank(alice);
        channel.depositAlice(address(fee), 100e18);
        uint256 arrived = fee.balanceOf(address(channel));
        assertTrue(arrived < 100e18, "fee taken");
        assertEq(channel.totalDepositsAlice(address(fee)), arrived, "credited what arrived");
        vm.prank(bob);
        assertTrue(fee.transfer(address(channel), 50e18), "bob's plain deposit");
        assertEq(
            channel.totalDepositsBob(address(fee)),
            fee.balanceOf(address(channel)) - arrived,
            "bob is credited what arrived for him"
        );
    }

    function test_depositAlice_blacklistedDepositor_revertsAndCreditsNothing() public {
        BlacklistToken bl = new BlacklistToken();
        bl.mint(alice, 100e18);
        vm.prank(alice);
        bl.approve(address(channel), type(uint256).max);
        bl.setBlacklisted(alice, true);
        vm.prank(alice);
        vm.expectRevert();
        channel.depositAlice(address(bl), 10e18);
        assertEq(channel.totalDepositsAlice(address(bl)), 0, "nothing credited");
    }

    function test_rebasingToken_upwardRebaseCountsAsBobsAndDownwardReducesBobsFirst() public {
        RebasingToken reb = new RebasingToken();
        reb.mint(alice, 1_000e18);
        reb.mint(bob, 1_000e18);
        vm.prank(alice);
        reb.approve(address(channel), type(uint256).max);
        vm.prank(alice);
        channel.depositAlice(address(reb), 100e18);
        vm.prank(bob);
        assertTrue(reb.transfer(address(channel), 100e18), "bob deposits");
        uint256 aliceCredited = channel.totalDepositsAlice(address(reb));
        reb.rebase(11, 10); // +10%
        assertEq(channel.totalDepositsAlice(address(reb)), aliceCredited, "alice's tracked total is fixed");
        assertEq(
            channel.totalDepositsBob(address(reb)),
            reb.balanceOf(address(channel)) - aliceCredited,
            "the growth is unexplained balance: bob's"
        );
        reb.rebase(1, 4); // -75%: the balance falls below alice's tracked deposits
        assertTrue(reb.balanceOf(address(channel)) < aliceCredited, "balance below alice's total");
        assertEq(channel.totalDepositsBob(address(reb)), 0, "bob's deposits floor at zero, never negative");
    }

    function test_depositAlice_tokenThatCannotAnswerBalanceOf_revertsAndCreditsNothing() public {
        UnreadableToken t = new UnreadableToken();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.BalanceQueryFailed.selector, address(t)));
        channel.depositAlice(address(t), 1e18);
        assertEq(channel.totalDepositsAlice(address(t)), 0, "nothing credited");
    }

    function test_depositAlice_hookToken_cannotReenterDuringTheTransfer() public {
        HookToken hooked = new HookToken();
        ReentrantReceiver attacker = new ReentrantReceiver();
        hooked.mint(alice, 100e18);
        vm.prank(alice);
        hooked.approve(address(channel), type(uint256).max);
        attacker.arm(address(channel), abi.encodeCall(IDepositUnit.depositAlice, (address(hooked), 1e18)));
        hooked.setHook(IHookReceiver(address(attacker)));
        vm.prank(alice);
        channel.depositAlice(address(hooked), 10e18);
        assertEq(attacker.attempts(), 1, "the hook tried to re-enter");
        assertTrue(!attacker.lastSuccess(), "and failed");
        assertEq(
            keccak256(attacker.lastReturnData()),
            keccak256(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)),
            "with the re-entry guard's error"
        );
        assertEq(channel.totalDepositsAlice(address(hooked)), 10e18, "the outer deposit is exact");
    }
}
