// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IResolver} from "../../../contracts/interfaces/IResolver.sol";
import {BlacklistToken} from "../../../contracts/test/mocks/BlacklistToken.sol";
import {FalseReturnToken} from "../../../contracts/test/mocks/FalseReturnToken.sol";
import {FeeOnTransferToken} from "../../../contracts/test/mocks/FeeOnTransferToken.sol";
import {GasBurnerReceiver} from "../../../contracts/test/mocks/GasBurnerReceiver.sol";
import {GasBurningResolver} from "../../../contracts/test/mocks/GasBurningResolver.sol";
import {GasBurningToken} from "../../../contracts/test/mocks/GasBurningToken.sol";
import {HollowHookToken} from "../../../contracts/test/mocks/HollowHookToken.sol";
import {HookToken} from "../../../contracts/test/mocks/HookToken.sol";
import {IHookReceiver} from "../../../contracts/test/mocks/IHookReceiver.sol";
import {MockERC1271Wallet} from "../../../contracts/test/mocks/MockERC1271Wallet.sol";
import {MockERC20} from "../../../contracts/test/mocks/MockERC20.sol";
import {MockWithdrawHelper} from "../../../contracts/test/mocks/MockWithdrawHelper.sol";
import {NoReturnToken} from "../../../contracts/test/mocks/NoReturnToken.sol";
import {OverpayingResolver} from "../../../contracts/test/mocks/OverpayingResolver.sol";
import {RebasingToken} from "../../../contracts/test/mocks/RebasingToken.sol";
import {ReentrantReceiver} from "../../../contracts/test/mocks/ReentrantReceiver.sol";
import {ReentrantWithdrawHelper} from "../../../contracts/test/mocks/ReentrantWithdrawHelper.sol";
import {RevertingReceiver} from "../../../contracts/test/mocks/RevertingReceiver.sol";
import {RevertingResolver} from "../../../contracts/test/mocks/RevertingResolver.sol";
import {StateChangingResolver} from "../../../contracts/test/mocks/StateChangingResolver.sol";
import {TestBase} from "../utils/TestBase.sol";

