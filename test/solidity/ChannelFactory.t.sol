// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ChannelFactory} from "../../contracts/ChannelFactory.sol";
import {ChannelMastercopy} from "../../contracts/channel/ChannelMastercopy.sol";
import {IChannel} from "../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {IChannelFactory} from "../../contracts/interfaces/IChannelFactory.sol";
import {IDepositUnit} from "../../contracts/interfaces/IDepositUnit.sol";
import {IDeploymentConfig} from "../../contracts/interfaces/IDeploymentConfig.sol";
import {ChannelProxy} from "../../contracts/libraries/ChannelProxy.sol";
import {ChannelStorage} from "../../contracts/libraries/ChannelStorage.sol";
import {FeeOnTransferToken} from "../../contracts/test/mocks/FeeOnTransferToken.sol";
import {ChannelState} from "../../contracts/types/ChannelTypes.sol";
import {ChannelFixture} from "./utils/ChannelFixture.sol";

/// @dev Exposes ChannelCore's literal args offset so the test can compare it with ChannelProxy's.
contract ArgsOffsetProbe is ChannelMastercopy {
    constructor() ChannelMastercopy(address(1), new IDeploymentConfig.AssetLimit[](0), 1, 1) {}

    function argsOffset() external pure returns (uint256) {
        return ARGS_OFFSET;
    }
}

