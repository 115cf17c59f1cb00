// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ChannelFactory} from "../../../contracts/ChannelFactory.sol";
import {IChannel} from "../../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../../contracts/interfaces/IChannelCore.sol";
import {IChannelFactory} from "../../../contracts/interfaces/IChannelFactory.sol";
import {IDeploymentConfig} from "../../../contracts/interfaces/IDeploymentConfig.sol";
import {IDepositUnit} from "../../../contracts/interfaces/IDepositUnit.sol";
import {FeeOnTransferToken} from "../../../contracts/test/mocks/FeeOnTransferToken.sol";
import {FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title Capacity-limit attacks
/// @notice Every tracked deposit path refuses to take a channel above the deployment's capacity, counting what
///         bob sent (even to the counterfactual address) and what a fee token actually delivers; bob's plain
///         transfers cannot be refused but block later tracked deposits; nothing else can credit a deposit.
contract SecurityCapacityTest is SecurityBase {
    bytes32 internal constant NEW_SALT = keccak256("capacity.new");

    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
    }

    function _expectChannelCap(address asset, uint256 balanceAfter, uint256 capacity) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IDepositUnit.ChannelCapacityExceeded.selector, asset, balanceAfter, capacity)
        );
    }

    function _expectFactoryCap(address asset, uint256 balanceAfter, uint256 capacity) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IChannelFactory.CapacityExceeded.selector, asset, balanceAfter, capacity)
        );
    }

    /// @dev Balances around a counterfactual channel that must not come into existence.
    struct Counterfactual {
        address at;
        uint256 ethHeld;
        uint256 tokenHeld;
        uint256 aliceEth;
        uint256 aliceToken;
    }

    function _counterfactual(bytes32 salt) internal view returns (Counterfactual memory c) {
        c.at = factory.channelAddress(alice, bob, salt);
        c.ethHeld = c.at.balance;
        c.tokenHeld = token.balanceOf(c.at);
        c.aliceEth = alice.balance;
        c.aliceToken = token.balanceOf(alice);
    }

    function _assertStillCounterfactual(Counterfactual memory c) internal view {
        assertEq(c.at.code.length, 0, "channel was created");
        assertEq(c.at.balance, c.ethHeld, "ETH at the address changed");
        assertEq(token.balanceOf(c.at), c.tokenHeld, "tokens at the address changed");
        assertEq(alice.balance, c.aliceEth, "alice's ETH changed");
        assertEq(token.balanceOf(alice), c.aliceToken, "alice's tokens changed");
    }

    // ─── depositAlice ────────────────────────────────────────────────────────────────────────────────────

    function test_capacity_depositAliceEthAboveCapFails() public {
        Snap memory snap = _snap();
        _expectChannelCap(ETH, ETH_CAPACITY + 1, ETH_CAPACITY);
        vm.prank(alice);
        channel.depositAlice{value: ETH_CAPACITY - 15 ether + 1}(ETH, ETH_CAPACITY - 15 ether + 1);
        _assertUnchanged(snap);
    }

    function test_capacity_depositAliceEthUpToCapSucceeds() public {
        _depositAliceEth(ETH_CAPACITY - 15 ether);
        assertEq(address(channel).balance, ETH_CAPACITY, "at capacity");
    }

    function test_capacity_depositAliceTokenAboveCapFails() public {
        _depositBobToken(1e18);
        Snap memory snap = _snap();
        _expectChannelCap(address(token), TOKEN_CAPACITY + 1, TOKEN_CAPACITY);
        vm.prank(alice);
        channel.depositAlice(address(token), TOKEN_CAPACITY - 1e18 + 1);
        _assertUnchanged(snap);
    }

    // ─── createChannelAndDeposit ─────────────────────────────────────────────────────────────────────────

    function test_capacity_createChannelAndDepositEthAboveCapFails() public {
        Counterfactual memory c = _counterfactual(NEW_SALT);
        _expectFactoryCap(ETH, ETH_CAPACITY + 1, ETH_CAPACITY);
        vm.prank(alice);
        factory.createChannelAndDeposit{value: ETH_CAPACITY + 1}(alice, bob, NEW_SALT, ETH, ETH_CAPACITY + 1);
        _assertStillCounterfactual(c);
    }

    function test_capacity_createChannelAndDepositEthWithBobCounterfactualFundsFails() public {
        address at = factory.channelAddress(alice, bob, NEW_SALT);
        vm.prank(bob);
        (bool ok, ) = at.call{value: 600 ether}("");
        assertTrue(ok, "bob funds the counterfactual address");
        Counterfactual memory c = _counterfactual(NEW_SALT);
        _expectFactoryCap(ETH, ETH_CAPACITY + 1, ETH_CAPACITY);
        vm.prank(alice);
        factory.createChannelAndDeposit{value: 400 ether + 1}(alice, bob, NEW_SALT, ETH, 400 ether + 1);
        _assertStillCounterfactual(c);
    }

    function test_capacity_createChannelAndDepositTokenWithBobCounterfactualFundsFails() public {
        address at = factory.channelAddress(alice, bob, NEW_SALT);
        vm.prank(bob);
        assertTrue(token.transfer(at, 600_000e18), "bob funds the counterfactual address");
        Counterfactual memory c = _counterfactual(NEW_SALT);
        _expectChannelCap(address(token), TOKEN_CAPACITY + 1, TOKEN_CAPACITY);
        vm.prank(alice);
        factory.createChannelAndDeposit(alice, bob, NEW_SALT, address(token), 400_000e18 + 1);
        _assertStillCounterfactual(c);
    }

    function test_capacity_createChannelAndDepositOnExistingChannelEthFails() public {
        Snap memory snap = _snap();
        _expectFactoryCap(ETH, ETH_CAPACITY + 1, ETH_CAPACITY);
        vm.prank(alice);
        factory.createChannelAndDeposit{value: ETH_CAPACITY - 15 ether + 1}(
            alice,
            bob,
            SALT,
            ETH,
            ETH_CAPACITY - 15 ether + 1
        );
        _assertUnchanged(snap);
    }

    function test_capacity_createChannelAndDepositOnExistingChannelTokenFails() public {
        _depositBobToken(1e18);
        Snap memory snap = _snap();
        _expectChannelCap(address(token), TOKEN_CAPACITY + 1, TOKEN_CAPACITY);
        vm.prank(alice);
        factory.createChannelAndDeposit(alice, bob, SALT, address(token), TOKEN_CAPACITY - 1e18 + 1);
        _assertUnchanged(snap);
    }

    // ─── fee-on-transfer tokens: what arrives counts ─────────────────────────────────────────────────────

    function _feeDeployment() internal returns (FeeOnTransferToken fee, ChannelFactory f, IChannel ch) {
        fee = new FeeOnTransferToken();
        IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](1);
        limits[0] = IDeploymentConfig.AssetLimit(address(fee), 1_000e18, 100e18);
        f = _newFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
        ch = IChannel(f.createChannel(alice, bob, SALT));
        fee.mint(alice, 10_000e18);
        vm.prank(alice);
        fee.approve(address(ch), type(uint256).max);
        vm.prank(alice);
        fee.approve(address(f), type(uint256).max);
    }

    function test_capacity_feeTokenDepositAliceAboveCapFails() public {
        (FeeOnTransferToken fee, , IChannel ch) = _feeDeployment();
        // 1,011 sent, 1,000.89 arrives: over the 1,000 capacity.
        Snap memory snap = _snapOf(ch, _only(address(fee)));
        _expectChannelCap(address(fee), 1_000.89e18, 1_000e18);
        vm.prank(alice);
        ch.depositAlice(address(fee), 1_011e18);
        _assertUnchanged(snap);
    }

    function test_capacity_feeTokenDepositAliceChecksWhatArrives() public {
        (FeeOnTransferToken fee, , IChannel ch) = _feeDeployment();
        // 1,010 sent, 999.9 arrives: within capacity, and 999.9 is what alice is credited.
        vm.prank(alice);
        ch.depositAlice(address(fee), 1_010e18);
        assertEq(ch.totalDepositsAlice(address(fee)), 999.9e18, "credited what arrived");
        assertEq(fee.balanceOf(address(ch)), 999.9e18, "held");
    }

    function test_capacity_feeTokenCreateChannelAndDepositAboveCapFails() public {
        (FeeOnTransferToken fee, ChannelFactory f, ) = _feeDeployment();
        bytes32 salt = NEW_SALT;
        address at = f.channelAddress(alice, bob, salt);
        uint256 aliceBefore = fee.balanceOf(alice);
        _expectChannelCap(address(fee), 1_000.89e18, 1_000e18);
        vm.prank(alice);
        f.createChannelAndDeposit(alice, bob, salt, address(fee), 1_011e18);
        assertEq(at.code.length, 0, "channel was created");
        assertEq(fee.balanceOf(at), 0, "tokens arrived");
        assertEq(fee.balanceOf(alice), aliceBefore, "alice's tokens moved");
    }

    // ─── bob's plain transfers ───────────────────────────────────────────────────────────────────────────

    function test_capacity_bobPlainTransferCannotBeRefusedButBlocksTrackedDeposits() public {
        _depositBobEth(ETH_CAPACITY); // 1,015 held: above capacity, and accepted
        assertEq(address(channel).balance, ETH_CAPACITY + 15 ether, "bob's transfer refused");
        assertEq(channel.totalDepositsBob(ETH), ETH_CAPACITY + 5 ether, "bob's deposits");
        Snap memory snap = _snap();
        _expectChannelCap(ETH, ETH_CAPACITY + 15 ether + 1, ETH_CAPACITY);
        vm.prank(alice);
        channel.depositAlice{value: 1}(ETH, 1);
        _expectFactoryCap(ETH, ETH_CAPACITY + 15 ether + 1, ETH_CAPACITY);
        vm.prank(alice);
        factory.createChannelAndDeposit{value: 1}(alice, bob, SALT, ETH, 1);
        _assertUnchanged(snap);
    }

    function test_capacity_bobPlainTokenTransferBlocksTrackedDeposits() public {
        _depositBobToken(TOKEN_CAPACITY);
        Snap memory snap = _snap();
        _expectChannelCap(address(token), TOKEN_CAPACITY + 1, TOKEN_CAPACITY);
        vm.prank(alice);
        channel.depositAlice(address(token), 1);
        _assertUnchanged(snap);
    }

    // ─── no other way to be credited ─────────────────────────────────────────────────────────────────────

    function test_capacity_creditAliceDepositByStrangerFails() public {
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IDepositUnit.OnlyFactory.selector, eve));
        vm.prank(eve);
        channel.creditAliceDeposit(address(token), 1e30);
        _assertUnchanged(snap);
    }

    function test_capacity_creditAliceDepositByAnotherFactoryFails() public {
        ChannelFactory other = _newFactory(_defaultLimits(), MIN_TIMEOUT, MAX_TIMEOUT);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IDepositUnit.OnlyFactory.selector, address(other)));
        vm.prank(address(other));
        channel.creditAliceDeposit(ETH, 1 ether);
        _assertUnchanged(snap);
    }

    // ─── the 2^112 amount limit on uncapped assets ───────────────────────────────────────────────────────

    function test_capacity_uncappedDepositAliceAboveAmountLimitFails() public {
        ChannelFactory open = _newFactory(new IDeploymentConfig.AssetLimit[](0), MIN_TIMEOUT, MAX_TIMEOUT);
        IChannel ch = IChannel(open.createChannel(alice, bob, SALT));
        uint256 amount = uint256(type(uint112).max) + 1;
        vm.deal(alice, amount);
        Snap memory snap = _snapOf(ch, _only(ETH));
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.AmountOverflow.selector, amount));
        vm.prank(alice);
        ch.depositAlice{value: amount}(ETH, amount);
        _assertUnchanged(snap);
    }

    function test_capacity_uncappedCreateChannelAndDepositEthAboveAmountLimitFails() public {
        // The proxy's creation code stores CALLVALUE into the packed ledger slot: a value of 2^112 or more must
        // be refused (AmountOverflow) rather than spill into paidOut and be counted as bob's deposit.
        ChannelFactory open = _newFactory(new IDeploymentConfig.AssetLimit[](0), MIN_TIMEOUT, MAX_TIMEOUT);
        uint256 amount = uint256(type(uint112).max) + 1;
        vm.deal(alice, amount);
        address at = open.channelAddress(alice, bob, NEW_SALT);
        vm.prank(alice);
        (bool ok, bytes memory ret) = address(open).call{value: amount}(
            abi.encodeCall(open.createChannelAndDeposit, (alice, bob, NEW_SALT, ETH, amount))
        );
        if (ok) {
            IChannel ch = IChannel(at);
            assertEq(ch.totalDepositsAlice(ETH), amount, "alice's deposit lost to the packed slot");
            assertEq(ch.totalDepositsBob(ETH), 0, "alice's deposit counted as bob's");
        }
        assertTrue(!ok, "a deposit above 2^112 - 1 was accepted");
        bytes memory expected = abi.encodeWithSelector(IChannelCore.AmountOverflow.selector, amount);
        assertEq(keccak256(ret), keccak256(expected), "wrong error");
        assertEq(at.code.length, 0, "channel was created");
        assertEq(alice.balance, amount, "alice's ETH moved");
    }

    // ─── exactly at the 2^112 - 1 amount limit ───────────────────────────────────────────────────────────

    function test_capacity_uncappedAmountsExactlyAtTheLimitAreAccepted() public {
        ChannelFactory open = _newFactory(new IDeploymentConfig.AssetLimit[](0), MIN_TIMEOUT, MAX_TIMEOUT);
        IChannel ch = IChannel(open.createChannel(alice, bob, SALT));
        uint256 max = type(uint112).max;
        vm.deal(alice, max + 1);
        vm.prank(alice);
        ch.depositAlice{value: max}(ETH, max);
        assertEq(ch.totalDepositsAlice(ETH), max, "a deposit of exactly 2^112 - 1 is credited");
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.AmountOverflow.selector, max + 1));
        vm.prank(alice);
        ch.depositAlice{value: 1}(ETH, 1);
        // A withdrawal of the whole amount brings paidOut to exactly 2^112 - 1; one wei more cannot be paid.
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, max, 0);
        uint256 b0 = bob.balance;
        ch.withdraw(w, _signWithdrawFor(address(ch), ALICE_KEY, w), _signWithdrawFor(address(ch), BOB_KEY, w));
        assertEq(bob.balance, b0 + max, "paid exactly 2^112 - 1");
        assertEq(ch.totalPaidOut(ETH), max, "paid out at the limit");
        vm.prank(alice);
        (bool ok, ) = address(ch).call{value: 1}("");
        assertTrue(ok, "plain transfer");
        WithdrawCommitment memory w2 = _withdrawCommitment(ETH, bob, 1, 1);
        bytes memory sa = _signWithdrawFor(address(ch), ALICE_KEY, w2);
        bytes memory sb = _signWithdrawFor(address(ch), BOB_KEY, w2);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.AmountOverflow.selector, max + 1));
        ch.withdraw(w2, sa, sb);
    }

    function test_capacity_uncappedCloseAndCreateDepositExactlyAtTheLimit() public {
        ChannelFactory open = _newFactory(new IDeploymentConfig.AssetLimit[](0), MIN_TIMEOUT, MAX_TIMEOUT);
        uint256 max = type(uint112).max;
        vm.deal(alice, max);
        vm.prank(alice);
        IChannel ch = IChannel(open.createChannelAndDeposit{value: max}(alice, bob, NEW_SALT, ETH, max));
        assertEq(ch.totalDepositsAlice(ETH), max, "created with exactly 2^112 - 1");
        assertEq(ch.totalDepositsBob(ETH), 0, "nothing counted as bob's");
        // A close paying the whole of it brings paidOut to exactly the limit.
        FinalState memory f = _final(1, _asset(ETH, 0, 0, 0, 0, 1));
        uint256 a0 = alice.balance;
        ch.closeChannel(f, _signFinalFor(address(ch), ALICE_KEY, f), _signFinalFor(address(ch), BOB_KEY, f));
        assertEq(alice.balance, a0 + max, "alice refunded exactly 2^112 - 1");
        assertEq(ch.totalPaidOut(ETH), max, "paid out at the limit");
    }
}