/// @notice Proves each test mock really behaves as its NatSpec says, so later tests rest on real behaviour.
contract MocksTest is TestBase {
    using SafeERC20 for IERC20;

    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    uint256 internal constant OWNER_KEY = 0x0A11E7;

    /// @dev Re-entry target for the receiver and helper mocks.
    uint256 public pings;
    /// @dev Set while this contract is "inside" a guarded call, to play a re-entrancy-guarded channel. Each test
    ///      runs on fresh state, so a test that sets it never needs to clear it.
    bool internal entered;

    error Reentered();

    function ping() external returns (uint256) {
        return ++pings;
    }

    function guarded() external view {
        if (entered) revert Reentered();
    }

    // ------------------------------------------------------------------ tokens

    function test_mockERC20_mintsAndTransfers() public {
        MockERC20 token = new MockERC20("USD Coin", "USDC", 6);
        token.mint(address(this), 1_000e6);
        assertEq(token.decimals(), 6, "decimals");
        assertTrue(token.transfer(ALICE, 400e6), "transfer returns true");
        assertEq(token.balanceOf(ALICE), 400e6, "recipient");
        assertEq(token.balanceOf(address(this)), 600e6, "sender");
    }

    function test_noReturnToken_returnsNoDataSoTheIERC20InterfaceReverts() public {
        NoReturnToken token = new NoReturnToken();
        token.mint(address(this), 100);
        (bool ok, bytes memory ret) = address(token).call(abi.encodeCall(IERC20.transfer, (ALICE, 10)));
        assertTrue(ok, "raw transfer succeeds");
        assertEq(ret.length, 0, "and returns no data");
        assertEq(token.balanceOf(ALICE), 10, "moved");
        // Decoding the missing bool fails: a naive `IERC20.transfer` caller reverts.
        try this.naiveTransfer(address(token), ALICE, 10) {
            fail("IERC20.transfer on a no-return token must revert");
        } catch (bytes memory reason) {
            assertEq(reason.length, 0, "abi decoding failure has no reason");
        }
        // SafeERC20 handles it.
        IERC20(address(token)).safeTransfer(ALICE, 5);
        assertEq(token.balanceOf(ALICE), 15, "safeTransfer moved");
        // A failure still reverts.
        vm.expectRevert(abi.encodeWithSelector(NoReturnToken.InsufficientBalance.selector, address(this), 85, 86));
        token.transfer(ALICE, 86);
    }

    function naiveTransfer(address token, address to, uint256 amount) external returns (bool) {
        return IERC20(token).transfer(to, amount);
    }

    function test_falseReturnToken_returnsFalseAndMovesNothing() public {
        FalseReturnToken token = new FalseReturnToken();
        token.mint(address(this), 100);
        assertTrue(!token.transfer(ALICE, 101), "over balance returns false");
        assertEq(token.balanceOf(address(this)), 100, "nothing moved");
        assertTrue(token.transfer(ALICE, 40), "normal transfer returns true");
        token.setFailTransfers(true);
        assertTrue(!token.transfer(ALICE, 1), "flagged transfer returns false");
        assertEq(token.balanceOf(ALICE), 40, "flagged transfer moved nothing");
        assertTrue(token.approve(BOB, 10), "approve");
        vm.prank(BOB);
        assertTrue(!token.transferFrom(address(this), BOB, 10), "flagged transferFrom returns false");
        assertEq(token.allowance(address(this), BOB), 10, "allowance untouched");
        vm.expectRevert(abi.encodeWithSelector(SafeERC20.SafeERC20FailedOperation.selector, address(token)));
        this.safeTransferOut(address(token), ALICE, 1);
    }

    function safeTransferOut(address token, address to, uint256 amount) external {
        IERC20(token).safeTransfer(to, amount);
    }

    function test_feeOnTransferToken_takesOnePercent() public {
        FeeOnTransferToken token = new FeeOnTransferToken();
        token.mint(address(this), 10_000);
        assertTrue(token.transfer(ALICE, 1_000), "transfer");
        assertEq(token.balanceOf(address(this)), 9_000, "sender debited the full amount");
        assertEq(token.balanceOf(ALICE), 990, "recipient receives amount minus 1%");
        assertEq(token.totalSupply(), 9_990, "fee burnt");
        token.setFeeBps(0);
        assertTrue(token.transfer(ALICE, 10), "fee-less transfer");
        assertEq(token.balanceOf(ALICE), 1_000, "no fee when set to 0");
    }

    function test_blacklistToken_revertsForBlacklistedAddresses() public {
        BlacklistToken token = new BlacklistToken();
        token.mint(address(this), 100);
        token.mint(BOB, 100);
        token.setBlacklisted(ALICE, true);
        vm.expectRevert(abi.encodeWithSelector(BlacklistToken.Blacklisted.selector, ALICE));
        token.transfer(ALICE, 1);
        token.setBlacklisted(BOB, true);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(BlacklistToken.Blacklisted.selector, BOB));
        token.transfer(address(this), 1);
        token.setBlacklisted(ALICE, false);
        assertTrue(token.transfer(ALICE, 1), "cleared address receives again");
        assertEq(token.balanceOf(ALICE), 1, "received");
    }

    function test_rebasingToken_rebaseMovesEveryBalance() public {
        RebasingToken token = new RebasingToken();
        token.mint(ALICE, 100 ether);
        token.mint(BOB, 50 ether);
        token.rebase(11, 10);
        assertEq(token.balanceOf(ALICE), 110 ether, "positive rebase");
        assertEq(token.balanceOf(BOB), 55 ether, "positive rebase, other holder");
        assertEq(token.totalSupply(), 165 ether, "supply follows");
        token.rebase(1, 2);
        assertEq(token.balanceOf(ALICE), 55 ether, "negative rebase");
        vm.prank(ALICE);
        assertTrue(token.transfer(BOB, 5 ether), "transfer after rebase");
        assertEq(token.balanceOf(ALICE), 50 ether, "sender");
        // Like stETH, amounts convert to shares rounding down: the recipient may get 1 wei less than sent.
        assertLe(token.balanceOf(BOB), 32.5 ether, "recipient gets at most the amount");
        assertGe(token.balanceOf(BOB), 32.5 ether - 1, "recipient gets the amount within 1 wei");
        vm.expectRevert(abi.encodeWithSelector(RebasingToken.InvalidRebase.selector, 1, 0));
        token.rebase(1, 0);
    }

    function test_hookToken_callsTheHookOnEveryTransfer() public {
        HookToken token = new HookToken();
        ReentrantReceiver attacker = new ReentrantReceiver();
        token.mint(address(this), 100);
        token.setHook(IHookReceiver(address(attacker)));
        attacker.arm(address(this), abi.encodeCall(this.ping, ()));
        assertTrue(token.transfer(ALICE, 10), "transfer");
        assertEq(attacker.attempts(), 1, "hook ran during the transfer");
        assertTrue(attacker.lastSuccess(), "hook call went through");
        assertEq(pings, 1, "hook reached the target");
        assertTrue(!attacker.armed(), "disarmed after one attempt");
        assertTrue(token.transfer(ALICE, 10), "transfer with a disarmed hook");
        assertEq(attacker.attempts(), 1, "no second attempt");
    }

    function test_hookToken_reentryIntoAGuardedCallerFails() public {
        HookToken token = new HookToken();
        ReentrantReceiver attacker = new ReentrantReceiver();
        token.mint(address(this), 100);
        token.setHook(IHookReceiver(address(attacker)));
        attacker.arm(address(this), abi.encodeCall(this.guarded, ()));
        entered = true;
        assertTrue(token.transfer(ALICE, 10), "outer transfer completes");
        assertTrue(!attacker.lastSuccess(), "re-entry failed");
        assertEq(keccak256(attacker.lastReturnData()), keccak256(abi.encodeWithSelector(Reentered.selector)), "why");
    }

    function test_hollowHookToken_pullByTheHollowSpenderMovesNothingButCallsTheHook() public {
        HollowHookToken token = new HollowHookToken();
        ReentrantReceiver attacker = new ReentrantReceiver();
        token.mint(ALICE, 100);
        vm.prank(ALICE);
        token.approve(address(this), 100);
        token.setHollowSpender(address(this));
        token.setHook(IHookReceiver(address(attacker)));
        attacker.arm(address(this), abi.encodeCall(this.ping, ()));
        assertTrue(token.transferFrom(ALICE, BOB, 40), "a hollow pull reports success");
        assertEq(token.balanceOf(ALICE), 100, "nothing left the sender");
        assertEq(token.balanceOf(BOB), 0, "nothing arrived");
        assertEq(token.allowance(ALICE, address(this)), 100, "no allowance spent");
        assertEq(attacker.attempts(), 1, "the hook ran during the hollow pull");
        assertEq(pings, 1, "the hook reached its target");
        token.setHollowSpender(address(0));
        assertTrue(token.transferFrom(ALICE, BOB, 40), "a pull by any other spender is real");
        assertEq(token.balanceOf(BOB), 40, "it moved the amount");
        assertEq(token.allowance(ALICE, address(this)), 60, "and spent the allowance");
    }

    function test_gasBurningToken_burnsAllForwardedGas() public {
        GasBurningToken token = new GasBurningToken();
        token.mint(address(this), 100);
        token.setBurnGas(true);
        uint256 before = gasleft();
        (bool ok, ) = address(token).call{gas: 200_000}(abi.encodeCall(IERC20.transfer, (ALICE, 1)));
        uint256 used = before - gasleft();
        assertTrue(!ok, "transfer fails");
        assertGe(used, 200_000, "all forwarded gas consumed");
        token.setBurnGas(false);
        assertTrue(token.transfer(ALICE, 1), "works when disabled");
    }

    // ------------------------------------------------------------------ ETH receivers

    function test_revertingReceiver_refusesEth() public {
        RevertingReceiver receiver = new RevertingReceiver();
        vm.deal(address(this), 1 ether);
        (bool ok, bytes memory reason) = address(receiver).call{value: 1}("");
        assertTrue(!ok, "refused");
        assertEq(
            keccak256(reason),
            keccak256(abi.encodeWithSelector(RevertingReceiver.EthRefused.selector, address(this), 1)),
            "reason"
        );
        assertEq(address(receiver).balance, 0, "nothing received");
    }

    function test_gasBurnerReceiver_burnsAllForwardedGas() public {
        GasBurnerReceiver receiver = new GasBurnerReceiver();
        vm.deal(address(this), 1 ether);
        uint256 before = gasleft();
        (bool ok, ) = address(receiver).call{value: 1, gas: 100_000}("");
        uint256 used = before - gasleft();
        assertTrue(!ok, "fails");
        assertGe(used, 100_000, "all forwarded gas consumed");
    }

    function test_reentrantReceiver_attemptsReentryOnEthAndKeepsTheEth() public {
        ReentrantReceiver receiver = new ReentrantReceiver();
        vm.deal(address(this), 1 ether);
        receiver.arm(address(this), abi.encodeCall(this.guarded, ()));
        entered = true;
        (bool ok, ) = address(receiver).call{value: 1 ether}("");
        assertTrue(ok, "ETH accepted although the re-entry failed");
        assertEq(address(receiver).balance, 1 ether, "kept");
        assertEq(receiver.attempts(), 1, "one attempt");
        assertTrue(!receiver.lastSuccess(), "re-entry failed");
        assertEq(keccak256(receiver.lastReturnData()), keccak256(abi.encodeWithSelector(Reentered.selector)), "why");
    }

    // ------------------------------------------------------------------ resolvers

    function test_overpayingResolver_returnsMoreThanTheAmount() public {
        OverpayingResolver doubler = new OverpayingResolver(false);
        OverpayingResolver maxer = new OverpayingResolver(true);
        assertEq(doubler.resolve(bytes32(0), "", 5, ""), 10, "twice the amount");
        assertEq(doubler.resolve(bytes32(0), "", type(uint256).max, ""), type(uint256).max, "saturates");
        assertEq(maxer.resolve(bytes32(0), "", 5, ""), type(uint256).max, "max");
    }

    function test_revertingResolver_reverts() public {
        RevertingResolver resolver = new RevertingResolver();
        resolver.validate("", 1);
        vm.expectRevert(abi.encodeWithSelector(RevertingResolver.ResolverRefused.selector, bytes32(uint256(7))));
        resolver.resolve(bytes32(uint256(7)), "", 1, "");
    }

    function test_gasBurningResolver_burnsAllForwardedGas() public {
        GasBurningResolver resolver = new GasBurningResolver();
        bytes memory callData = abi.encodeCall(IResolver.resolve, (bytes32(0), "", 1, ""));
        uint256 before = gasleft();
        (bool ok, ) = address(resolver).staticcall{gas: 100_000}(callData);
        uint256 used = before - gasleft();
        assertTrue(!ok, "fails");
        assertGe(used, 100_000, "all forwarded gas consumed");
    }

    function test_stateChangingResolver_writesOnCallButFailsUnderStaticcall() public {
        StateChangingResolver resolver = new StateChangingResolver();
        bytes memory callData = abi.encodeCall(IResolver.resolve, (bytes32(0), "", 9, ""));
        (bool ok, bytes memory ret) = address(resolver).call(callData);
        assertTrue(ok, "plain call succeeds");
        assertEq(abi.decode(ret, (uint256)), 9, "returns the amount");
        assertEq(resolver.resolveCount(), 1, "and really writes");
        (ok, ) = address(resolver).staticcall(callData);
        assertTrue(!ok, "STATICCALL makes the SSTORE fail");
        assertEq(resolver.resolveCount(), 1, "no write under STATICCALL");
    }

    // ------------------------------------------------------------------ accounts and helpers

    function test_mockERC1271Wallet_acceptsOnlyItsOwner() public {
        address owner = vm.addr(OWNER_KEY);
        MockERC1271Wallet wallet = new MockERC1271Wallet(owner);
        bytes32 digest = keccak256("message");
        assertEq(wallet.owner(), owner, "owner");
        assertTrue(
            wallet.isValidSignature(digest, signDigest(OWNER_KEY, digest)) == IERC1271.isValidSignature.selector,
            "owner's signature valid"
        );
        assertTrue(wallet.isValidSignature(digest, signDigest(OWNER_KEY + 1, digest)) == 0xffffffff, "stranger");
        assertTrue(wallet.isValidSignature(digest, hex"1234") == 0xffffffff, "garbage");
        vm.deal(address(wallet), 1 ether);
        vm.prank(owner);
        wallet.execute(ALICE, 0.25 ether, "");
        assertEq(ALICE.balance, 0.25 ether, "owner can execute");
        vm.expectRevert(abi.encodeWithSelector(MockERC1271Wallet.NotOwner.selector, address(this)));
        wallet.execute(ALICE, 0.25 ether, "");
    }

    function test_mockWithdrawHelper_recordsTheCall() public {
        MockWithdrawHelper helper = new MockWithdrawHelper();
        helper.execute(address(0xA55E7), BOB, 42, hex"c0ffee");
        assertEq(helper.callCount(), 1, "count");
        assertEq(helper.lastCaller(), address(this), "caller");
        assertEq(helper.lastAsset(), address(0xA55E7), "asset");
        assertEq(helper.lastRecipient(), BOB, "recipient");
        assertEq(helper.lastAmount(), 42, "amount");
        assertEq(keccak256(helper.lastCallData()), keccak256(hex"c0ffee"), "call data");
    }

    function test_reentrantWithdrawHelper_callsBackAndNeverReverts() public {
        ReentrantWithdrawHelper helper = new ReentrantWithdrawHelper();
        helper.setAttackData(abi.encodeCall(this.ping, ()));
        helper.execute(address(0), BOB, 1, "");
        assertTrue(helper.lastSuccess(), "call back reached the caller");
        assertEq(pings, 1, "pinged");
        helper.setAttackData(abi.encodeCall(this.guarded, ()));
        entered = true;
        helper.execute(address(0), BOB, 1, "");
        assertEq(helper.attempts(), 2, "two attempts");
        assertTrue(!helper.lastSuccess(), "guarded re-entry failed");
        assertEq(keccak256(helper.lastReturnData()), keccak256(abi.encodeWithSelector(Reentered.selector)), "why");
    }
}