contract ChannelFactoryTest is ChannelFixture {
    bytes32 internal constant OTHER_SALT = keccak256("other");

    // ─── addresses and creation ──────────────────────────────────────────────────────────────────────────

    function test_channelAddress_isKnownBeforeCreationAndMatchesIt() public {
        address predicted = factory.channelAddress(alice, bob, OTHER_SALT);
        assertEq(predicted.code.length, 0, "not yet deployed");
        address created = factory.createChannel(alice, bob, OTHER_SALT);
        assertEq(created, predicted, "created at the predicted address");
        assertTrue(predicted.code.length > 0, "deployed");
    }

    function test_channelAddress_matchesCreate2OverTheProxyCode() public view {
        bytes memory code = ChannelProxy.creationCode(factory.mastercopy(), alice, bob);
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(factory), SALT, keccak256(code)));
        assertEq(address(uint160(uint256(h))), address(channel), "create2 formula");
    }

    function testFuzz_channelAddress_differsPerSaltAndParties(bytes32 saltA, bytes32 saltB) public view {
        vm.assume(saltA != saltB);
        assertTrue(
            factory.channelAddress(alice, bob, saltA) != factory.channelAddress(alice, bob, saltB),
            "salt must matter"
        );
        assertTrue(
            factory.channelAddress(alice, bob, saltA) != factory.channelAddress(bob, alice, saltA),
            "roles must matter"
        );
    }

    function test_createChannel_deploysAProxyThatKnowsItsParties() public view {
        assertEq(channel.alice(), alice, "alice");
        assertEq(channel.bob(), bob, "bob");
        assertEq(channel.factory(), address(factory), "factory");
    }

    function test_createChannel_emitsChannelCreated() public {
        address predicted = factory.channelAddress(alice, bob, OTHER_SALT);
        vm.expectEmit(address(factory));
        emit IChannelFactory.ChannelCreated(predicted, alice, bob, OTHER_SALT);
        factory.createChannel(alice, bob, OTHER_SALT);
    }

    function test_createChannel_revertsWhenTheChannelExists() public {
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.ChannelExists.selector, address(channel)));
        factory.createChannel(alice, bob, SALT);
    }

    function test_createChannel_revertsOnZeroOrIdenticalParties() public {
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidParties.selector, address(0), bob));
        factory.createChannel(address(0), bob, OTHER_SALT);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidParties.selector, alice, address(0)));
        factory.createChannel(alice, address(0), OTHER_SALT);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidParties.selector, alice, alice));
        factory.createChannel(alice, alice, OTHER_SALT);
    }

    function test_proxy_acceptsPlainEthWithoutDelegating() public {
        uint256 gasBefore = gasleft();
        _depositBobEth(1 ether);
        // A plain transfer runs only the proxy's STOP branch: far below a delegatecall's cold access.
        assertLe(gasBefore - gasleft(), 40_000, "plain deposit executes no mastercopy code");
        assertEq(channel.totalDepositsBob(ETH), 1 ether, "bob's deposit seen");
    }

    function test_proxyArgsOffset_matchesChannelCore() public {
        ArgsOffsetProbe probe = new ArgsOffsetProbe();
        assertEq(probe.argsOffset(), ChannelProxy.ARGS_OFFSET, "ChannelCore and ChannelProxy agree");
    }

    function test_ethLedgerSlot_isStorageSlotZeroOutsideTheNamespace() public {
        _depositAliceEth(3 ether);
        _depositAliceToken(7e18);
        assertEq(ChannelStorage.ETH_LEDGER_SLOT, bytes32(0), "the proxy's code addresses it with PUSH0");
        bytes32 raw = vm.load(address(channel), ChannelStorage.ETH_LEDGER_SLOT);
        assertEq(uint256(raw) & type(uint112).max, 3 ether, "aliceDeposits sits in the low 112 bits of slot 0");
        bytes32 unusedEthEntry = keccak256(abi.encode(address(0), ChannelStorage.LAYOUT_SLOT));
        assertEq(vm.load(address(channel), unusedEthEntry), bytes32(0), "ledgers[address(0)] is never used");
        // Token ledgers stay where the compiler lays the namespace's mapping out.
        bytes32 tokenEntry = keccak256(abi.encode(address(token), ChannelStorage.LAYOUT_SLOT));
        assertEq(uint256(vm.load(address(channel), tokenEntry)) & type(uint112).max, 7e18, "token ledger slot");
        assertEq(channel.totalDepositsAlice(address(token)), 7e18, "read back through the mapping");
        assertEq(
            ChannelStorage.LAYOUT_SLOT,
            keccak256(abi.encode(uint256(keccak256("switchyard.channel")) - 1)) & ~bytes32(uint256(0xff)),
            "ERC-7201 namespace"
        );
    }

    function test_storage_slotZeroHoldsOnlyTheEthLedgerAndNoLowSlotIsUsed() public {
        // Slot 0 is the ETH ledger only because no unit declares a state variable (all storage is in the ERC-7201
        // namespace). Every kind of write a channel makes — tracked and plain deposits of ETH and a token, a
        // withdrawal, a close, a newer state disputed and defunded — leaves the low slots 1..63 empty and slot 0
        // exactly the packed ETH ledger the views report: a state variable added to any unit would land there.
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
        _depositAliceToken(100e18);
        _depositBobToken(50e18);
        _withdraw(_withdrawCommitment(ETH, bob, 1 ether, 1));
        _close(_final(1, _asset(ETH, 6 ether, 8 ether, 10 ether, 5 ether, 1)));
        ChannelState memory disputed = _state(2, _asset(address(token), 100e18, 50e18, 100e18, 50e18, 1));
        _dispute(disputed);
        vm.warp(block.timestamp + TIMEOUT);
        channel.defundChannel(disputed, _only(address(token)));
        uint256 expected = (channel.totalDepositsAlice(ETH)) |
            (channel.totalPaidOut(ETH) << 112) |
            (channel.defundNonce(ETH) << 224);
        assertEq(uint256(vm.load(address(channel), bytes32(0))), expected, "slot 0 is exactly the ETH ledger");
        assertEq(channel.totalPaidOut(ETH), 15 ether, "the ETH ledger moved");
        for (uint256 i = 1; i < 64; ++i) {
            assertEq(vm.load(address(channel), bytes32(i)), bytes32(0), "a low storage slot was written");
        }
    }

    function test_mastercopy_refusesDirectUse() public {
        IChannel master = IChannel(factory.mastercopy());
        vm.expectRevert(IChannelCore.NotAChannel.selector);
        master.alice();
        vm.prank(alice);
        vm.expectRevert(IChannelCore.NotAChannel.selector);
        master.depositAlice{value: 1 ether}(ETH, 1 ether);
    }

    // ─── create and deposit ──────────────────────────────────────────────────────────────────────────────

    function test_createChannelAndDeposit_eth_createsAndCreditsAlice() public {
        address predicted = factory.channelAddress(alice, bob, OTHER_SALT);
        vm.expectEmit(address(factory));
        emit IChannelFactory.ChannelCreated(predicted, alice, bob, OTHER_SALT);
        vm.expectEmit(address(factory));
        emit IChannelFactory.AliceDepositedOnCreation(predicted, ETH, 5 ether);
        vm.prank(alice);
        address ch = factory.createChannelAndDeposit{value: 5 ether}(alice, bob, OTHER_SALT, ETH, 5 ether);
        assertEq(ch, predicted, "address");
        assertEq(IChannel(ch).totalDepositsAlice(ETH), 5 ether, "alice credited");
        assertEq(IChannel(ch).totalDepositsBob(ETH), 0, "bob has nothing");
        assertEq(ch.balance, 5 ether, "held");
    }

    function test_createChannelAndDeposit_eth_keepsBobsCounterfactualDeposit() public {
        address predicted = factory.channelAddress(alice, bob, OTHER_SALT);
        vm.prank(bob);
        (bool ok, ) = predicted.call{value: 2 ether}("");
        assertTrue(ok, "bob funds the counterfactual address");
        vm.prank(alice);
        address ch = factory.createChannelAndDeposit{value: 5 ether}(alice, bob, OTHER_SALT, ETH, 5 ether);
        assertEq(IChannel(ch).totalDepositsAlice(ETH), 5 ether, "alice");
        assertEq(IChannel(ch).totalDepositsBob(ETH), 2 ether, "bob's earlier transfer is his deposit");
    }

    function test_createChannelAndDeposit_eth_depositsWhenTheChannelAlreadyExists() public {
        vm.prank(alice);
        address ch = factory.createChannelAndDeposit{value: 1 ether}(alice, bob, SALT, ETH, 1 ether);
        assertEq(ch, address(channel), "same channel");
        assertEq(channel.totalDepositsAlice(ETH), 1 ether, "credited through depositAlice");
        assertEq(address(factory).balance, 0, "factory keeps nothing");
    }

    function test_createChannelAndDeposit_onAnExistingChannel_costsADepositNotTheGasLimit() public {
        // A CREATE2 collision consumes all the gas it is given (EIP-684): the factory must ask whether the
        // channel exists before creating, or every deposit through it on an existing channel burns the gas limit.
        vm.prank(alice);
        uint256 before = gasleft();
        factory.createChannelAndDeposit{value: 1 ether}(alice, bob, SALT, ETH, 1 ether);
        assertLe(before - gasleft(), 100_000, "ETH deposit on an existing channel");
        vm.prank(alice);
        before = gasleft();
        factory.createChannelAndDeposit(alice, bob, SALT, address(token), 1e18);
        assertLe(before - gasleft(), 150_000, "token deposit on an existing channel");
        assertEq(channel.totalDepositsAlice(ETH), 1 ether, "ETH credited");
        assertEq(channel.totalDepositsAlice(address(token)), 1e18, "token credited");
    }

    function test_createChannel_whenItExists_revertsWithoutBurningTheGasLimit() public {
        uint256 before = gasleft();
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.ChannelExists.selector, address(channel)));
        factory.createChannel(alice, bob, SALT);
        assertLe(before - gasleft(), 100_000, "a refused creation costs little");
    }

    function test_createChannel_reportsACreationThatFailed() public {
        // An address with a nonce but no code passes the factory's code check, yet CREATE2 collides with it
        // (EIP-684) and returns zero: the factory must report the failure, not announce a channel that does not
        // exist. (Running the creation out of gas reaches the same line in an ordinary build.)
        address predicted = factory.channelAddress(alice, bob, keccak256("collides"));
        vm.setNonce(predicted, 1);
        vm.expectRevert(IChannelFactory.ChannelCreationFailed.selector);
        factory.createChannel(alice, bob, keccak256("collides"));
        assertEq(predicted.code.length, 0, "nothing deployed");
    }

    function test_createChannelAndDeposit_revertsOnZeroAmount() public {
        vm.expectRevert(IChannelFactory.ZeroAmount.selector);
        factory.createChannelAndDeposit(alice, bob, OTHER_SALT, ETH, 0);
    }

    function test_createChannelAndDeposit_revertsOnValueMismatch() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.ValueMismatch.selector, 2 ether, 1 ether));
        factory.createChannelAndDeposit{value: 1 ether}(alice, bob, OTHER_SALT, ETH, 2 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.ValueMismatch.selector, 0, 1 ether));
        factory.createChannelAndDeposit{value: 1 ether}(alice, bob, OTHER_SALT, address(token), 1 ether);
    }

    function test_createChannelAndDeposit_eth_revertsOverCapacityCountingBobsFunds() public {
        address predicted = factory.channelAddress(alice, bob, OTHER_SALT);
        vm.deal(predicted, ETH_CAPACITY - 1 ether);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IChannelFactory.CapacityExceeded.selector, ETH, ETH_CAPACITY + 1 ether, ETH_CAPACITY)
        );
        factory.createChannelAndDeposit{value: 2 ether}(alice, bob, OTHER_SALT, ETH, 2 ether);
        assertEq(predicted.code.length, 0, "nothing deployed");
    }

    function test_createChannelAndDeposit_eth_acceptsExactlyTheCapacityCountingBobsFunds() public {
        address predicted = factory.channelAddress(alice, bob, OTHER_SALT);
        vm.deal(predicted, ETH_CAPACITY - 2 ether);
        vm.prank(alice);
        factory.createChannelAndDeposit{value: 2 ether}(alice, bob, OTHER_SALT, ETH, 2 ether);
        assertEq(predicted.balance, ETH_CAPACITY, "the channel holds exactly its capacity");
        assertEq(IChannel(predicted).totalDepositsAlice(ETH), 2 ether, "alice credited");
    }

    function test_createChannelAndDeposit_eth_revertsOverCapacityOnAnExistingChannel() public {
        _depositBobEth(ETH_CAPACITY);
        vm.prank(alice);
        // The factory checks the capacity (bob's funds included) before it even tries to create.
        vm.expectRevert(
            abi.encodeWithSelector(IChannelFactory.CapacityExceeded.selector, ETH, ETH_CAPACITY + 1 ether, ETH_CAPACITY)
        );
        factory.createChannelAndDeposit{value: 1 ether}(alice, bob, SALT, ETH, 1 ether);
    }

    function test_createChannelAndDeposit_erc20_createsAndCreditsAlice() public {
        vm.prank(alice);
        address ch = factory.createChannelAndDeposit(alice, bob, OTHER_SALT, address(token), 500e18);
        assertEq(IChannel(ch).totalDepositsAlice(address(token)), 500e18, "alice credited");
        assertEq(token.balanceOf(ch), 500e18, "held");
        assertEq(token.balanceOf(address(factory)), 0, "factory keeps nothing");
    }

    function test_createChannelAndDeposit_erc20_creditsWhatArrivesFromAFeeToken() public {
        FeeOnTransferToken fee = new FeeOnTransferToken();
        fee.mint(alice, 1_000e18);
        vm.prank(alice);
        fee.approve(address(factory), type(uint256).max);
        vm.prank(alice);
        address ch = factory.createChannelAndDeposit(alice, bob, OTHER_SALT, address(fee), 100e18);
        uint256 held = fee.balanceOf(ch);
        assertTrue(held < 100e18, "the token took a fee");
        assertEq(IChannel(ch).totalDepositsAlice(address(fee)), held, "alice credited what arrived");
        assertEq(IChannel(ch).totalDepositsBob(address(fee)), 0, "no phantom deposit for bob");
    }

    function test_createChannelAndDeposit_erc20_revertsOverCapacity() public {
        _depositBobToken(TOKEN_CAPACITY);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDepositUnit.ChannelCapacityExceeded.selector,
                address(token),
                TOKEN_CAPACITY + 1,
                TOKEN_CAPACITY
            )
        );
        factory.createChannelAndDeposit(alice, bob, SALT, address(token), 1);
    }

    function test_creditAliceDeposit_revertsForAnyoneButTheFactory() public {
        _depositBobToken(10e18);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IDepositUnit.OnlyFactory.selector, bob));
        channel.creditAliceDeposit(address(token), 10e18);
        assertEq(channel.totalDepositsAlice(address(token)), 0, "nothing credited");
    }

    // ─── configuration ───────────────────────────────────────────────────────────────────────────────────

    function test_cappedAssets_isEmptyForADeploymentWithoutLimits() public {
        ChannelFactory open = _newFactory(new IDeploymentConfig.AssetLimit[](0), MIN_TIMEOUT, MAX_TIMEOUT);
        assertEq(open.cappedAssets().length, 0, "no capped asset listed");
        (uint256 capacity, ) = open.limitsOf(ETH);
        assertEq(capacity, type(uint256).max, "ETH uncapped");
    }

    function test_config_isReadableAndSharedWithTheMastercopy() public view {
        (uint256 capacity, uint256 cap) = factory.limitsOf(ETH);
        assertEq(capacity, ETH_CAPACITY, "eth capacity");
        assertEq(cap, ETH_TRANSFER_CAP, "eth transfer cap");
        (capacity, cap) = factory.limitsOf(address(0xdead));
        assertEq(capacity, type(uint256).max, "uncapped capacity");
        assertEq(cap, type(uint256).max, "uncapped transfer");
        assertEq(factory.minTimeout(), MIN_TIMEOUT, "min timeout");
        assertEq(factory.maxTimeout(), MAX_TIMEOUT, "max timeout");
        IDeploymentConfig.AssetLimit[] memory limits = factory.cappedAssets();
        assertEq(limits.length, 2, "two capped assets");
        assertEq(limits[1].asset, address(token), "token listed");
        ChannelFactory master = ChannelFactory(factory.mastercopy());
        (capacity, ) = IDeploymentConfig(address(master)).limitsOf(address(token));
        assertEq(capacity, TOKEN_CAPACITY, "mastercopy holds the same limits");
    }

    function test_constructor_revertsOnTooManyCappedAssets() public {
        IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](5);
        for (uint256 i = 0; i < 5; ++i) limits[i] = IDeploymentConfig.AssetLimit(address(uint160(i + 1)), 10, 1);
        vm.expectRevert(abi.encodeWithSelector(IDeploymentConfig.TooManyCappedAssets.selector, 5, 4));
        new ChannelFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
    }

    function test_constructor_revertsOnZeroOrInconsistentCaps() public {
        _expectInvalidAssetLimit(0, 0);
        _expectInvalidAssetLimit(10, 11);
        // Each zero is refused on its own: a zero transfer cap under a non-zero capacity, a zero capacity alone.
        _expectInvalidAssetLimit(10, 0);
        _expectInvalidAssetLimit(0, 5);
    }

    /// Deploying with one ETH limit of `capacity` and `transferCap` reverts with InvalidAssetLimit naming both.
    function _expectInvalidAssetLimit(uint256 capacity, uint256 transferCap) internal {
        IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](1);
        limits[0] = IDeploymentConfig.AssetLimit(ETH, capacity, transferCap);
        vm.expectRevert(
            abi.encodeWithSelector(IDeploymentConfig.InvalidAssetLimit.selector, ETH, capacity, transferCap)
        );
        new ChannelFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
    }

    /// The transfer cap may equal the channel capacity (the bound is inclusive, as the constructor's NatSpec says:
    /// "transfer cap at most the capacity"); one unit above it is refused with InvalidAssetLimit.
    function test_constructor_acceptsATransferCapEqualToTheCapacity() public {
        IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](1);
        limits[0] = IDeploymentConfig.AssetLimit(ETH, 10 ether, 10 ether);
        ChannelFactory equalCaps = new ChannelFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
        (uint256 capacity, uint256 cap) = equalCaps.limitsOf(ETH);
        assertEq(capacity, 10 ether, "capacity kept");
        assertEq(cap, 10 ether, "transfer cap equal to the capacity kept");
        limits[0] = IDeploymentConfig.AssetLimit(ETH, 10 ether, 10 ether + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IDeploymentConfig.InvalidAssetLimit.selector, ETH, 10 ether, 10 ether + 1)
        );
        new ChannelFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
    }

    function test_constructor_revertsOnDuplicateAsset() public {
        IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](2);
        limits[0] = IDeploymentConfig.AssetLimit(ETH, 10, 1);
        limits[1] = IDeploymentConfig.AssetLimit(ETH, 20, 2);
        vm.expectRevert(abi.encodeWithSelector(IDeploymentConfig.DuplicateCappedAsset.selector, ETH));
        new ChannelFactory(limits, MIN_TIMEOUT, MAX_TIMEOUT);
    }

    function test_constructor_revertsOnBadTimeoutBounds() public {
        IDeploymentConfig.AssetLimit[] memory none = new IDeploymentConfig.AssetLimit[](0);
        vm.expectRevert(abi.encodeWithSelector(IDeploymentConfig.InvalidTimeoutBounds.selector, 0, 1 days));
        new ChannelFactory(none, 0, 1 days);
        vm.expectRevert(abi.encodeWithSelector(IDeploymentConfig.InvalidTimeoutBounds.selector, 2 days, 1 days));
        new ChannelFactory(none, 2 days, 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(IDeploymentConfig.InvalidTimeoutBounds.selector, 1, uint256(type(uint32).max) + 1)
        );
        new ChannelFactory(none, 1, uint256(type(uint32).max) + 1);
    }

    /// The bounds are inclusive: minTimeout == maxTimeout, and maxTimeout == 2^32 - 1 (the largest value below
    /// 2^32, as the constructor's NatSpec allows), are both accepted.
    function test_constructor_acceptsTimeoutBoundsAtTheirLimits() public {
        IDeploymentConfig.AssetLimit[] memory none = new IDeploymentConfig.AssetLimit[](0);
        ChannelFactory widest = new ChannelFactory(none, 1, type(uint32).max);
        assertEq(widest.minTimeout(), 1, "min timeout");
        assertEq(widest.maxTimeout(), type(uint32).max, "max timeout at 2^32 - 1");
        ChannelFactory fixedPhase = new ChannelFactory(none, 1 days, 1 days);
        assertEq(fixedPhase.minTimeout(), 1 days, "min == max accepted");
        assertEq(fixedPhase.maxTimeout(), 1 days, "min == max accepted");
    }
}
