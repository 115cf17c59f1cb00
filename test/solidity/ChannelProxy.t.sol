// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ChannelFactory} from "../../contracts/ChannelFactory.sol";
import {IChannel} from "../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {IDepositUnit} from "../../contracts/interfaces/IDepositUnit.sol";
import {IDeploymentConfig} from "../../contracts/interfaces/IDeploymentConfig.sol";
import {ChannelProxy} from "../../contracts/libraries/ChannelProxy.sol";
import {ChannelStorage} from "../../contracts/libraries/ChannelStorage.sol";
import {ReentrantDepositHelper} from "../../contracts/test/mocks/ReentrantDepositHelper.sol";
import {WithdrawCommitment} from "../../contracts/types/ChannelTypes.sol";
import {ChannelFixture} from "./utils/ChannelFixture.sol";

/// @dev Deploys a channel's creation code itself, as a factory that cannot answer limitsOf: the creation code
///      must then write a capacity of zero, so that every fast deposit is left to the mastercopy.
contract SilentDeployer {
    /// @notice CREATE of `code`; returns the new contract.
    function deploy(bytes memory code) external returns (address deployed) {
        // Plain CREATE of the bytes given; the test checks the result.
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
    }
}

/// @title ChannelProxyTest
/// @notice The channel proxy's own code: the tracked ETH deposit it handles without the mastercopy
///         (`depositAliceEth()`), checked against the mastercopy's `depositAlice(address(0), …)` and attacked
///         with wrong selectors, odd calldata lengths, no value, the lock held, capacity and 112-bit bounds.
contract ChannelProxyTest is ChannelFixture {
    uint256 internal constant MAX112 = type(uint112).max;

    function _fast(IChannel ch, address from, uint256 value) internal {
        vm.prank(from);
        ch.depositAliceEth{value: value}();
    }

    function _raw(address to, uint256 value, bytes memory data) internal returns (bool ok, bytes memory ret) {
        vm.prank(alice);
        (ok, ret) = to.call{value: value}(data);
    }

    function _ledgerWord(IChannel ch) internal view returns (uint256) {
        return uint256(vm.load(address(ch), ChannelStorage.ETH_LEDGER_SLOT));
    }

    function _uncappedChannel(bytes32 salt) internal returns (IChannel) {
        ChannelFactory uncapped = _newFactory(new IDeploymentConfig.AssetLimit[](0), MIN_TIMEOUT, MAX_TIMEOUT);
        return IChannel(uncapped.createChannel(alice, bob, salt));
    }

    // ─── the code ────────────────────────────────────────────────────────────────────────────────────────

    function test_runtime_isTheCreationCodesRuntimeWithTheEthCapacity() public view {
        bytes memory creation = ChannelProxy.creationCode(factory.mastercopy(), alice, bob);
        bytes memory runtime = address(channel).code;
        assertEq(runtime.length, ChannelProxy.RUNTIME_LENGTH, "runtime length");
        uint256 prefix = creation.length - runtime.length;
        for (uint256 i = 0; i < runtime.length; ++i) {
            bool inOperand = i >= ChannelProxy.CAPACITY_OFFSET && i < ChannelProxy.CAPACITY_OFFSET + 14;
            if (!inOperand) assertTrue(runtime[i] == creation[prefix + i], "runtime byte from the creation code");
        }
        uint256 operand;
        for (uint256 i = 0; i < 14; ++i) operand = (operand << 8) | uint8(runtime[ChannelProxy.CAPACITY_OFFSET + i]);
        assertEq(operand, ETH_CAPACITY, "the deployment's ETH capacity");
        assertEq(channel.alice(), alice, "alice read at ARGS_OFFSET");
        assertEq(channel.bob(), bob, "bob read at ARGS_OFFSET + 20");
    }

    function test_runtime_clipsAnUncappedCapacityTo112Bits() public {
        IChannel ch = _uncappedChannel(keccak256("uncapped"));
        bytes memory runtime = address(ch).code;
        uint256 operand;
        for (uint256 i = 0; i < 14; ++i) operand = (operand << 8) | uint8(runtime[ChannelProxy.CAPACITY_OFFSET + i]);
        assertEq(operand, MAX112, "2^112 - 1");
    }

    function test_runtime_withoutAnAnsweringFactory_leavesEveryFastDepositToTheMastercopy() public {
        SilentDeployer deployer = new SilentDeployer();
        IChannel ch = IChannel(deployer.deploy(ChannelProxy.creationCode(factory.mastercopy(), alice, bob)));
        bytes memory runtime = address(ch).code;
        for (uint256 i = 0; i < 14; ++i) {
            assertTrue(runtime[ChannelProxy.CAPACITY_OFFSET + i] == 0, "capacity operand zero");
        }
        // Every balance is above a zero capacity, so the proxy delegates; the mastercopy applies the real limit.
        vm.expectEmit(address(ch));
        emit IDepositUnit.AliceDeposited(ETH, 2 ether, 2 ether);
        _fast(ch, alice, 2 ether);
        assertEq(ch.totalDepositsAlice(ETH), 2 ether, "credited by the mastercopy");
    }

    function testFuzz_proxy_worksWhateverBytesThePartiesAddressesHold(address a, address b, bytes32 salt) public {
        // The arguments sit after the last instruction, so no address byte (a PUSH opcode, say) can hide a
        // JUMPDEST of the code from the EVM's jump analysis.
        vm.assume(a != address(0) && b != address(0) && a != b);
        IChannel ch = IChannel(factory.createChannel(a, b, salt));
        assertEq(ch.alice(), a, "alice");
        assertEq(ch.bob(), b, "bob");
        _fast(ch, eve, 1 ether);
        (bool ok, ) = _raw(address(ch), 2 ether, "");
        assertTrue(ok, "plain deposit");
        assertEq(ch.totalDepositsAlice(ETH), 1 ether, "tracked");
        assertEq(ch.totalDepositsBob(ETH), 2 ether, "plain");
    }

    function test_proxy_worksForPartiesFullOfPushOpcodes() public {
        // 0x7f is PUSH32: were the arguments before the fast path, its JUMPDEST would be read as push data.
        address a = address(bytes20(hex"7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f"));
        address b = address(bytes20(hex"6060606060606060606060606060606060606060"));
        IChannel ch = IChannel(factory.createChannel(a, b, SALT));
        _fast(ch, eve, 1 ether);
        assertEq(ch.totalDepositsAlice(ETH), 1 ether, "tracked");
        assertEq(ch.bob(), b, "bob");
    }

    // ─── the deposit ─────────────────────────────────────────────────────────────────────────────────────

    function test_depositAliceEth_creditsAliceAndEmitsTheMastercopysEvent() public {
        vm.expectEmit(address(channel));
        emit IDepositUnit.AliceDeposited(ETH, 2 ether, 2 ether);
        _fast(channel, alice, 2 ether);
        vm.expectEmit(address(channel));
        emit IDepositUnit.AliceDeposited(ETH, 1 ether, 3 ether);
        _fast(channel, eve, 1 ether); // anyone may deposit for alice
        assertEq(channel.totalDepositsAlice(ETH), 3 ether, "alice total");
        assertEq(channel.totalDepositsBob(ETH), 0, "bob total");
        assertEq(address(channel).balance, 3 ether, "held");
        _assertLedger(ETH);
    }

    function test_depositAliceEth_runsWithoutTheMastercopy() public {
        // With the mastercopy's code replaced by INVALID, only the proxy's own code can credit the deposit.
        vm.etch(factory.mastercopy(), hex"fe");
        _fast(channel, alice, 1 ether);
        assertEq(_ledgerWord(channel) & MAX112, 1 ether, "credited by the proxy alone");
        vm.prank(alice);
        (bool ok, ) = address(channel).call{value: 1 ether}(abi.encodeCall(IDepositUnit.depositAlice, (ETH, 1 ether)));
        assertTrue(!ok, "the generic entry point needs the mastercopy");
    }

    function testFuzz_depositAliceEth_leavesTheSameLedgerAsDepositAlice(uint256 a1, uint256 b1, uint256 a2) public {
        a1 = bound(a1, 1, ETH_CAPACITY / 2);
        b1 = bound(b1, 0, ETH_CAPACITY / 4);
        a2 = bound(a2, 1, ETH_CAPACITY / 4);
        IChannel twin = IChannel(factory.createChannel(alice, bob, keccak256("twin")));
        // Paid-out, defund nonce and claims flag set, so that the fast path must leave the upper bits alone.
        uint256 upper = (uint256(7) << 112) | (uint256(3) << 224) | (uint256(1) << 248);
        vm.store(address(channel), ChannelStorage.ETH_LEDGER_SLOT, bytes32(upper));
        vm.store(address(twin), ChannelStorage.ETH_LEDGER_SLOT, bytes32(upper));
        _fast(channel, alice, a1);
        vm.prank(alice);
        twin.depositAlice{value: a1}(ETH, a1);
        vm.deal(address(channel), address(channel).balance + b1);
        vm.deal(address(twin), address(twin).balance + b1);
        _fast(channel, alice, a2);
        vm.prank(alice);
        twin.depositAlice{value: a2}(ETH, a2);
        assertEq(_ledgerWord(channel), _ledgerWord(twin), "same ledger word");
        assertEq(_ledgerWord(channel), upper + a1 + a2, "only alice's total moved");
    }

    function test_depositAliceEth_reachesExactly2pow112Minus1() public {
        IChannel ch = _uncappedChannel(keccak256("bound"));
        vm.store(address(ch), ChannelStorage.ETH_LEDGER_SLOT, bytes32(MAX112 - 2));
        vm.expectEmit(address(ch));
        emit IDepositUnit.AliceDeposited(ETH, 1, MAX112 - 1);
        _fast(ch, alice, 1);
        vm.expectEmit(address(ch));
        emit IDepositUnit.AliceDeposited(ETH, 1, MAX112);
        _fast(ch, alice, 1);
        assertEq(ch.totalDepositsAlice(ETH), MAX112, "exactly at the bound");
    }

    function test_depositAliceEth_revertsBeyond112Bits() public {
        IChannel ch = _uncappedChannel(keccak256("overflow"));
        // Paid-out set too: an overflow must not carry into it.
        vm.store(address(ch), ChannelStorage.ETH_LEDGER_SLOT, bytes32((uint256(5) << 112) | MAX112));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.AmountOverflow.selector, MAX112 + 1));
        ch.depositAliceEth{value: 1}();
        assertEq(_ledgerWord(ch), (uint256(5) << 112) | MAX112, "ledger untouched");
    }

    function test_depositAliceEth_revertsOnZeroValue() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDepositUnit.ZeroDeposit.selector, ETH));
        channel.depositAliceEth();
    }

    function test_depositAliceEth_revertsOverCapacityCountingBobsPlainDeposits() public {
        _depositBobEth(ETH_CAPACITY - 1 ether);
        _fast(channel, alice, 1 ether); // exactly at the capacity
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IDepositUnit.ChannelCapacityExceeded.selector, ETH, ETH_CAPACITY + 1, ETH_CAPACITY)
        );
        channel.depositAliceEth{value: 1}();
        assertEq(channel.totalDepositsAlice(ETH), 1 ether, "only the deposit within capacity");
    }

    function test_depositAliceEth_aboveThe112BitCapacityCopy_isLeftToTheMastercopy() public {
        IChannel ch = _uncappedChannel(keccak256("huge"));
        // A balance above 2^112 - 1 (the proxy's copy of an uncapped capacity): the mastercopy, which knows the
        // deployment has no cap, performs the deposit.
        vm.deal(address(ch), MAX112 + 1);
        vm.expectEmit(address(ch));
        emit IDepositUnit.AliceDeposited(ETH, 1 ether, 1 ether);
        _fast(ch, alice, 1 ether);
        assertEq(ch.totalDepositsAlice(ETH), 1 ether, "credited");
    }

    function test_depositAliceEth_onTheMastercopy_reverts() public {
        IChannel master = IChannel(factory.mastercopy());
        vm.prank(alice);
        vm.expectRevert(IChannelCore.NotAChannel.selector);
        master.depositAliceEth{value: 1 ether}();
    }

    // ─── calldata and selectors ──────────────────────────────────────────────────────────────────────────

    function test_depositAliceEth_ignoresCalldataAfterTheSelector() public {
        (bool ok, ) = _raw(address(channel), 1 ether, abi.encodePacked(ChannelProxy.DEPOSIT_ETH_SELECTOR, uint8(1)));
        assertTrue(ok, "selector and one byte");
        (ok, ) = _raw(address(channel), 2 ether, abi.encodePacked(ChannelProxy.DEPOSIT_ETH_SELECTOR, bytes32(0)));
        assertTrue(ok, "selector and a word");
        assertEq(channel.totalDepositsAlice(ETH), 3 ether, "both credited, as Solidity would");
    }

    function test_proxy_wrongOrShortSelector_isNeverADeposit() public {
        bytes[] memory calls = new bytes[](5);
        calls[0] = hex"f7c2abee"; // the selector + 1
        calls[1] = hex"f7c2ab"; // its first three bytes
        calls[2] = hex"f7"; // one byte
        calls[3] = hex"00f7c2abed"; // shifted by one byte
        calls[4] = hex"f6c2abed"; // first byte changed
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool ok, ) = _raw(address(channel), 1 ether, calls[i]);
            assertTrue(!ok, "delegated, and the mastercopy has no such function and no fallback");
        }
        assertEq(_ledgerWord(channel), 0, "nothing credited");
        assertEq(address(channel).balance, 0, "nothing kept");
    }

    function test_proxy_otherSelectorsStillReachTheMastercopy() public {
        (bool ok, bytes memory ret) = _raw(address(channel), 0, abi.encodeCall(IChannelCore.alice, ()));
        assertTrue(ok, "a view through the delegate path");
        assertEq(abi.decode(ret, (address)), alice, "its return data");
        (ok, ret) = _raw(address(channel), 0, abi.encodeCall(IDepositUnit.depositAlice, (ETH, 0)));
        assertTrue(!ok, "a revert through the delegate path");
        assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(IDepositUnit.ZeroDeposit.selector, ETH)), "its data");
    }

    function test_proxy_emptyCalldataWithoutValue_isANoOp() public {
        (bool ok, bytes memory ret) = _raw(address(channel), 0, "");
        assertTrue(ok, "stops");
        assertEq(ret.length, 0, "returns nothing");
        assertEq(_ledgerWord(channel), 0, "stores nothing");
    }

    // ─── re-entry ────────────────────────────────────────────────────────────────────────────────────────

    function test_depositAliceEth_whileTheLockIsHeld_isRefused() public {
        _depositAliceEth(10 ether);
        ReentrantDepositHelper helper = new ReentrantDepositHelper();
        helper.arm(abi.encodeCall(IDepositUnit.depositAliceEth, ()), 1 ether);
        // A withdrawal to the helper that then runs it: the helper holds the ETH and calls back with value while
        // the channel's lock is held.
        WithdrawCommitment memory w = WithdrawCommitment(ETH, address(helper), 2 ether, 0, address(helper), "");
        _withdraw(w);
        assertEq(helper.attempts(), 1, "re-entry attempted");
        assertTrue(!helper.lastSuccess(), "and refused");
        assertEq(
            keccak256(helper.lastReturnData()),
            keccak256(abi.encodeWithSelector(IChannelCore.ReentrancyGuardReentrantCall.selector)),
            "by the lock, through the mastercopy"
        );
        assertEq(channel.totalDepositsAlice(ETH), 10 ether, "nothing credited");
        assertEq(address(channel).balance, 8 ether, "only the withdrawal moved");
        // Once the lock is released the same call works.
        vm.deal(address(helper), 1 ether);
        vm.prank(address(helper));
        channel.depositAliceEth{value: 1 ether}();
        assertEq(channel.totalDepositsAlice(ETH), 11 ether, "credited after the call");
    }
}
